//! Orchestration of `place_order`, with every port mocked.

use super::*;
use crate::domain::{IdempotencyKey, OrderRequestLine, Product, Role, Tier, User, UserId};
use crate::ports::{MockOrderTx, TakenProduct};
use crate::usecases::test_support::*;
use mockall::Sequence;
use mockall::predicate::eq;

/// `take_stock` for `customer` serving every line it is given from `products`.
fn takes(
    customer: &User,
    products: &[&Product],
) -> impl FnOnce(UserId, &[OrderRequestLine]) -> StockTake + Send + 'static {
    let customer = customer.clone();
    let products: Vec<Product> = products.iter().map(|p| (*p).clone()).collect();
    move |id, lines| {
        assert_eq!(id, customer.id, "the unit reads the customer the order is for");
        let products = lines
            .iter()
            .map(|line| {
                let p = products.iter().find(|p| p.id == line.product_id).expect("a known product");
                TakenProduct { sku: p.sku.clone(), name: p.name.clone(), price: p.price }
            })
            .collect();
        StockTake::Taken { customer, products }
    }
}

/// A unit of work whose `take_stock` answers with `answer`, expecting `commits` commits.
fn tx(answer: impl FnOnce(UserId, &[OrderRequestLine]) -> StockTake + Send + 'static, commits: usize) -> MockOrderTx {
    let mut tx = MockOrderTx::new();
    tx.expect_take_stock().return_once(move |id, lines| Ok(answer(id, lines)));
    tx.expect_insert_order().times(commits).returning(|_| Ok(()));
    tx.expect_commit().times(commits).returning(|| Ok(()));
    tx
}

fn begins(ports: &mut MockPorts, tx: MockOrderTx) {
    ports.orders.expect_begin().times(1).return_once(move || Ok(Box::new(tx)));
}

fn key(raw: &str) -> Option<IdempotencyKey> {
    Some(IdempotencyKey::parse(raw).unwrap())
}

#[tokio::test]
async fn places_an_order_with_snapshots_in_the_customers_line_order() {
    let (a, b) = (product("A", 250, 5), product("B", 1999, 5));
    let customer = user(Tier::Standard, Role::Customer);
    let mut ports = MockPorts::new();
    begins(&mut ports, tx(takes(&customer, &[&a, &b]), 1));

    let placed = ports.service().place_order(customer.id, &items(&[(&b, 3), (&a, 1)]), None).await.unwrap();

    assert!(!placed.replayed);
    let order = placed.order;
    let lines: Vec<_> =
        order.lines.iter().map(|l| (l.sku.as_str(), l.quantity.units(), l.line_total.cents())).collect();
    assert_eq!(lines, [("B", 3, 5997), ("A", 1, 250)]);
    assert_eq!(
        (order.totals.subtotal.cents(), order.totals.discount.cents(), order.totals.total.cents()),
        (6247, 0, 6247)
    );
    assert_eq!((order.user_id, order.status, order.currency.as_str()), (customer.id, OrderStatus::Placed, "EUR"));
}

#[tokio::test]
async fn stock_is_taken_in_product_id_order_whatever_the_request_order() {
    let (a, b, c) = (product("A", 1, 5), product("B", 1, 5), product("C", 1, 5));
    let customer = user(Tier::Standard, Role::Customer);
    let mut tx = MockOrderTx::new();
    let in_id_order = [a.id, b.id, c.id];
    let serve = takes(&customer, &[&a, &b, &c]);
    tx.expect_take_stock()
        .withf(move |_, lines: &[OrderRequestLine]| lines.iter().map(|l| l.product_id).eq(in_id_order))
        .times(1)
        .return_once(move |id, lines| Ok(serve(id, lines)));
    tx.expect_insert_order().returning(|_| Ok(()));
    tx.expect_commit().returning(|| Ok(()));
    let mut ports = MockPorts::new();
    begins(&mut ports, tx);
    ports.service().place_order(customer.id, &items(&[(&c, 1), (&a, 1), (&b, 1)]), None).await.unwrap();
}

#[tokio::test]
async fn the_premium_discount_uses_the_tier_the_customer_has_at_placement() {
    let a = product("A", 1005, 5);
    let premium = user(Tier::Premium, Role::Customer);
    let mut ports = MockPorts::new();
    begins(&mut ports, tx(takes(&premium, &[&a]), 1));
    let order = ports.service().place_order(premium.id, &items(&[(&a, 1)]), None).await.unwrap().order;
    assert_eq!(
        (order.totals.subtotal.cents(), order.totals.discount.cents(), order.totals.total.cents()),
        (1005, 101, 904)
    );
}

