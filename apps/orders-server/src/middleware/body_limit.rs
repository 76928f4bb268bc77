//! Bodies over 64 KiB are refused with `413`. A declared `Content-Length` is checked
//! before anything is read; a chunked body is read up to the limit and no further.
//! Requests without a body (GETs) pass untouched.

use poem::Request;
use poem::error::ReadBodyError;
use poem::http::header;

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Refuses `request` if its body is over the limit; a chunked body is read here.
pub async fn limit_body(request: &mut Request) -> poem::Result<()> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    match declared {
        Some(length) if length > MAX_BODY_BYTES as u64 => return Err(ReadBodyError::PayloadTooLarge.into()),
        Some(_) => {}
        None if request.headers().contains_key(header::TRANSFER_ENCODING) => {
            let body = request.take_body().into_bytes_limit(MAX_BODY_BYTES).await?;
            request.set_body(body);
        }
        None => {}
    }
    Ok(())
}
