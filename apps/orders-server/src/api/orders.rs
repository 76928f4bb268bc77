//! Orders: a customer places, reads, lists and cancels their own; an admin may read,
//! list and cancel anyone's. Placing is idempotent under an `Idempotency-Key`.

use super::ApiTags;
use super::answer::JsonAnswer;
use super::body::JsonBody;
use super::cursors::{CursorKey, Listing};
use super::dto::documented::{PageLimit, UuidText};
use super::dto::orders::{OrderPage, OrderResponse, PlaceOrderRequest};
use super::dto::pages::page_request;
use super::errors::ApiError;
use super::errors::operations::{CancelOrderErrors, GetOrderErrors, ListOrdersErrors, PlaceOrderErrors};
use super::idempotency_key::IdempotencyKeyParam;
use super::security::Caller;
use crate::metrics::events;
use orders_core::domain::{OrderId, UserId};
use orders_core::usecases::{Placed, Service};
use poem_openapi::param::{Path, Query};
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

pub struct OrdersApi {
    pub service: Service,
    pub cursors: CursorKey,
}

#[derive(ApiResponse)]
pub enum PlaceOrderAnswer {
    /// The order was placed; `Location` is its URI. With `Idempotency-Replayed: true`,
    /// it was placed by an earlier request with the same `Idempotency-Key`, and this
    /// request placed nothing: the body is the order as it was placed.
    #[oai(status = 201)]
    Placed(
        JsonAnswer<OrderResponse>,
        #[oai(header = "Location")] String,
        #[oai(header = "Idempotency-Replayed")] Option<String>,
    ),
}

#[derive(ApiResponse)]
pub enum OrderAnswer {
    /// The order.
    #[oai(status = 200)]
    Ok(JsonAnswer<OrderResponse>),
}

#[derive(ApiResponse)]
pub enum OrderPageAnswer {
    /// A page of orders, newest first.
    #[oai(status = 200)]
    Ok(JsonAnswer<OrderPage>),
}

fn location(id: Uuid) -> String {
    format!("/v1/orders/{id}")
}

#[OpenApi(tag = "ApiTags::Orders")]
impl OrdersApi {
    /// Place an order
    ///
    /// For the caller, priced with their tier as it is now: premium users get 10% off
    /// the subtotal, rounded half up to a cent. All or nothing: either the order exists
    /// and every line's stock went down, or nothing changed.
    ///
    /// With an `Idempotency-Key`, a retry with the same key and the same body answers
    /// what the first request answered (the same status and body, with
    /// `Idempotency-Replayed: true`) and places nothing: a placed order, and also a
    /// refusal (`product_not_found`, `out_of_stock`, or a total too large). A refused
    /// placement is remembered as refused even if stock arrives later: send a new key
    /// to try again. Keys are the caller's own (another user may use the same key) and
    /// are remembered for at least 24 hours. Requests refused as invalid (`400`, `422
    /// validation_failed`) are not remembered.
    #[oai(path = "/v1/orders", method = "post", operation_id = "placeOrder")]
    async fn place_order(
        &self,
        caller: Caller,
        /// 1 to 255 printable ASCII characters, chosen by the client (a UUID is a good
        /// choice); makes retries of this request safe.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: IdempotencyKeyParam,
        body: JsonBody<PlaceOrderRequest>,
    ) -> Result<PlaceOrderAnswer, ApiError<PlaceOrderErrors>> {
        let outcome = async {
            let (items, key) = body.0.try_into_domain(idempotency_key.0.as_deref())?;
            Ok(self.service.place_order(caller.id(), &items, key).await?)
        }
        .await;
        events::order_placement(&outcome);
        let Placed { order, replayed } = outcome?;
        let location = location(order.id.as_uuid());
        Ok(PlaceOrderAnswer::Placed(JsonAnswer(order.into()), location, replayed.then(|| "true".to_owned())))
    }

    /// List orders
    ///
    /// Newest first. A customer sees their own orders (`user_id`, if given, must be
    /// their own); an admin sees everyone's, or one user's with `user_id`. Orders placed
    /// while you page never appear twice and are never skipped.
    #[oai(path = "/v1/orders", method = "get", operation_id = "listOrders")]
    async fn list_orders(
        &self,
        caller: Caller,
        /// Orders per page, 1 to 100 (default 20).
        limit: Query<Option<PageLimit>>,
        /// The `next_cursor` of the previous page; absent for the first page.
        cursor: Query<Option<String>>,
        /// Admins: only this user's orders.
        user_id: Query<Option<UuidText>>,
    ) -> Result<OrderPageAnswer, ApiError<ListOrdersErrors>> {
        let of_user = user_id.0.map(|id| id.parse("user_id")).transpose()?.map(UserId::from_uuid);
        let listing = Listing::Orders { caller: caller.id().as_uuid(), of_user: of_user.map(|id| id.as_uuid()) };
        let request = page_request(limit.0, cursor.0.as_deref(), &self.cursors, listing)?;
        let actor = caller.actor(&self.service).await?;
        let page = self.service.list_orders(&actor, of_user, request).await?;
        Ok(OrderPageAnswer::Ok(JsonAnswer(OrderPage::new(page, &self.cursors, listing))))
    }

    /// Read an order
    ///
    /// Its owner or an admin may; to anyone else it does not exist (`404`).
    #[oai(path = "/v1/orders/:id", method = "get", operation_id = "getOrder")]
    async fn get_order(
        &self,
        caller: Caller,
        /// The order's id.
        id: Path<UuidText>,
    ) -> Result<OrderAnswer, ApiError<GetOrderErrors>> {
        let id = OrderId::from_uuid(id.parse("id")?);
        let order = self.service.get_order(&caller.actor(&self.service).await?, id).await?;
        Ok(OrderAnswer::Ok(JsonAnswer(order.into())))
    }

    /// Cancel an order
    ///
    /// Its owner or an admin may (to anyone else it does not exist: `404`). Only a
    /// `placed` order can be cancelled, once: every line's quantity goes back to stock
    /// in the same step that marks it `cancelled`.
    #[oai(path = "/v1/orders/:id/cancel", method = "post", operation_id = "cancelOrder")]
    async fn cancel_order(
        &self,
        caller: Caller,
        /// The order's id.
        id: Path<UuidText>,
    ) -> Result<OrderAnswer, ApiError<CancelOrderErrors>> {
        let id = OrderId::from_uuid(id.parse("id")?);
        let order = self.service.cancel_order(&caller.actor(&self.service).await?, id).await?;
        events::order_cancelled();
        Ok(OrderAnswer::Ok(JsonAnswer(order.into())))
    }
}
