//! The error table: for every error a request can end in, which row of
//! [`codes`](super::codes) answers it. One `error_table!` per error type: the use
//! cases' errors, refused input, and the store failing.

use super::codes::*;
use super::table::error_table;
use crate::api::address_limits::AddressThrottled;
use crate::api::body::BodyError;
use crate::api::problem::Problem;
use orders_core::domain::{Invalid, Refusal, Violations};
use orders_core::ports::BackendError;
use orders_core::usecases::{
    AuthenticateError, CancelOrderError, CreateProductError, CreateWebhookError, CurrentUserError, DeleteWebhookError,
    GetOrderError, GetProductError, ListDeliveriesError, ListEventsError, ListOrdersError, ListWebhooksError,
    PlaceOrderError, RegisterError, RestockError, RetryDeliveryError, UpdateProductError, UpdateUserError,
};

/// The detail of a 401 for a token that is no longer good.
const TOKEN_NOT_GOOD: &str = "the access token is malformed, expired, or names no user; log in again";

/// `problem` naming each refused field.
fn naming(problem: Problem, violations: &Violations) -> Problem {
    problem.with_detail(format!("the request is not valid: {violations}")).with_violations(violations)
}

error_table!(BackendError as error {
    BackendError::Unavailable(_) => SERVICE_UNAVAILABLE;
    BackendError::Failed(_) => INTERNAL_ERROR;
});

error_table!(Violations as violations {
    _ => VALIDATION_FAILED, with |problem| naming(problem, violations);
});

error_table!(BodyError as error {
    BodyError::Malformed(_) => MALFORMED_REQUEST;
    BodyError::TooLarge => PAYLOAD_TOO_LARGE;
    BodyError::UnsupportedMediaType(_) => UNSUPPORTED_MEDIA_TYPE;
    BodyError::Invalid(violations) => VALIDATION_FAILED, with |problem| naming(problem, violations);
});