#[tokio::test]
async fn a_missing_product_stops_placement_before_any_write_and_nothing_is_committed() {
    let a = product("A", 1, 5);
    let mut ports = MockPorts::new();
    begins(&mut ports, tx(move |_, _| StockTake::Missing(a.id), 0));
    ports.products.expect_by_ids().returning(|_| Ok(vec![]));
    let customer = user(Tier::Standard, Role::Customer);
    let result = ports.service().place_order(customer.id, &items(&[(&a, 1)]), None).await;
    assert!(matches!(
        result,
        Err(PlaceOrderError::Refused { reason: Refusal::ProductNotFound { product_id }, replayed: false }) if product_id == a.id
    ));
}

#[tokio::test]
async fn out_of_stock_on_the_second_line_commits_nothing_and_names_the_line() {
    let (first, second) = (product("A", 1, 5), product("B", 1, 1));
    let mut ports = MockPorts::new();
    let short = second.id;
    begins(&mut ports, tx(move |_, _| StockTake::Short { product_id: short, available: 1 }, 0));
    let (f, s) = (first.clone(), second.clone());
    ports.products.expect_by_ids().returning(move |_| Ok(vec![f.clone(), s.clone()]));
    let customer = user(Tier::Standard, Role::Customer);
    let result = ports.service().place_order(customer.id, &items(&[(&first, 2), (&second, 3)]), None).await;
    assert!(matches!(
        result,
        Err(PlaceOrderError::Refused { reason: Refusal::OutOfStock { product_id, requested: 3, available: 1 }, .. })
            if product_id == second.id
    ));
}

#[tokio::test]
async fn a_missing_product_wins_over_a_short_one_and_the_first_missing_in_request_order_is_named() {
    let (short, gone, also_gone) = (product("A", 1, 0), product("B", 1, 0), product("C", 1, 0));
    let mut ports = MockPorts::new();
    let short_id = short.id;
    begins(&mut ports, tx(move |_, _| StockTake::Short { product_id: short_id, available: 0 }, 0));
    let existing = short.clone();
    ports.products.expect_by_ids().returning(move |_| Ok(vec![existing.clone()]));
    let customer = user(Tier::Standard, Role::Customer);
    let request = items(&[(&short, 1), (&also_gone, 1), (&gone, 1)]);
    let result = ports.service().place_order(customer.id, &request, None).await;
    assert!(matches!(
        result,
        Err(PlaceOrderError::Refused { reason: Refusal::ProductNotFound { product_id }, .. }) if product_id == also_gone.id
    ));
}

#[tokio::test]
async fn the_key_is_claimed_in_the_unit_of_work_with_the_order_it_places() {
    let a = product("A", 100, 5);
    let customer = user(Tier::Standard, Role::Customer);
    let mut unit = tx(takes(&customer, &[&a]), 0);
    let mut sequence = Sequence::new();
    unit.expect_claim_key()
        .withf(|claim| claim.key.as_str() == "k1" && claim.at == fixed_now())
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|_| Ok(Claim::Claimed));
    unit.expect_insert_order().times(1).in_sequence(&mut sequence).returning(|_| Ok(()));
    unit.expect_commit().times(1).in_sequence(&mut sequence).returning(|| Ok(()));
    let mut ports = MockPorts::new();
    begins(&mut ports, unit);
    let placed = ports.service().place_order(customer.id, &items(&[(&a, 1)]), key("k1")).await.unwrap();
    assert!(!placed.replayed);
}

#[tokio::test]
async fn a_retry_replays_the_first_order_as_placed_and_takes_no_stock() {
    let a = product("A", 100, 5);
    let customer = user(Tier::Standard, Role::Customer);
    let request = items(&[(&a, 1)]);
    let first = order_of(&customer, &[(a.clone(), 1)]);
    let since_cancelled = Order { status: OrderStatus::Cancelled, cancelled_at: Some(fixed_now()), ..first.clone() };

    let mut unit = MockOrderTx::new();
    let record =
        IdempotencyRecord { fingerprint: RequestFingerprint::of(&request), outcome: RecordedOutcome::Placed(first.id) };
    unit.expect_claim_key().return_once(move |_| Ok(Claim::Existing(record)));
    unit.expect_take_stock().times(0);
    unit.expect_commit().times(0);
    let mut ports = MockPorts::new();
    begins(&mut ports, unit);
    ports.orders.expect_by_id().with(eq(first.id)).returning(move |_| Ok(Some(since_cancelled.clone())));

    let placed = ports.service().place_order(customer.id, &request, key("k1")).await.unwrap();
    assert_eq!(placed, Placed { order: first, replayed: true });
}

