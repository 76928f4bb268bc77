//! What generated clients and the contract (docs/contract.md) rely on in the OpenAPI document: the fixed
//! operation ids, a tag on each operation, one success schema and one error schema
//! (`Problem`, under both problem+json and JSON), integer formats int32/int64 only, no
//! undeclared nulls, the two security schemes that make Swagger UI's Authorize button
//! work, and documented value rules that are exactly core's. (That the document is valid
//! OpenAPI 3.0 is checked by openapi-spec-validator in tests/python/run.sh, and by
//! building the progenitor client, openapi/rust-client.)

use orders_core::domain::{
    Email, FullName, IdempotencyKey, Limit, OrderItems, Password, Price, ProductId, ProductName, Quantity,
    RestockQuantity, Sku, Stock,
};
use serde_json::Value;
use std::collections::BTreeSet;

/// The operations of the event feed and webhooks: all for admins, so all secured.
const EVENT_OPERATIONS: [&str; 6] =
    ["listEvents", "createWebhook", "listWebhooks", "deleteWebhook", "listWebhookDeliveries", "retryWebhookDelivery"];

fn spec() -> Value {
    serde_json::from_str(&crate::api::spec_service().spec()).expect("the spec is JSON")
}

fn operations(spec: &Value) -> Vec<(String, String, Value)> {
    let mut operations = Vec::new();
    for (path, methods) in spec["paths"].as_object().unwrap() {
        for (method, operation) in methods.as_object().unwrap() {
            operations.push((method.to_uppercase(), path.clone(), operation.clone()));
        }
    }
    operations
}

#[test]
fn every_operation_of_the_contract_has_its_fixed_operation_id_and_a_tag() {
    let spec = spec();
    let mut ids = BTreeSet::new();
    for (method, path, operation) in operations(&spec) {
        let id = operation["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
        assert_eq!(operation["tags"].as_array().map(Vec::len), Some(1), "{method} {path} needs one tag");
    }
    let expected: BTreeSet<String> = [
        "placeOrder",
        "getOrder",
        "listOrders",
        "cancelOrder",
        "registerUser",
        "issueToken",
        "getMe",
        "updateUser",
        "listProducts",
        "getProduct",
        "createProduct",
        "updateProduct",
        "restockProduct",
        "health",
        "ready",
    ]
    .into_iter()
    .chain(EVENT_OPERATIONS)
    .map(str::to_owned)
    .collect();
    assert_eq!(ids, expected);
}

#[test]
fn each_operation_has_one_success_schema_and_every_error_is_a_problem_under_both_media_types() {
    let spec = spec();
    for (method, path, operation) in operations(&spec) {
        let responses = operation["responses"].as_object().unwrap();
        let successes: Vec<_> = responses.keys().filter(|status| status.starts_with('2')).collect();
        assert_eq!(successes.len(), 1, "{method} {path} has success statuses {successes:?}");
        if successes[0] == "204" {
            assert!(responses["204"].get("content").is_none(), "{method} {path}: a 204 has no body");
        } else {
            let content = responses[successes[0].as_str()]["content"].as_object().expect("the success has a body");
            let media_types: Vec<_> = content.keys().collect();
            assert!(
                media_types.len() == 1 && media_types[0].starts_with("application/json"),
                "{method} {path} answers {media_types:?}"
            );
            assert!(content[media_types[0].as_str()]["schema"].is_object(), "{method} {path} success has no schema");
        }
        for (status, response) in responses.iter().filter(|(status, _)| !status.starts_with('2')) {
            for media_type in ["application/problem+json", "application/json"] {
                assert_eq!(
                    response["content"][media_type]["schema"]["$ref"], "#/components/schemas/Problem",
                    "{method} {path} {status} under {media_type}"
                );
            }
            assert!(
                response["description"].as_str().is_some_and(|d| d.starts_with('`')),
                "{method} {path} {status} does not name its codes"
            );
        }
    }
}

#[test]
fn operations_needing_a_user_declare_both_schemes_and_answer_401_with_www_authenticate() {
    let spec = spec();
    let schemes = &spec["components"]["securitySchemes"];
    assert_eq!(schemes["bearerAuth"]["scheme"], "bearer");
    assert_eq!(schemes["oauth2Password"]["flows"]["password"]["tokenUrl"], "/v1/auth/token");
    // OpenAPI 3.0 requires every flow to list its scopes (openapiv3, and so progenitor,
    // refuses a flow without them).
    assert!(schemes["oauth2Password"]["flows"]["password"]["scopes"].as_object().is_some_and(|s| !s.is_empty()));
    let secured: BTreeSet<String> = operations(&spec)
        .into_iter()
        .filter(|(_, _, operation)| operation.get("security").is_some())
        .map(|(_, _, operation)| {
            assert!(operation["responses"]["401"]["headers"]["WWW-Authenticate"].is_object());
            operation["operationId"].as_str().unwrap().to_owned()
        })
        .collect();
    let expected = [
        "getMe",
        "updateUser",
        "createProduct",
        "updateProduct",
        "restockProduct",
        "placeOrder",
        "listOrders",
        "getOrder",
        "cancelOrder",
    ];
    assert_eq!(secured, expected.into_iter().chain(EVENT_OPERATIONS).map(str::to_owned).collect());
}

#[test]
fn integers_are_int32_or_int64_and_optional_response_fields_are_nullable() {
    fn visit(value: &Value, at: &str) {
        match value {
            Value::Object(map) => {
                if map.get("type") == Some(&Value::from("integer")) {
                    let format = map.get("format").and_then(Value::as_str);
                    assert!(matches!(format, Some("int32" | "int64")), "{at} has integer format {format:?}");
                }
                for (key, child) in map {
                    visit(child, &format!("{at}/{key}"));
                }
            }
            Value::Array(items) => items.iter().enumerate().for_each(|(i, item)| visit(item, &format!("{at}/{i}"))),
            _ => {}
        }
    }
    let spec = spec();
    visit(&spec, "");
    let schemas = &spec["components"]["schemas"];
    for (schema, field) in [("User", "full_name"), ("Order", "cancelled_at"), ("ProductPage", "next_cursor")] {
        assert_eq!(schemas[schema]["properties"][field]["nullable"], true, "{schema}.{field}");
    }
}

/// The schemas named by `$ref` anywhere in `value`, and those they name in turn.
fn referenced_schemas(spec: &Value, value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map.get("$ref").and_then(Value::as_str).and_then(|r| r.rsplit('/').next())
                && found.insert(name.to_owned())
            {
                referenced_schemas(spec, &spec["components"]["schemas"][name], found);
            }
            map.values().for_each(|child| referenced_schemas(spec, child, found));
        }
        Value::Array(items) => items.iter().for_each(|item| referenced_schemas(spec, item, found)),
        _ => {}
    }
}

