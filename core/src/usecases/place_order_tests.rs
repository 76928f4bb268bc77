//! Orchestration of `place_order`, with every port mocked.

use super::*;
use crate::domain::{IdempotencyKey, OrderContext, OrderStatus, Product, ProductState, Role, Tier, User};
use crate::usecases::test_support::*;
use mockall::Sequence;
use mockall::predicate::eq;

/// What the store knows: `customer`'s tier and `products`, with their stock if `fresh`.
fn known(customer: &User, products: &[&Product], fresh: bool) -> OrderContext {
    let products = products
        .iter()
        .map(|p| ProductState {
            id: p.id,
            sku: p.sku.clone(),
            name: p.name.clone(),
            price: p.price,
            stock: fresh.then(|| p.stock.units()),
        })
        .collect();
    OrderContext { tier: Some(customer.tier), products }
}

/// The store answers `context` with `context`, for `customer`.
fn knows(ports: &mut MockPorts, customer: &User, context: OrderContext) {
    ports.orders.expect_context().with(eq(customer.id), mockall::predicate::always()).return_once(|_, _| Ok(context));
}

fn key(raw: &str) -> Option<IdempotencyKey> {
    Some(IdempotencyKey::parse(raw).unwrap())
}

fn totals(order: &Order) -> (i64, i64, i64) {
    (order.totals.subtotal.cents(), order.totals.discount.cents(), order.totals.total.cents())
}

#[tokio::test]
async fn places_an_order_with_snapshots_in_the_customers_line_order() {
    let (a, b) = (product("A", 250, 5), product("B", 1999, 5));
    let customer = user(Tier::Standard, Role::Customer);
    let mut ports = MockPorts::new();
    knows(&mut ports, &customer, known(&customer, &[&a, &b], false));
    ports
        .orders
        .expect_place()
        .withf(|order, tier, claim| order.lines.len() == 2 && *tier == Tier::Standard && claim.is_none())
        .times(1)
        .returning(|_, _, _| Ok(Placement::Placed));

    let placed = ports.service().place_order(customer.id, &items(&[(&b, 3), (&a, 1)]), None).await.unwrap();

    assert!(!placed.replayed);
    let order = placed.order;
    let lines: Vec<_> =
        order.lines.iter().map(|l| (l.sku.as_str(), l.quantity.units(), l.line_total.cents())).collect();
    assert_eq!(lines, [("B", 3, 5997), ("A", 1, 250)]);
    assert_eq!(totals(&order), (6247, 0, 6247));
    assert_eq!((order.user_id, order.status, order.currency.as_str()), (customer.id, OrderStatus::Placed, "EUR"));
    assert_eq!(order.created_at, fixed_now());
}

#[tokio::test]
async fn an_order_is_priced_again_when_the_store_finds_its_price_or_tier_changed() {
    let a = product("A", 1005, 5);
    let standard = user(Tier::Standard, Role::Customer);
    let now_premium = User { tier: Tier::Premium, ..standard.clone() };
    let repriced = Product { price: crate::domain::Price::from_cents(2000).unwrap(), ..a.clone() };
    let mut ports = MockPorts::new();
    knows(&mut ports, &standard, known(&standard, &[&a], false));
    let mut sequence = Sequence::new();
    let stale = known(&now_premium, &[&repriced], true);
    ports
        .orders
        .expect_place()
        .withf(|order, tier, _| *tier == Tier::Standard && order.totals.total.cents() == 1005)
        .times(1)
        .in_sequence(&mut sequence)
        .return_once(move |_, _, _| Ok(Placement::Stale(stale)));
    ports
        .orders
        .expect_place()
        .withf(|_, tier, _| *tier == Tier::Premium)
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|_, _, _| Ok(Placement::Placed));

    let order = ports.service().place_order(standard.id, &items(&[(&a, 1)]), None).await.unwrap().order;

    assert_eq!(totals(&order), (2000, 200, 1800));
    assert_eq!(order.lines[0].unit_price.cents(), 2000);
}

