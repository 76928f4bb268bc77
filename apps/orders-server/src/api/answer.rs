//! JSON answers written by serde straight into the body. poem-openapi's `Json` first
//! builds the whole answer as a `serde_json::Value` (a map and a string per field) and
//! then writes that: an order's answer cost about 23,000 instructions that way and
//! 12,000 this way (docs/benchmarks.md). The spec still comes from the DTO's `Object` derive,
//! so the two must write the same JSON: a DTO answered this way derives `Serialize`
//! with the same field names, its times as [`rfc3339`] writes them, and a test per DTO
//! ([`same_json`]) holds its serde output to its `ToJSON`.

use super::errors::outside_handlers::internal_error;
use poem::http::header::CONTENT_TYPE;
use poem::{IntoResponse, Response};
use poem_openapi::payload::Payload;
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use serde::Serialize;

/// A JSON answer, documented as `T`'s schema and written with `T`'s `Serialize`.
pub struct JsonAnswer<T>(pub T);

/// What poem-openapi's `Json` answers are sent as.
const JSON: &str = "application/json; charset=utf-8";

impl<T: Type + Send> Payload for JsonAnswer<T> {
    const CONTENT_TYPE: &'static str = JSON;

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Serialize + Send> IntoResponse for JsonAnswer<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => Response::builder().header(CONTENT_TYPE, JSON).body(body),
            Err(error) => {
                tracing::error!(%error, "an answer could not be written as JSON");
                internal_error().into_response()
            }
        }
    }
}

/// Times as poem-openapi writes them (`to_rfc3339`: `+00:00`, as many fraction digits
/// as the time has), not as chrono's own `Serialize` does (`Z`).
pub mod rfc3339 {
    use chrono::{DateTime, Utc};
    use serde::Serializer;

    pub fn serialize<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&time.to_rfc3339())
    }

    /// An optional time: `null` when absent.
    pub mod option {
        use chrono::{DateTime, Utc};
        use serde::Serializer;

        pub fn serialize<S: Serializer>(time: &Option<DateTime<Utc>>, serializer: S) -> Result<S::Ok, S::Error> {
            match time {
                Some(time) => super::serialize(time, serializer),
                None => serializer.serialize_none(),
            }
        }
    }
}

/// Asserts that `value` is written the same by serde as by poem-openapi's `ToJSON`.
#[cfg(test)]
pub fn same_json<T: Serialize + poem_openapi::types::ToJSON>(value: &T) {
    let by_serde = serde_json::to_value(value).expect("serde writes it");
    assert_eq!(Some(by_serde), value.to_json(), "serde and the documented schema disagree");
}

#[cfg(test)]
mod tests {
    use super::*;
    use poem::http::StatusCode;
    use poem_openapi::Object;

    #[derive(Object, Serialize)]
    struct Answer {
        name: String,
        #[serde(with = "rfc3339")]
        at: chrono::DateTime<chrono::Utc>,
    }

    #[tokio::test]
    async fn the_body_is_the_serde_json_of_the_value_with_the_json_content_type() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-08T01:02:03.5+00:00").unwrap().to_utc();
        let answer = Answer { name: "a \"quoted\" é".to_owned(), at };
        same_json(&answer);
        let response = JsonAnswer(answer).into_response();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[CONTENT_TYPE], <poem_openapi::payload::Json<Answer> as Payload>::CONTENT_TYPE);
        let body = response.into_body().into_string().await.unwrap();
        assert_eq!(body, r#"{"name":"a \"quoted\" é","at":"2026-12-08T01:02:03.500+00:00"}"#);
    }
}
