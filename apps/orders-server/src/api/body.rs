//! Request bodies, parsed with serde so that a refusal names its field: a body that is
//! not JSON at all is malformed (400), while well-formed JSON of the wrong shape (a
//! missing field, a string where a number belongs) is refused like any other bad value
//! (422, naming `items[0].quantity`). The schema in the spec still comes from the DTO's
//! `Object` derive, so the two must agree: DTOs use plain snake_case fields, no renames.
//! Where that schema has an object, the body must have one: serde would also read a
//! struct from an array of its fields in order, which the contract does not allow.

use super::errors::ErrorTable;
use orders_core::domain::{Invalid, Violations};
use poem::{FromRequest, IntoResponse, Request, RequestBody};
use poem_openapi::impl_apirequest_for_payload;
use poem_openapi::payload::{Form, Json, ParsePayload, Payload};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// Why a body was refused; [`errors`](super::errors) answers each with its row.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BodyError {
    /// Not JSON (or not a form) at all.
    #[error("the body is not well-formed: {0}")]
    Malformed(String),
    /// Over [`MAX_BODY_BYTES`](crate::middleware::MAX_BODY_BYTES).
    #[error("the body is larger than the limit of {} bytes", crate::middleware::MAX_BODY_BYTES)]
    TooLarge,
    /// Sent as a media type the operation does not take.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Well-formed, but not the shape the operation takes.
    #[error("{0}")]
    Invalid(Violations),
}

impl poem::error::ResponseError for BodyError {
    fn status(&self) -> poem::http::StatusCode {
        self.answer().status()
    }

    fn as_response(&self) -> poem::Response {
        self.answer().into_response()
    }
}

/// A JSON body (`application/json` or any `+json` type).
pub struct JsonBody<T>(pub T);

impl<T: Type> Payload for JsonBody<T> {
    const CONTENT_TYPE: &'static str = "application/json";

    fn check_content_type(content_type: &str) -> bool {
        Json::<T>::check_content_type(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type + DeserializeOwned + Send + 'static> ParsePayload for JsonBody<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let bytes = Vec::<u8>::from_request(request, body).await?;
        Ok(Self(parse_json(&bytes)?))
    }
}

impl_apirequest_for_payload!(JsonBody<T>, T: Type + DeserializeOwned + Send + 'static);

/// Parses `bytes` as a `T`, telling malformed JSON from JSON of the wrong shape.
pub fn parse_json<T: Type + DeserializeOwned + 'static>(bytes: &[u8]) -> Result<T, BodyError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(BodyError::Malformed("the body is empty; a JSON object is expected".to_owned()));
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| BodyError::Malformed(e.to_string()))?;
    let (schema, registry) = schemas::<T>();
    if let Some(path) = array_for_object(&value, schema, registry, &Path::Body) {
        let field = path.to_string();
        let message = format!("{field} must be a JSON object");
        return Err(BodyError::Invalid(Violations::one(field, Invalid::new(message))));
    }
    if let Ok(parsed) = T::deserialize(&value) {
        return Ok(parsed);
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        BodyError::Invalid(shape_violation(&path, &inner.to_string()))
    })
}

/// `T`'s schema and the schemas it refers to, made once per type for the life of the
/// process (a handful of request bodies), not for every request.
fn schemas<T: Type + 'static>() -> (&'static MetaSchemaRef, &'static Registry) {
    type Schemas = (&'static MetaSchemaRef, &'static Registry);
    static REGISTRIES: OnceLock<Mutex<HashMap<TypeId, Schemas>>> = OnceLock::new();
    let mut registries = REGISTRIES.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    *registries.entry(TypeId::of::<T>()).or_insert_with(|| {
        let mut registry = Registry::new();
        T::register(&mut registry);
        (Box::leak(Box::new(T::schema_ref())), Box::leak(Box::new(registry)))
    })
}