#[tokio::test]
async fn a_missing_product_is_refused_without_asking_the_store_to_place_anything() {
    let (a, gone) = (product("A", 1, 5), product("B", 1, 5));
    let customer = user(Tier::Standard, Role::Customer);
    let mut ports = MockPorts::new();
    knows(&mut ports, &customer, known(&customer, &[&a], false));
    ports.orders.expect_place().times(0);
    let result = ports.service().place_order(customer.id, &items(&[(&a, 1), (&gone, 1)]), None).await;
    assert!(matches!(
        result,
        Err(PlaceOrderError::Refused { reason: Refusal::ProductNotFound { product_id }, replayed: false })
            if product_id == gone.id
    ));
}

#[tokio::test]
async fn a_line_found_short_when_placing_is_refused_naming_it_with_the_stock_there_is() {
    let (first, second) = (product("A", 1, 5), product("B", 1, 1));
    let customer = user(Tier::Standard, Role::Customer);
    let mut ports = MockPorts::new();
    knows(&mut ports, &customer, known(&customer, &[&first, &second], false));
    let now = known(&customer, &[&first, &second], true);
    ports.orders.expect_place().times(1).return_once(move |_, _, _| Ok(Placement::Stale(now)));
    let result = ports.service().place_order(customer.id, &items(&[(&first, 2), (&second, 3)]), None).await;
    assert!(matches!(
        result,
        Err(PlaceOrderError::Refused { reason: Refusal::OutOfStock { product_id, requested: 3, available: 1 }, .. })
            if product_id == second.id
    ));
}

#[tokio::test]
async fn the_key_travels_with_the_order_it_places() {
    let a = product("A", 100, 5);
    let customer = user(Tier::Standard, Role::Customer);
    let mut ports = MockPorts::new();
    knows(&mut ports, &customer, known(&customer, &[&a], false));
    ports
        .orders
        .expect_place()
        .withf(|order, _, claim| {
            claim.is_some_and(|c| c.key.as_str() == "k1" && c.order_id == order.id && c.at == fixed_now())
        })
        .times(1)
        .returning(|_, _, _| Ok(Placement::Placed));
    let placed = ports.service().place_order(customer.id, &items(&[(&a, 1)]), key("k1")).await.unwrap();
    assert!(!placed.replayed);
}

#[tokio::test]
async fn a_retry_replays_the_first_order_as_placed_and_places_nothing() {
    let a = product("A", 100, 5);
    let customer = user(Tier::Standard, Role::Customer);
    let request = items(&[(&a, 1)]);
    let first = order_of(&customer, &[(a.clone(), 1)]);
    let since_cancelled = Order { status: OrderStatus::Cancelled, cancelled_at: Some(fixed_now()), ..first.clone() };
    let mut ports = MockPorts::new();
    knows(&mut ports, &customer, known(&customer, &[&a], false));
    let record =
        IdempotencyRecord { fingerprint: RequestFingerprint::of(&request), outcome: RecordedOutcome::Placed(first.id) };
    ports.orders.expect_place().times(1).return_once(move |_, _, _| Ok(Placement::KeyUsed(record)));
    ports.orders.expect_by_id().with(eq(first.id)).returning(move |_| Ok(Some(since_cancelled.clone())));

    let placed = ports.service().place_order(customer.id, &request, key("k1")).await.unwrap();
    assert_eq!(placed, Placed { order: first, replayed: true });
}

#[tokio::test]
async fn the_same_key_with_another_request_is_refused() {
    let (a, b) = (product("A", 100, 5), product("B", 100, 5));
    let customer = user(Tier::Standard, Role::Customer);
    let mut ports = MockPorts::new();
    knows(&mut ports, &customer, known(&customer, &[&a], false));
    let record = IdempotencyRecord {
        fingerprint: RequestFingerprint::of(&items(&[(&b, 1)])),
        outcome: RecordedOutcome::Placed(OrderId::generate()),
    };
    ports.orders.expect_place().return_once(move |_, _, _| Ok(Placement::KeyUsed(record)));
    let result = ports.service().place_order(customer.id, &items(&[(&a, 1)]), key("k1")).await;
    assert!(matches!(result, Err(PlaceOrderError::IdempotencyKeyReused)));
}