/// `GET /ready` when the database does not answer.
#[derive(Debug, thiserror::Error)]
#[error("the database does not answer")]
pub struct NotReady(#[source] pub BackendError);

error_table!(NotReady as error {
    NotReady(_) => NOT_READY;
});

error_table!(AddressThrottled as error {
    AddressThrottled { retry_after_seconds } => TOO_MANY_FROM_ADDRESS,
        with |problem| problem.with_header(poem::http::header::RETRY_AFTER, retry_after_seconds);
});

error_table!(CurrentUserError as error {
    CurrentUserError::Unauthenticated => UNAUTHENTICATED, with |problem| problem.with_detail(TOKEN_NOT_GOOD);
} backend CurrentUserError::Backend);

error_table!(RegisterError as error {
    RegisterError::EmailTaken => EMAIL_TAKEN;
} backend RegisterError::Backend);

error_table!(AuthenticateError as error {
    AuthenticateError::InvalidCredentials => INVALID_CREDENTIALS;
    AuthenticateError::TooManyAttempts { retry_after_seconds } => TOO_MANY_ATTEMPTS,
        with |problem| problem.with_header(poem::http::header::RETRY_AFTER, retry_after_seconds);
} backend AuthenticateError::Backend);

error_table!(UpdateUserError as error {
    UpdateUserError::Forbidden => FORBIDDEN;
    UpdateUserError::NotFound => USER_NOT_FOUND;
} backend UpdateUserError::Backend);

error_table!(GetProductError as error {
    GetProductError::NotFound => PRODUCT_NOT_FOUND;
} backend GetProductError::Backend);

error_table!(CreateProductError as error {
    CreateProductError::Forbidden => FORBIDDEN;
    CreateProductError::SkuTaken => SKU_TAKEN;
} backend CreateProductError::Backend);

error_table!(UpdateProductError as error {
    UpdateProductError::Forbidden => FORBIDDEN;
    UpdateProductError::NotFound => PRODUCT_NOT_FOUND;
} backend UpdateProductError::Backend);

error_table!(RestockError as error {
    RestockError::Forbidden => FORBIDDEN;
    RestockError::NotFound => PRODUCT_NOT_FOUND;
    RestockError::StockLimit { .. } => STOCK_LIMIT,
        with |problem| naming(problem, &Violations::one("quantity", Invalid::new(error.to_string())));
} backend RestockError::Backend);

error_table!(PlaceOrderError as error {
    PlaceOrderError::Refused { reason: Refusal::ProductNotFound { product_id }, replayed } => ORDERED_PRODUCT_NOT_FOUND,
        with |problem| problem.with_details(|d| d.product_id = Some(product_id.as_uuid())).replayed(*replayed);
    PlaceOrderError::Refused { reason: Refusal::OutOfStock { product_id, requested, available }, replayed } => OUT_OF_STOCK,
        with |problem| problem.with_details(|d| {
            d.product_id = Some(product_id.as_uuid());
            d.requested = Some(*requested);
            d.available = Some(*available);
        }).replayed(*replayed);
    PlaceOrderError::Refused { reason: Refusal::PriceOverflow(overflow), replayed } => ORDER_TOO_LARGE,
        with |problem| naming(problem, &Violations::one("items", Invalid::new(overflow.to_string()))).replayed(*replayed);
    PlaceOrderError::IdempotencyKeyReused => IDEMPOTENCY_KEY_REUSED;
    PlaceOrderError::IdempotencyKeyInUse => IDEMPOTENCY_KEY_IN_USE;
    PlaceOrderError::UnknownCustomer => UNAUTHENTICATED, with |problem| problem.with_detail(TOKEN_NOT_GOOD);
} backend PlaceOrderError::Backend);

error_table!(GetOrderError as error {
    GetOrderError::NotFound => ORDER_NOT_FOUND;
} backend GetOrderError::Backend);

error_table!(ListOrdersError as error {
    ListOrdersError::Forbidden => OTHER_USERS_ORDERS;
} backend ListOrdersError::Backend);

error_table!(CancelOrderError as error {
    CancelOrderError::NotFound => ORDER_NOT_FOUND;
    CancelOrderError::NotCancellable => ORDER_NOT_CANCELLABLE;
} backend CancelOrderError::Backend);

error_table!(ListEventsError as error {
    ListEventsError::Forbidden => FORBIDDEN;
} backend ListEventsError::Backend);

error_table!(CreateWebhookError as error {
    CreateWebhookError::Forbidden => FORBIDDEN;
    CreateWebhookError::TargetRefused(refused) => WEBHOOK_TARGET_REFUSED,
        with |problem| naming(problem, &Violations::one("url", Invalid::new(refused.to_string())));
} backend CreateWebhookError::Backend);

error_table!(ListWebhooksError as error {
    ListWebhooksError::Forbidden => FORBIDDEN;
} backend ListWebhooksError::Backend);

error_table!(DeleteWebhookError as error {
    DeleteWebhookError::Forbidden => FORBIDDEN;
    DeleteWebhookError::NotFound => WEBHOOK_NOT_FOUND;
} backend DeleteWebhookError::Backend);

error_table!(ListDeliveriesError as error {
    ListDeliveriesError::Forbidden => FORBIDDEN;
    ListDeliveriesError::NotFound => WEBHOOK_NOT_FOUND;
} backend ListDeliveriesError::Backend);

error_table!(RetryDeliveryError as error {
    RetryDeliveryError::Forbidden => FORBIDDEN;
    RetryDeliveryError::NotFound => DELIVERY_NOT_FOUND;
} backend RetryDeliveryError::Backend);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::errors::ErrorTable;
    use orders_core::domain::{PriceOverflow, ProductId};
    use std::collections::BTreeSet;

    fn pair(problem: &Problem) -> (u16, String) {
        (problem.status().as_u16(), problem.details().code.clone())
    }

    /// One example of every variant of `E` answers from its listed rows, and together
    /// they produce every listed row.
    #[track_caller]
    fn produce_exactly_the_listed_codes<E: ErrorTable>(examples: Vec<E>) {
        let produced: BTreeSet<_> = examples.iter().map(|error| pair(&error.answer())).collect();
        let listed: BTreeSet<_> = E::codes().iter().map(|row| (row.status, row.code.to_owned())).collect();
        assert_eq!(produced, listed, "{}", std::any::type_name::<E>());
    }

    fn down() -> BackendError {
        BackendError::unavailable("connection refused")
    }

    fn broken() -> BackendError {
        BackendError::failed("disk I/O error")
    }

    /// `examples`, and the two ways `backend` can carry the store's failure.
    fn and_backend<E>(mut examples: Vec<E>, backend: fn(BackendError) -> E) -> Vec<E> {
        examples.extend([backend(down()), backend(broken())]);
        examples
    }

    #[test]
    fn every_table_produces_exactly_the_codes_it_lists() {
        let invalid = || Violations::one("items", Invalid::new("an order has 1 to 100 lines"));
        produce_exactly_the_listed_codes(vec![down(), broken()]);
        produce_exactly_the_listed_codes(vec![invalid()]);
        produce_exactly_the_listed_codes(vec![
            BodyError::Malformed("EOF".to_owned()),
            BodyError::TooLarge,
            BodyError::UnsupportedMediaType("text/plain".to_owned()),
            BodyError::Invalid(invalid()),
        ]);
        produce_exactly_the_listed_codes(vec![NotReady(down())]);
        produce_exactly_the_listed_codes(and_backend(
            vec![CurrentUserError::Unauthenticated],
            CurrentUserError::Backend,
        ));
        produce_exactly_the_listed_codes(and_backend(vec![RegisterError::EmailTaken], RegisterError::Backend));
        produce_exactly_the_listed_codes(and_backend(
            vec![AuthenticateError::InvalidCredentials, AuthenticateError::TooManyAttempts { retry_after_seconds: 60 }],
            AuthenticateError::Backend,
        ));
        produce_exactly_the_listed_codes(and_backend(
            vec![UpdateUserError::Forbidden, UpdateUserError::NotFound],
            UpdateUserError::Backend,
        ));
        produce_exactly_the_listed_codes(and_backend(vec![GetProductError::NotFound], GetProductError::Backend));
        produce_exactly_the_listed_codes(and_backend(
            vec![CreateProductError::Forbidden, CreateProductError::SkuTaken],
            CreateProductError::Backend,
        ));
        produce_exactly_the_listed_codes(and_backend(
            vec![UpdateProductError::Forbidden, UpdateProductError::NotFound],
            UpdateProductError::Backend,
        ));
        produce_exactly_the_listed_codes(and_backend(
            vec![RestockError::Forbidden, RestockError::NotFound, RestockError::StockLimit { stock: 999_999_999 }],
            RestockError::Backend,
        ));
        let product_id = ProductId::generate();
        let out_of_stock = Refusal::OutOfStock { product_id, requested: 3, available: 1 };
        produce_exactly_the_listed_codes(and_backend(
            vec![
                PlaceOrderError::Refused { reason: Refusal::ProductNotFound { product_id }, replayed: false },
                PlaceOrderError::Refused { reason: out_of_stock, replayed: true },
                PlaceOrderError::Refused { reason: Refusal::PriceOverflow(PriceOverflow), replayed: false },
                PlaceOrderError::IdempotencyKeyReused,
                PlaceOrderError::IdempotencyKeyInUse,
                PlaceOrderError::UnknownCustomer,
            ],
            PlaceOrderError::Backend,
        ));
        produce_exactly_the_listed_codes(and_backend(vec![GetOrderError::NotFound], GetOrderError::Backend));
        produce_exactly_the_listed_codes(and_backend(vec![ListOrdersError::Forbidden], ListOrdersError::Backend));
        produce_exactly_the_listed_codes(and_backend(
            vec![CancelOrderError::NotFound, CancelOrderError::NotCancellable],
            CancelOrderError::Backend,
        ));
        produce_exactly_the_listed_codes(and_backend(vec![ListEventsError::Forbidden], ListEventsError::Backend));
        produce_exactly_the_listed_codes(and_backend(
            vec![
                CreateWebhookError::Forbidden,
                CreateWebhookError::TargetRefused(orders_core::ports::TargetRefused::NotHttps),
            ],
            CreateWebhookError::Backend,
        ));
        produce_exactly_the_listed_codes(and_backend(vec![ListWebhooksError::Forbidden], ListWebhooksError::Backend));
        produce_exactly_the_listed_codes(and_backend(
            vec![DeleteWebhookError::Forbidden, DeleteWebhookError::NotFound],
            DeleteWebhookError::Backend,
        ));
        produce_exactly_the_listed_codes(and_backend(
            vec![ListDeliveriesError::Forbidden, ListDeliveriesError::NotFound],
            ListDeliveriesError::Backend,
        ));
        produce_exactly_the_listed_codes(and_backend(
            vec![RetryDeliveryError::Forbidden, RetryDeliveryError::NotFound],
            RetryDeliveryError::Backend,
        ));
    }

    #[test]
    fn a_refused_webhook_target_names_the_url() {
        let refused = orders_core::ports::TargetRefused::Private {
            host: "internal.example".to_owned(),
            address: "10.0.0.7".parse().unwrap(),
        };
        let problem = Problem::from(CreateWebhookError::TargetRefused(refused));
        assert_eq!(pair(&problem), (422, "validation_failed".to_owned()));
        assert!(problem.details().detail.contains("10.0.0.7"), "{}", problem.details().detail);
    }

    #[test]
    fn a_refused_order_names_its_product_and_says_whether_it_is_replayed() {
        let product_id = ProductId::generate();
        let refusal = Refusal::OutOfStock { product_id, requested: 3, available: 1 };
        let problem = Problem::from(PlaceOrderError::Refused { reason: refusal, replayed: true });
        let details = problem.details();
        assert_eq!(
            (details.product_id, details.requested, details.available),
            (Some(product_id.as_uuid()), Some(3), Some(1))
        );
        let response = poem::IntoResponse::into_response(problem);
        assert_eq!(response.headers()["idempotency-replayed"], "true");
        let fresh = Problem::from(PlaceOrderError::Refused { reason: refusal, replayed: false });
        assert!(poem::IntoResponse::into_response(fresh).headers().get("idempotency-replayed").is_none());
    }

    #[test]
    fn server_errors_hide_their_cause_and_carry_their_fixed_headers() {
        for (error, status, header) in [(down(), 503, Some("1")), (broken(), 500, None)] {
            let problem = Problem::from(error);
            assert_eq!(problem.status().as_u16(), status);
            assert!(
                !problem.details().detail.contains("connection refused") && !problem.details().detail.contains("disk")
            );
            let response = poem::IntoResponse::into_response(problem);
            assert_eq!(response.headers().get("retry-after").map(|v| v.to_str().unwrap()), header);
        }
        let throttled = poem::IntoResponse::into_response(Problem::from(AuthenticateError::TooManyAttempts {
            retry_after_seconds: 42,
        }));
        assert_eq!(throttled.headers()["retry-after"], "42");
    }
}
