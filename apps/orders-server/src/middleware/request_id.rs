//! Request ids: the client's `X-Request-Id` when it is usable (1 to 128 printable ASCII
//! characters), else a new UUIDv7 in its place. The id is sent back on the response,
//! carried by the request's span (so every log line of the request has it), and, while
//! the request is served, readable with [`RequestId::current`] (problem bodies quote it
//! as `instance`); [`super::log_request`] does all of that.

use poem::http::{HeaderName, HeaderValue};
use std::fmt;
use std::sync::Arc;

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The most characters of a client's request id that are kept.
const MOST_CHARS: usize = 128;

tokio::task_local! {
    pub(super) static CURRENT: RequestId;
}

/// The id of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(Arc<str>);

impl RequestId {
    /// The client's id if usable, else a new one.
    pub fn from_header(sent: Option<&HeaderValue>) -> Self {
        let usable = sent
            .and_then(|value| value.to_str().ok())
            .filter(|id| (1..=MOST_CHARS).contains(&id.len()) && id.bytes().all(|byte| (b' '..=b'~').contains(&byte)));
        Self(usable.map_or_else(|| uuid::Uuid::now_v7().to_string().into(), Arc::from))
    }

    /// The id of the request being served by this task, if any.
    pub fn current() -> Option<Self> {
        CURRENT.try_with(Self::clone).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id_for(sent: &[u8]) -> String {
        RequestId::from_header(Some(&HeaderValue::from_bytes(sent).unwrap())).as_str().to_owned()
    }

    #[test]
    fn a_usable_client_id_is_kept() {
        assert_eq!(id_for(b"checkout-42 retry #1"), "checkout-42 retry #1");
        assert_eq!(id_for("x".repeat(128).as_bytes()).len(), 128);
    }

    #[test]
    fn an_unusable_or_missing_id_is_replaced_by_a_uuid_v7() {
        for sent in ["x".repeat(129).into_bytes(), b"tab\there".to_vec(), "caf\u{e9}".as_bytes().to_vec(), Vec::new()] {
            let id = id_for(&sent);
            let uuid = uuid::Uuid::parse_str(&id).unwrap_or_else(|_| panic!("{sent:?} gave {id}"));
            assert_eq!(uuid.get_version_num(), 7);
        }
        let made = RequestId::from_header(None);
        assert_eq!(uuid::Uuid::parse_str(made.as_str()).unwrap().get_version_num(), 7);
        assert_ne!(made, RequestId::from_header(None));
    }
}