#[tokio::test]
async fn a_key_still_in_use_is_reported_as_such() {
    let a = product("A", 100, 5);
    let customer = user(Tier::Standard, Role::Customer);
    let mut ports = MockPorts::new();
    knows(&mut ports, &customer, known(&customer, &[&a], false));
    ports.orders.expect_place().returning(|_, _, _| Ok(Placement::KeyInUse));
    let result = ports.service().place_order(customer.id, &items(&[(&a, 1)]), key("k1")).await;
    assert!(matches!(result, Err(PlaceOrderError::IdempotencyKeyInUse)));
}

#[tokio::test]
async fn a_refusal_under_a_key_is_remembered_and_replayed_later() {
    let a = product("A", 100, 0);
    let customer = user(Tier::Standard, Role::Customer);
    let request = items(&[(&a, 2)]);
    let out_of_stock = Refusal::OutOfStock { product_id: a.id, requested: 2, available: 0 };

    let mut ports = MockPorts::new();
    knows(&mut ports, &customer, known(&customer, &[&a], true));
    ports.orders.expect_place().times(0);
    ports
        .idempotency
        .expect_record_refusal()
        .withf(move |claim, refusal| claim.key.as_str() == "k1" && *refusal == out_of_stock)
        .times(1)
        .returning(|_, _| Ok(Claim::Claimed));
    let result = ports.service().place_order(customer.id, &request, key("k1")).await;
    assert!(matches!(result, Err(PlaceOrderError::Refused { replayed: false, .. })));

    let mut ports = MockPorts::new();
    knows(&mut ports, &customer, known(&customer, &[&a], true));
    let record = IdempotencyRecord {
        fingerprint: RequestFingerprint::of(&request),
        outcome: RecordedOutcome::Refused(out_of_stock),
    };
    ports.idempotency.expect_record_refusal().return_once(move |_, _| Ok(Claim::Existing(record)));
    let result = ports.service().place_order(customer.id, &request, key("k1")).await;
    assert!(matches!(result, Err(PlaceOrderError::Refused { reason, replayed: true }) if reason == out_of_stock));
}

#[tokio::test]
async fn a_store_failure_is_the_requests_failure() {
    let a = product("A", 1, 5);
    let customer = user(Tier::Standard, Role::Customer);
    let mut ports = MockPorts::new();
    knows(&mut ports, &customer, known(&customer, &[&a], false));
    ports.orders.expect_place().returning(|_, _, _| Err(BackendError::unavailable("connection reset")));
    let result = ports.service().place_order(customer.id, &items(&[(&a, 1)]), None).await;
    assert!(matches!(result, Err(PlaceOrderError::Backend(BackendError::Unavailable(_)))));
}

#[tokio::test]
async fn terms_that_keep_changing_end_in_unavailable_after_a_few_attempts() {
    let a = product("A", 1, 5);
    let customer = user(Tier::Standard, Role::Customer);
    let mut ports = MockPorts::new();
    knows(&mut ports, &customer, known(&customer, &[&a], false));
    let stale = known(&customer, &[&a], true);
    ports.orders.expect_place().times(PLACEMENT_ATTEMPTS).returning(move |_, _, _| Ok(Placement::Stale(stale.clone())));
    let result = ports.service().place_order(customer.id, &items(&[(&a, 1)]), None).await;
    assert!(matches!(result, Err(PlaceOrderError::Backend(BackendError::Unavailable(_)))));
}

#[tokio::test]
async fn a_customer_who_vanished_places_nothing() {
    let a = product("A", 1, 5);
    let customer = user(Tier::Standard, Role::Customer);
    let mut ports = MockPorts::new();
    knows(&mut ports, &customer, OrderContext { tier: None, products: known(&customer, &[&a], false).products });
    ports.orders.expect_place().times(0);
    let result = ports.service().place_order(customer.id, &items(&[(&a, 1)]), None).await;
    assert!(matches!(result, Err(PlaceOrderError::UnknownCustomer)));
}
