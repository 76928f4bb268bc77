//! The `Idempotency-Key` header of `placeOrder`, read byte for byte. poem-openapi's
//! `Header` skips a value that is not visible ASCII as if it were absent, which would
//! place the order without its key; here such a value reaches core, which refuses it
//! (`422 validation_failed` naming `Idempotency-Key`). The spec still shows it as a header
//! parameter with [`IdempotencyKeyHeader`]'s schema.

use super::dto::documented::IdempotencyKeyHeader;
use poem::{Request, RequestBody};
use poem_openapi::registry::{MetaParamIn, MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};

/// The header's value as sent, if it was sent; several are joined with `, ` as HTTP
/// combines repeated fields.
pub struct IdempotencyKeyParam(pub Option<String>);

impl<'a> ApiExtractor<'a> for IdempotencyKeyParam {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::Parameter];
    const PARAM_IS_REQUIRED: bool = false;

    type ParamType = Option<String>;
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        IdempotencyKeyHeader::register(registry);
    }

    fn param_in() -> Option<MetaParamIn> {
        Some(MetaParamIn::Header)
    }

    fn param_schema_ref() -> Option<MetaSchemaRef> {
        Some(IdempotencyKeyHeader::schema_ref())
    }

    fn param_raw_type(&self) -> Option<&Self::ParamRawType> {
        None
    }

    async fn from_request(
        request: &'a Request,
        _body: &mut RequestBody,
        options: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let values: Vec<String> = request
            .headers()
            .get_all(options.name)
            .iter()
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .collect();
        Ok(Self((!values.is_empty()).then(|| values.join(", "))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use poem::http::HeaderValue;

    async fn extract(values: &[&[u8]]) -> Option<String> {
        let mut request = Request::builder();
        for value in values {
            request = request.header("Idempotency-Key", HeaderValue::from_bytes(value).unwrap());
        }
        let request = request.finish();
        let options = ExtractParamOptions { name: "Idempotency-Key", ..Default::default() };
        IdempotencyKeyParam::from_request(&request, &mut RequestBody::default(), options).await.unwrap().0
    }

    #[tokio::test]
    async fn a_key_that_is_not_visible_ascii_reaches_core_instead_of_vanishing() {
        assert_eq!(extract(&[]).await, None);
        assert_eq!(extract(&[b"order-1"]).await.as_deref(), Some("order-1"));
        let odd = extract(&[b"caf\xe9"]).await.expect("the key is kept");
        assert!(orders_core::domain::IdempotencyKey::parse(&odd).is_err(), "{odd:?} must be refused by core");
        assert_eq!(extract(&[b"a", b"b"]).await.as_deref(), Some("a, b"));
    }
}