#[tokio::test]
async fn the_same_key_with_another_request_is_refused() {
    let (a, b) = (product("A", 100, 5), product("B", 100, 5));
    let mut unit = MockOrderTx::new();
    let record = IdempotencyRecord {
        fingerprint: RequestFingerprint::of(&items(&[(&b, 1)])),
        outcome: RecordedOutcome::Placed(OrderId::generate()),
    };
    unit.expect_claim_key().return_once(move |_| Ok(Claim::Existing(record)));
    unit.expect_commit().times(0);
    let mut ports = MockPorts::new();
    begins(&mut ports, unit);
    let customer = user(Tier::Standard, Role::Customer);
    let result = ports.service().place_order(customer.id, &items(&[(&a, 1)]), key("k1")).await;
    assert!(matches!(result, Err(PlaceOrderError::IdempotencyKeyReused)));
}

#[tokio::test]
async fn a_key_still_in_use_is_reported_as_such() {
    let a = product("A", 100, 5);
    let mut unit = MockOrderTx::new();
    unit.expect_claim_key().returning(|_| Ok(Claim::InUse));
    let mut ports = MockPorts::new();
    begins(&mut ports, unit);
    let customer = user(Tier::Standard, Role::Customer);
    let result = ports.service().place_order(customer.id, &items(&[(&a, 1)]), key("k1")).await;
    assert!(matches!(result, Err(PlaceOrderError::IdempotencyKeyInUse)));
}

#[tokio::test]
async fn a_refusal_under_a_key_is_remembered_and_replayed_later() {
    let a = product("A", 100, 0);
    let customer = user(Tier::Standard, Role::Customer);
    let request = items(&[(&a, 2)]);
    let out_of_stock = Refusal::OutOfStock { product_id: a.id, requested: 2, available: 0 };

    let a_id = a.id;
    let mut unit = tx(move |_, _| StockTake::Short { product_id: a_id, available: 0 }, 0);
    unit.expect_claim_key().returning(|_| Ok(Claim::Claimed));
    let mut ports = MockPorts::new();
    begins(&mut ports, unit);
    let existing = a.clone();
    ports.products.expect_by_ids().returning(move |_| Ok(vec![existing.clone()]));
    ports
        .idempotency
        .expect_record_refusal()
        .withf(move |claim, refusal| claim.key.as_str() == "k1" && *refusal == out_of_stock)
        .times(1)
        .returning(|_, _| Ok(Claim::Claimed));
    let result = ports.service().place_order(customer.id, &request, key("k1")).await;
    assert!(matches!(result, Err(PlaceOrderError::Refused { replayed: false, .. })));

    let mut unit = MockOrderTx::new();
    let record = IdempotencyRecord {
        fingerprint: RequestFingerprint::of(&request),
        outcome: RecordedOutcome::Refused(out_of_stock),
    };
    unit.expect_claim_key().return_once(move |_| Ok(Claim::Existing(record)));
    let mut ports = MockPorts::new();
    begins(&mut ports, unit);
    let result = ports.service().place_order(customer.id, &request, key("k1")).await;
    assert!(matches!(result, Err(PlaceOrderError::Refused { reason, replayed: true }) if reason == out_of_stock));
}

#[tokio::test]
async fn a_store_failure_mid_way_commits_nothing() {
    let (a, b) = (product("A", 1, 5), product("B", 1, 5));
    let mut unit = MockOrderTx::new();
    unit.expect_take_stock().returning(|_, _| Err(BackendError::unavailable("connection reset")));
    unit.expect_commit().times(0);
    let mut ports = MockPorts::new();
    begins(&mut ports, unit);
    let customer = user(Tier::Standard, Role::Customer);
    let result = ports.service().place_order(customer.id, &items(&[(&a, 1), (&b, 1)]), None).await;
    assert!(matches!(result, Err(PlaceOrderError::Backend(BackendError::Unavailable(_)))));
}

#[tokio::test]
async fn a_customer_who_vanished_places_nothing() {
    let a = product("A", 1, 5);
    let mut ports = MockPorts::new();
    begins(&mut ports, tx(|_, _| StockTake::UnknownCustomer, 0));
    ports.products.expect_by_ids().times(0);
    let result = ports.service().place_order(UserId::generate(), &items(&[(&a, 1)]), None).await;
    assert!(matches!(result, Err(PlaceOrderError::UnknownCustomer)));
}