/// Where a value is in a body: written out (`items[0].quantity`, or `body` for the body
/// itself) only when it is refused.
enum Path<'a> {
    Body,
    Field(&'a Path<'a>, &'a str),
    Item(&'a Path<'a>, usize),
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Body => f.write_str("body"),
            Path::Field(Path::Body, name) => f.write_str(name),
            Path::Field(parent, name) => write!(f, "{parent}.{name}"),
            Path::Item(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

/// For an optional body field, with `#[serde(default, deserialize_with = "non_null")]`:
/// absent is `None`, and `null` is refused like any value of the wrong type. The spec
/// does not declare these fields nullable (generated clients leave them out instead), so
/// the server does not take a `null` that no client is told it may send.
pub fn non_null<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// Where the first value is that is not an object where `schema` has an object; other
/// mismatches are left to serde.
fn array_for_object<'a>(
    value: &'a Value,
    schema: &'a MetaSchemaRef,
    registry: &'a Registry,
    path: &Path<'_>,
) -> Option<String> {
    let schema = match schema {
        MetaSchemaRef::Inline(schema) => schema.as_ref(),
        MetaSchemaRef::Reference(name) => registry.schemas.get(name)?,
    };
    if let Some(found) = schema.all_of.iter().find_map(|part| array_for_object(value, part, registry, path)) {
        return Some(found);
    }
    match value {
        Value::Object(members) => schema.properties.iter().find_map(|(name, property)| {
            let member = members.get(*name)?;
            array_for_object(member, property, registry, &Path::Field(path, name))
        }),
        Value::Array(_) if schema.ty == "object" => Some(path.to_string()),
        Value::Array(items) => schema.items.as_deref().and_then(|item_schema| {
            items
                .iter()
                .enumerate()
                .find_map(|(i, item)| array_for_object(item, item_schema, registry, &Path::Item(path, i)))
        }),
        _ => None,
    }
}

/// An `application/x-www-form-urlencoded` body.
pub struct FormBody<T>(pub T);

impl<T: Type> Payload for FormBody<T> {
    const CONTENT_TYPE: &'static str = "application/x-www-form-urlencoded";

    fn check_content_type(content_type: &str) -> bool {
        Form::<T>::check_content_type(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: DeserializeOwned + Send> ParsePayload for FormBody<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let bytes = Vec::<u8>::from_request(request, body).await?;
        let form = serde_urlencoded::from_bytes(&bytes)
            .map_err(|error| BodyError::Invalid(shape_violation(".", &error.to_string())))?;
        Ok(Self(form))
    }
}

impl_apirequest_for_payload!(FormBody<T>, T: Type + DeserializeOwned + Send);

/// The violation serde reported at `path` (`.` for the top level). A missing field is
/// reported by serde on its parent, so its name is taken from the message.
fn shape_violation(path: &str, message: &str) -> Violations {
    let parent = if path == "." { "" } else { path };
    let missing = message.strip_prefix("missing field `").and_then(|rest| rest.split('`').next());
    let field = match (missing, parent) {
        (Some(name), "") => name.to_owned(),
        (Some(name), parent) => format!("{parent}.{name}"),
        (None, "") => "body".to_owned(),
        (None, parent) => parent.to_owned(),
    };
    let message = match missing {
        Some(name) => format!("{name} is required"),
        None => message.to_owned(),
    };
    Violations::one(field, Invalid::new(message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use poem_openapi::Object;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Object)]
    #[allow(dead_code)]
    struct Line {
        product_id: uuid::Uuid,
        quantity: i64,
    }

    #[derive(Debug, Deserialize, Object)]
    #[allow(dead_code)]
    struct Order {
        items: Vec<Line>,
    }

    fn refused_field(json: &str) -> String {
        match parse_json::<Order>(json.as_bytes()) {
            Err(BodyError::Invalid(violations)) => violations.fields()[0].field.clone(),
            other => panic!("expected a shape violation, got {other:?}"),
        }
    }

    #[test]
    fn json_of_the_wrong_shape_names_the_field() {
        let id = uuid::Uuid::now_v7();
        assert_eq!(
            refused_field(&format!(r#"{{"items":[{{"product_id":"{id}","quantity":"x"}}]}}"#)),
            "items[0].quantity"
        );
        assert_eq!(refused_field(&format!(r#"{{"items":[{{"product_id":"{id}"}}]}}"#)), "items[0].quantity");
        assert_eq!(refused_field(r#"{"items":[{"product_id":"nope","quantity":1}]}"#), "items[0].product_id");
        assert_eq!(refused_field("{}"), "items");
        assert_eq!(refused_field("[]"), "body");
    }

    #[derive(Debug, Deserialize, Object)]
    struct Change {
        #[serde(default, deserialize_with = "non_null")]
        name: Option<String>,
    }

    #[test]
    fn an_optional_field_may_be_absent_but_not_null() {
        assert_eq!(parse_json::<Change>(b"{}").unwrap().name, None);
        assert_eq!(parse_json::<Change>(br#"{"name":"x"}"#).unwrap().name.as_deref(), Some("x"));
        match parse_json::<Change>(br#"{"name":null}"#) {
            Err(BodyError::Invalid(violations)) => assert_eq!(violations.fields()[0].field, "name"),
            other => panic!("null was not refused: {other:?}"),
        }
    }

    #[test]
    fn an_array_is_not_read_as_an_object_of_its_fields_in_order() {
        let id = uuid::Uuid::now_v7();
        assert_eq!(refused_field(&format!(r#"[[["{id}", 1]]]"#)), "body");
        assert_eq!(
            refused_field(&format!(r#"{{"items":[{{"product_id":"{id}","quantity":1}},["{id}",2]]}}"#)),
            "items[1]"
        );
        assert!(
            parse_json::<Order>(format!(r#"{{"items":[{{"product_id":"{id}","quantity":1}}]}}"#).as_bytes()).is_ok()
        );
    }

    #[test]
    fn what_is_not_json_is_malformed() {
        for bad in ["", "  ", "{", "{\"items\": [}", "nope"] {
            assert!(matches!(parse_json::<Order>(bad.as_bytes()), Err(BodyError::Malformed(_))), "{bad:?}");
        }
    }
}
