//! Wire values whose schema in the spec says more than their Rust type: a format
//! (`email`, `password`, `uuid`), or the range of a query parameter or header. They
//! parse leniently (parameters as any text), because the rule itself lives in core or
//! in the handler's conversion, which names the refused field in its `422`; the schema
//! only tells clients and generators that rule. (Rules on body fields are written as
//! `#[oai(validator(...))]` on the DTOs: bodies are parsed by serde, see `body.rs`, so
//! those validators, too, only document.)

use orders_core::domain::{Invalid, Limit, Violations};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type};
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;

/// A newtype over `$inner`, parsed as `$inner` is, whose schema is `$schema`'s edited
/// by `$document`.
macro_rules! documented {
    ($(#[$doc:meta])* $name:ident($inner:ty) as $schema:ty, $document:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub $inner);

        impl Type for $name {
            const IS_REQUIRED: bool = true;
            type RawValueType = Self;
            type RawElementValueType = Self;

            fn name() -> Cow<'static, str> {
                <$schema as Type>::name()
            }

            fn schema_ref() -> MetaSchemaRef {
                let mut schema: MetaSchema = <$schema as Type>::schema_ref().unwrap_inline().clone();
                let document: fn(&mut MetaSchema) = $document;
                document(&mut schema);
                MetaSchemaRef::Inline(Box::new(schema))
            }

            fn as_raw_value(&self) -> Option<&Self::RawValueType> {
                Some(self)
            }

            fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
                Box::new(self.as_raw_value().into_iter())
            }
        }

        impl ParseFromJSON for $name {
            fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
                <$inner>::parse_from_json(value).map(Self).map_err(ParseError::propagate)
            }
        }

        impl ParseFromParameter for $name {
            fn parse_from_parameter(value: &str) -> ParseResult<Self> {
                <$inner>::parse_from_parameter(value).map(Self).map_err(ParseError::propagate)
            }
        }

        impl ToJSON for $name {
            fn to_json(&self) -> Option<Value> {
                self.0.to_json()
            }
        }
    };
}

documented!(
    /// An e-mail address of at most 254 characters.
    EmailAddress(String) as String,
    |schema| {
        schema.format = Some("email");
        schema.max_length = Some(254);
    }
);

documented!(
    /// A new password: 8 to 128 characters, counted after Unicode normalisation to NFC
    /// (`format: password`, which UIs mask).
    NewPassword(String) as String,
    |schema| {
        schema.format = Some("password");
        schema.min_length = Some(8);
        schema.max_length = Some(128);
    }
);

documented!(
    /// `?limit=`: 1 to 100 items, 20 when absent.
    PageLimit(String) as i64,
    |schema| {
        schema.minimum = Some(1.0);
        schema.maximum = Some(f64::from(Limit::MAX));
        schema.default = Some(Value::from(Limit::default().get()));
    }
);

documented!(
    /// The `Idempotency-Key` header: 1 to 255 printable ASCII characters, not all spaces
    /// (HTTP drops the spaces around a header's value, so a key of spaces arrives empty).
    IdempotencyKeyHeader(String) as String,
    |schema| {
        schema.min_length = Some(1);
        schema.max_length = Some(255);
        schema.pattern = Some("^[ -~]*[!-~][ -~]*$".to_owned());
    }
);

documented!(
    /// `?wait=`: seconds to wait for an event when none follows the cursor, 0 to 30, 0
    /// when absent.
    WaitSeconds(String) as i64,
    |schema| {
        schema.minimum = Some(0.0);
        schema.maximum = Some(WaitSeconds::MAX as f64);
        schema.default = Some(Value::from(0));
    }
);

documented!(
    /// A UUID in a path or query parameter.
    UuidText(String) as uuid::Uuid,
    |_| {}
);

impl UuidText {
    /// The UUID, or why the parameter `name` is refused.
    pub fn parse(&self, name: &str) -> Result<uuid::Uuid, Violations> {
        uuid::Uuid::try_parse(&self.0)
            .map_err(|_| Violations::one(name, Invalid::new(format!("{name} must be a UUID"))))
    }
}

impl WaitSeconds {
    pub const MAX: u64 = 30;

    /// The wait, or why it is refused.
    pub fn parse(&self) -> Result<std::time::Duration, Invalid> {
        let refused = || Invalid::new(format!("wait must be a whole number of seconds from 0 to {}", Self::MAX));
        let seconds = self.0.trim().parse::<u64>().map_err(|_| refused())?;
        if seconds > Self::MAX {
            return Err(refused());
        }
        Ok(std::time::Duration::from_secs(seconds))
    }
}

impl PageLimit {
    /// The page size, or why it is refused.
    pub fn parse(&self) -> Result<Limit, Invalid> {
        let items = self.0.trim().parse::<i64>().map_err(|_| Invalid::new("limit must be an integer"))?;
        Limit::new(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_parse_as_any_text_and_are_judged_with_their_name() {
        for raw in ["0", "500", "ten"] {
            assert_eq!(PageLimit::parse_from_parameter(raw).unwrap(), PageLimit(raw.to_owned()));
        }
        assert_eq!(PageLimit("20".to_owned()).parse().unwrap().get(), 20);
        assert_eq!(PageLimit("ten".to_owned()).parse().unwrap_err().message(), "limit must be an integer");
        assert!(PageLimit("500".to_owned()).parse().is_err());
        assert_eq!(IdempotencyKeyHeader::parse_from_parameter("").unwrap(), IdempotencyKeyHeader(String::new()));
        let refused = UuidText("nope".to_owned()).parse("order_id").unwrap_err();
        assert_eq!(refused.fields()[0].field, "order_id");
        let id = uuid::Uuid::now_v7();
        assert_eq!(UuidText(id.to_string()).parse("id").unwrap(), id);
    }

    #[test]
    fn the_schema_carries_the_rule() {
        let limit = PageLimit::schema_ref();
        let limit = limit.unwrap_inline();
        assert_eq!((limit.ty, limit.format), ("integer", Some("int64")));
        assert_eq!((limit.minimum, limit.maximum, limit.default.clone()), (Some(1.0), Some(100.0), Some(20.into())));
        assert_eq!(EmailAddress::schema_ref().unwrap_inline().format, Some("email"));
        assert_eq!(NewPassword::schema_ref().unwrap_inline().min_length, Some(8));
        assert_eq!(IdempotencyKeyHeader::schema_ref().unwrap_inline().max_length, Some(255));
        assert_eq!(UuidText::schema_ref().unwrap_inline().format, Some("uuid"));
    }
}
