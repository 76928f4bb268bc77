//! What each operation can fail with: the union of the tables of the errors it can
//! meet (its input, its caller's token, its use case). [`ApiError<O>`] is what an
//! operation's handler returns; it converts only from the errors `O` lists, and it
//! documents in the spec exactly their rows, grouped by status.

use super::codes::Code;
use super::table::ErrorTable;
use crate::api::address_limits::AddressThrottled;
use crate::api::body::BodyError;
use crate::api::errors::tables::NotReady;
use crate::api::problem::{PROBLEM_JSON, Problem, ProblemDetails};
use orders_core::domain::Violations;
use orders_core::ports::BackendError;
use orders_core::usecases::{
    AuthenticateError, CancelOrderError, CreateProductError, CreateWebhookError, CurrentUserError, DeleteWebhookError,
    GetOrderError, GetProductError, ListDeliveriesError, ListEventsError, ListOrdersError, ListWebhooksError,
    PlaceOrderError, RegisterError, RestockError, RetryDeliveryError, UpdateProductError, UpdateUserError,
};
use poem_openapi::ApiResponse;
use poem_openapi::registry::{MetaHeader, MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::Type;
use std::collections::{BTreeMap, HashMap};
use std::marker::PhantomData;
use std::sync::{Mutex, OnceLock};

/// The errors of one operation.
pub trait OperationErrors: Send + Sync + 'static {
    /// The operation's `operationId`.
    const OPERATION_ID: &'static str;
    /// Every row the operation can answer with when it fails.
    fn codes() -> Vec<&'static Code>;
}

/// Declares, for each operation, the error types it can meet: a marker type
/// implementing [`OperationErrors`], a conversion into [`ApiError`] from each of those
/// types and no other, and [`every_operation`] listing them all.
macro_rules! operation_errors {
    ($($(#[$doc:meta])* $name:ident($operation_id:literal) = [$($part:ty),+ $(,)?];)+) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl OperationErrors for $name {
                const OPERATION_ID: &'static str = $operation_id;

                fn codes() -> Vec<&'static Code> {
                    [$(<$part as ErrorTable>::codes()),+].concat()
                }
            }

            $(impl From<$part> for ApiError<$name> {
                fn from(error: $part) -> Self {
                    Self { problem: error.into(), documented: PhantomData }
                }
            })+
        )+

        /// Every operation that can fail, by `operationId`, with the rows it documents.
        pub fn every_operation() -> Vec<(&'static str, Vec<&'static Code>)> {
            vec![$(($operation_id, <$name as OperationErrors>::codes())),+]
        }
    };
}

operation_errors! {
    ReadyErrors("ready") = [NotReady];
    RegisterUserErrors("registerUser") = [BodyError, Violations, AddressThrottled, RegisterError];
    IssueTokenErrors("issueToken") = [BodyError, AddressThrottled, AuthenticateError];
    GetMeErrors("getMe") = [CurrentUserError];
    UpdateUserErrors("updateUser") = [BodyError, Violations, CurrentUserError, UpdateUserError];
    ListProductsErrors("listProducts") = [Violations, BackendError];
    GetProductErrors("getProduct") = [Violations, GetProductError];
    CreateProductErrors("createProduct") = [BodyError, Violations, CurrentUserError, CreateProductError];
    UpdateProductErrors("updateProduct") = [BodyError, Violations, CurrentUserError, UpdateProductError];
    RestockProductErrors("restockProduct") = [BodyError, Violations, CurrentUserError, RestockError];
    PlaceOrderErrors("placeOrder") = [BodyError, Violations, CurrentUserError, PlaceOrderError];
    ListOrdersErrors("listOrders") = [Violations, CurrentUserError, ListOrdersError];
    GetOrderErrors("getOrder") = [Violations, CurrentUserError, GetOrderError];
    CancelOrderErrors("cancelOrder") = [Violations, CurrentUserError, CancelOrderError];
    ListEventsErrors("listEvents") = [Violations, CurrentUserError, ListEventsError];
    CreateWebhookErrors("createWebhook") = [BodyError, Violations, CurrentUserError, CreateWebhookError];
    ListWebhooksErrors("listWebhooks") = [Violations, CurrentUserError, ListWebhooksError];
    DeleteWebhookErrors("deleteWebhook") = [Violations, CurrentUserError, DeleteWebhookError];
    ListWebhookDeliveriesErrors("listWebhookDeliveries") = [Violations, CurrentUserError, ListDeliveriesError];
    RetryWebhookDeliveryErrors("retryWebhookDelivery") = [Violations, CurrentUserError, RetryDeliveryError];
}

/// What an operation answers when it fails: a [`Problem`], documented in the spec with
/// the rows `O` lists, each status under `application/problem+json` (what is sent) and
/// `application/json` (so that generated clients type the error).
pub struct ApiError<O> {
    problem: Problem,
    documented: PhantomData<fn() -> O>,
}

impl<O> ApiError<O> {
    /// The problem this error answers with.
    pub fn problem(&self) -> &Problem {
        &self.problem
    }
}

impl<O> From<ApiError<O>> for poem::Error {
    fn from(error: ApiError<O>) -> Self {
        error.problem.into()
    }
}

impl<O: OperationErrors> ApiResponse for ApiError<O> {
    fn meta() -> MetaResponses {
        MetaResponses { responses: by_status(O::codes()).into_iter().map(documented_response).collect() }
    }

    fn register(registry: &mut Registry) {
        <ProblemDetails as Type>::register(registry);
    }
}

