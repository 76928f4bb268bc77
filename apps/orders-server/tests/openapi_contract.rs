//! What generated clients and API.md rely on in the OpenAPI document: the fixed
//! operation ids, a tag on each operation, one success schema and one error schema
//! (`Problem`, under both problem+json and JSON), integer formats int32/int64 only, and
//! the two security schemes that make Swagger UI's Authorize button work.

use serde_json::Value;
use std::collections::BTreeSet;

fn spec() -> Value {
    serde_json::from_str(&orders_server::api::spec_service().spec()).expect("the spec is JSON")
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
    assert_eq!(secured, expected.into_iter().map(str::to_owned).collect());
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