#[test]
fn no_undeclared_nulls_in_answers_and_none_taken_in_requests() {
    let spec = spec();
    let (mut answers, mut requests) = (BTreeSet::new(), BTreeSet::new());
    for (_, _, operation) in operations(&spec) {
        referenced_schemas(&spec, &operation["responses"], &mut answers);
        referenced_schemas(&spec, &operation["requestBody"], &mut requests);
    }
    answers.remove("Problem");
    for name in &answers {
        let schema = &spec["components"]["schemas"][name];
        let required: Vec<&str> =
            schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        for (field, property) in schema["properties"].as_object().into_iter().flatten() {
            if !required.contains(&field.as_str()) {
                assert_eq!(property["nullable"], true, "{name}.{field} is optional in an answer: declare it nullable");
            }
        }
    }
    for name in &requests {
        for (field, property) in spec["components"]["schemas"][name]["properties"].as_object().into_iter().flatten() {
            assert!(property.get("nullable").is_none(), "{name}.{field}: request fields are absent, never null");
        }
    }
    // Problem's optional members are left out when they do not apply, never sent as null.
    let problem = crate::api::problem::Problem::new(poem::http::StatusCode::NOT_FOUND, "not_found", "gone");
    let json = poem_openapi::types::ToJSON::to_json(problem.details()).unwrap();
    assert!(json.as_object().unwrap().values().all(|value| !value.is_null()), "{json}");
}

/// `schemas.{schema}.properties.{field}` of the spec.
fn property<'a>(spec: &'a Value, schema: &str, field: &str) -> &'a Value {
    &spec["components"]["schemas"][schema]["properties"][field]
}

/// The number `value[key]`, as an `i64`.
fn number(value: &Value, key: &str) -> i64 {
    value[key].as_f64().unwrap_or_else(|| panic!("no {key} in {value}")) as i64
}

/// A schema, one of its fields, and whether core accepts a number for it.
type RangeRule = (&'static str, &'static str, fn(i64) -> bool);
/// A schema, one of its fields, and whether core accepts a string for it.
type LengthRule = (&'static str, &'static str, fn(&str) -> bool);