/// `codes` grouped by status, each row once, in the order first met.
fn by_status(codes: Vec<&'static Code>) -> BTreeMap<u16, Vec<&'static Code>> {
    let mut grouped: BTreeMap<u16, Vec<&'static Code>> = BTreeMap::new();
    for code in codes {
        let rows = grouped.entry(code.status).or_default();
        if !rows.iter().any(|row| std::ptr::eq(*row, code)) {
            rows.push(code);
        }
    }
    grouped
}

/// The spec's entry for one status: each row as a paragraph "`code`: what it means",
/// the `Problem` schema under both media types, and the rows' headers (required when
/// every row of the status carries it).
fn documented_response((status, rows): (u16, Vec<&'static Code>)) -> MetaResponse {
    let description = rows.iter().map(|row| format!("`{}`: {}", row.code, row.doc)).collect::<Vec<_>>().join("\n\n");
    let mut headers: Vec<MetaHeader> = Vec::new();
    for header in rows.iter().flat_map(|row| row.headers) {
        if headers.iter().any(|known| known.name == header.name) {
            continue;
        }
        let required = rows.iter().all(|row| row.headers.iter().any(|h| h.name == header.name && h.required));
        headers.push(MetaHeader {
            name: header.name.to_owned(),
            description: Some(header.description.to_owned()),
            required,
            deprecated: false,
            schema: if header.integer { <i64 as Type>::schema_ref() } else { <String as Type>::schema_ref() },
        });
    }
    let schema = || <ProblemDetails as Type>::schema_ref();
    MetaResponse {
        description: interned(description),
        status: Some(status),
        status_range: None,
        content: vec![
            MetaMediaType { content_type: PROBLEM_JSON, schema: schema() },
            MetaMediaType { content_type: "application/json", schema: schema() },
        ],
        headers,
    }
}

/// `text` as a `&'static str` (poem-openapi's registry wants one), leaked once per
/// distinct text however often the spec is generated.
fn interned(text: String) -> &'static str {
    static TEXTS: OnceLock<Mutex<HashMap<String, &'static str>>> = OnceLock::new();
    let mut texts = TEXTS.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    texts.entry(text).or_insert_with_key(|text| Box::leak(text.clone().into_boxed_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::collections::BTreeSet;

    /// `(status, code)` of each row.
    fn pairs<'a>(rows: impl IntoIterator<Item = &'a Code>) -> BTreeSet<(u16, String)> {
        rows.into_iter().map(|row| (row.status, row.code.to_owned())).collect()
    }

    /// `(status, code)` of each error the spec documents for `operation`, read back from
    /// the descriptions ("`code`: what it means", one paragraph per row).
    fn documented(operation: &Value) -> BTreeSet<(u16, String)> {
        let mut found = BTreeSet::new();
        for (status, response) in operation["responses"].as_object().unwrap() {
            let status: u16 = status.parse().unwrap();
            if status < 400 {
                continue;
            }
            for paragraph in response["description"].as_str().unwrap().split("\n\n") {
                let code = paragraph.strip_prefix('`').and_then(|rest| rest.split_once("`:")).map(|(code, _)| code);
                found.insert((status, code.unwrap_or_else(|| panic!("{paragraph:?} names no code")).to_owned()));
            }
        }
        found
    }

    #[test]
    fn every_operation_documents_exactly_the_codes_its_error_table_can_produce() {
        let spec: Value = serde_json::from_str(&crate::api::spec_service().spec()).unwrap();
        let tables: BTreeMap<&str, Vec<&Code>> = every_operation().into_iter().collect();
        let mut seen = BTreeSet::new();
        for methods in spec["paths"].as_object().unwrap().values() {
            for operation in methods.as_object().unwrap().values() {
                let id = operation["operationId"].as_str().unwrap();
                seen.insert(id);
                let expected = tables.get(id).map(|rows| pairs(rows.iter().copied())).unwrap_or_default();
                let documented = documented(operation);
                assert_eq!(documented, expected, "{id}");
                // What poem refuses before the handler runs is the operation's to document too.
                let mut refused_outside = BTreeSet::new();
                if operation.get("requestBody").is_some() {
                    refused_outside.extend(pairs(<BodyError as ErrorTable>::codes()));
                }
                if operation.get("security").is_some() {
                    refused_outside.insert((401, "unauthenticated".to_owned()));
                }
                if operation.get("parameters").is_some() {
                    refused_outside.insert((422, "validation_failed".to_owned()));
                }
                let missing: Vec<_> = refused_outside.difference(&documented).collect();
                assert!(missing.is_empty(), "{id} does not document {missing:?}");
            }
        }
        let undeclared: Vec<_> = tables.keys().filter(|id| !seen.contains(*id)).collect();
        assert!(undeclared.is_empty(), "errors declared for operations the spec lacks: {undeclared:?}");
    }

    #[test]
    fn rows_are_grouped_by_status_each_once_and_headers_are_required_only_when_all_rows_send_them() {
        use super::super::codes::{IDEMPOTENCY_KEY_IN_USE, OUT_OF_STOCK, SERVICE_UNAVAILABLE};
        let grouped = by_status(vec![&OUT_OF_STOCK, &SERVICE_UNAVAILABLE, &IDEMPOTENCY_KEY_IN_USE, &OUT_OF_STOCK]);
        assert_eq!(grouped.keys().copied().collect::<Vec<_>>(), [409, 503]);
        assert_eq!(grouped[&409].len(), 2);
        let conflict = documented_response((409, grouped[&409].clone()));
        let required: Vec<_> = conflict.headers.iter().map(|h| (h.name.as_str(), h.required)).collect();
        assert_eq!(required, [("Idempotency-Replayed", false), ("Retry-After", false)]);
        let unavailable = documented_response((503, grouped[&503].clone()));
        assert!(unavailable.headers.iter().all(|h| h.required));
    }
}