#[test]
fn the_documented_value_rules_are_exactly_cores() {
    let spec = spec();
    let ranges: [RangeRule; 5] = [
        ("NewProduct", "price_cents", |n| Price::from_cents(n).is_ok()),
        ("NewProduct", "stock", |n| Stock::new(n).is_ok()),
        ("ProductChanges", "price_cents", |n| Price::from_cents(n).is_ok()),
        ("Restock", "quantity", |n| RestockQuantity::new(n).is_ok()),
        ("OrderRequestItem", "quantity", |n| Quantity::new(n).is_ok()),
    ];
    for (schema, field, accepted) in ranges {
        let rule = property(&spec, schema, field);
        let (min, max) = (number(rule, "minimum"), number(rule, "maximum"));
        assert!(accepted(min) && accepted(max), "{schema}.{field}: core refuses a bound");
        assert!(!accepted(min - 1) && !accepted(max + 1), "{schema}.{field}: core accepts beyond a bound");
    }

    let lengths: [LengthRule; 5] = [
        ("NewProduct", "sku", |s| Sku::parse(s).is_ok()),
        ("NewProduct", "name", |s| ProductName::parse(s).is_ok()),
        ("ProductChanges", "name", |s| ProductName::parse(s).is_ok()),
        ("Registration", "password", |s| Password::parse(s).is_ok()),
        ("Registration", "full_name", |s| FullName::parse(s).is_ok()),
    ];
    for (schema, field, accepted) in lengths {
        let rule = property(&spec, schema, field);
        let min = rule["minLength"].as_u64().unwrap_or(0) as usize;
        let max = number(rule, "maxLength") as usize;
        assert!(accepted(&"e".repeat(min)), "{schema}.{field}: shortest refused");
        assert!(accepted(&"e".repeat(max)), "{schema}.{field}: longest refused");
        assert!(!accepted(&"e".repeat(max + 1)), "{schema}.{field}: too long accepted");
        assert!(min == 0 || !accepted(&"e".repeat(min - 1)), "{schema}.{field}: too short accepted");
    }
    assert_eq!(property(&spec, "NewProduct", "sku")["pattern"], "^[A-Za-z0-9._-]+$");
    let texts: [LengthRule; 3] = [
        ("NewProduct", "name", |s| ProductName::parse(s).is_ok()),
        ("ProductChanges", "name", |s| ProductName::parse(s).is_ok()),
        ("Registration", "full_name", |s| FullName::parse(s).is_ok()),
    ];
    let samples = [
        "Widget",
        "Crème brûlée",
        "👩\u{200D}💻 kit",
        " padded ",
        "a\u{0}b",
        "tab\t",
        "c1\u{85}",
        "\u{9F}x",
        "evil\u{202E}txt",
        "\u{2066}iso",
        "   ",
        "\u{200B}\u{FEFF}",
        "\u{3000}",
        "\u{A0}x",
        "",
    ];
    for (schema, field, accepted) in texts {
        let pattern = property(&spec, schema, field)["pattern"].as_str().unwrap_or_else(|| panic!("{schema}.{field}"));
        let documented = regex::Regex::new(pattern).expect("the pattern is a regex");
        for sample in samples.iter().filter(|s| !s.is_empty() || schema == "Registration") {
            assert_eq!(documented.is_match(sample), accepted(sample), "{schema}.{field}: {sample:?}");
        }
    }
    assert!(Sku::parse("a-Z_0.9").is_ok() && Sku::parse("a b").is_err() && Sku::parse("é").is_err());

    let email = property(&spec, "Registration", "email");
    assert_eq!(email["format"], "email");
    let address = |last_label: usize| {
        format!("{}@{}.{}.{}.com", "a".repeat(64), "b".repeat(63), "c".repeat(63), "d".repeat(last_label))
    };
    assert_eq!(address(57).chars().count() as i64, number(email, "maxLength"));
    assert!(Email::parse(&address(57)).is_ok() && Email::parse(&address(58)).is_err());

    let items = property(&spec, "OrderRequest", "items");
    let lines = |n: i64| (0..n).map(|_| (ProductId::from_uuid(uuid::Uuid::now_v7()), 1)).collect::<Vec<_>>();
    assert!(OrderItems::parse(&lines(number(items, "minItems"))).is_ok());
    assert!(OrderItems::parse(&lines(number(items, "maxItems"))).is_ok());
    assert!(OrderItems::parse(&lines(number(items, "maxItems") + 1)).is_err());
    assert!(OrderItems::parse(&[]).is_err());

    let parameters = |path: &str, method: &str| spec["paths"][path][method]["parameters"].as_array().unwrap().clone();
    for (path, method) in [("/v1/products", "get"), ("/v1/orders", "get")] {
        let limit = parameters(path, method).into_iter().find(|p| p["name"] == "limit").unwrap();
        let (min, max) = (number(&limit["schema"], "minimum"), number(&limit["schema"], "maximum"));
        assert!(Limit::new(min).is_ok() && Limit::new(max).is_ok(), "{path} limit");
        assert!(Limit::new(min - 1).is_err() && Limit::new(max + 1).is_err(), "{path} limit");
        assert_eq!(number(&limit["schema"], "default"), i64::from(Limit::default().get()));
    }
    let key = parameters("/v1/orders", "post").into_iter().find(|p| p["name"] == "Idempotency-Key").unwrap();
    let max = number(&key["schema"], "maxLength") as usize;
    assert!(IdempotencyKey::parse(&"k".repeat(max)).is_ok() && IdempotencyKey::parse(&"k".repeat(max + 1)).is_err());
    assert!(IdempotencyKey::parse("~ !").is_ok() && IdempotencyKey::parse("é").is_err());
}
