//! The store behaviour suite: every storage port's contract, driven through core's use
//! cases, plus the concurrency guarantees. [`store_suite!`](crate::store_suite) runs
//! each case as its own test against a fresh store of one kind.

use crate::stores::TestStore;
use chrono::TimeDelta;
use orders_adapters::tokens::JwtIssuer;
use orders_adapters::{Store, StoreOptions};
use orders_core::domain::{
    Email, IdempotencyKey, Limit, Order, OrderId, OrderItems, OrderStatus, PageRequest, Product, ProductChanges,
    ProductName, Refusal, RequestFingerprint, RestockQuantity, Role, Sku, Stock, Tier, User, UserId,
};
use orders_core::ports::{AccessChange, BackendError, Claim, KeyClaim};
use orders_core::usecases::{
    Actor, CancelOrderError, CreateProductError, CreateUserError, NewProduct, PlaceOrderError, Placed, Registration,
    RestockError, Service,
};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use crate::event_suite::{
    a_reader_following_the_feed_while_32_writers_place_orders_sees_every_event_once,
    every_change_records_its_event_in_feed_order,
    purged_events_are_gone_and_later_ones_come_after_every_position_given,
    webhook_deliveries_are_leased_retried_given_up_and_revived,
};

/// One `#[tokio::test]` per case of the suite, each on a fresh store from `$factory`
/// (an async fn returning a [`TestStore`]), with `$attribute`s on each (to mark the
/// cases ignored where their store is missing).
#[macro_export]
macro_rules! store_suite {
    ($factory:path $(, #[$attribute:meta])*) => {
        $crate::store_suite!(@cases $factory; [$(#[$attribute])*];
            emails_are_unique_whatever_their_case,
            access_changes_apply_to_the_named_user_only,
            skus_are_unique_and_products_are_found_by_id_sku_and_ids,
            product_pages_are_stable_while_products_are_added,
            product_edits_and_restocks_change_only_what_they_name,
            a_placed_order_takes_stock_and_keeps_snapshots,
            a_refused_order_changes_nothing,
            orders_are_listed_newest_first_per_user,
            cancelling_restocks_once,
            a_cancel_may_return_stock_past_the_cap_and_every_read_still_answers,
            idempotency_keys_replay_and_refuse_and_expire,
            login_failures_are_counted_per_email_and_cleared,
            a_password_hashed_before_normalisation_logs_in_and_is_rehashed,
            of_parallel_guesses_at_most_the_limit_check_a_password,
            migrations_run_twice_harmlessly,
            concurrent_orders_for_scarce_stock_never_oversell,
            concurrent_cancels_of_one_order_restock_once,
            orders_racing_on_overlapping_products_in_opposite_order_neither_deadlock_nor_oversell,
            concurrent_requests_with_one_key_place_one_order,
            concurrent_restocks_lose_nothing,
            requests_cancelled_midway_leave_nothing_half_done,
            keys_older_than_their_lifetime_are_purged_and_then_free,
            orders_are_priced_with_the_terms_that_hold_when_placed,
            every_port_answers_within_a_second_while_orders_stream,
            every_change_records_its_event_in_feed_order,
            purged_events_are_gone_and_later_ones_come_after_every_position_given,
            a_reader_following_the_feed_while_32_writers_place_orders_sees_every_event_once,
            webhook_deliveries_are_leased_retried_given_up_and_revived,
        );
    };
    (@cases $factory:path; $attributes:tt; $($case:ident),+ $(,)?) => {
        $($crate::store_suite!(@case $factory; $attributes; $case);)+
    };
    (@case $factory:path; [$(#[$attribute:meta])*]; $case:ident) => {
        $(#[$attribute])*
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $case() {
            $crate::store_suite::$case(&$factory().await).await;
        }
    };
}

const PASSWORD: &str = "correct horse battery";

pub(crate) async fn customer(service: &Service, email: &str, tier: Tier) -> User {
    let registration = Registration::parse(email, PASSWORD, None).unwrap();
    let access = AccessChange { tier: Some(tier), role: None };
    service.create_user(&Actor::Operator, registration, access).await.unwrap()
}

pub(crate) async fn product(service: &Service, sku: &str, price_cents: i64, stock: i64) -> Product {
    let new = NewProduct::parse(sku, &format!("Product {sku}"), price_cents, stock).unwrap();
    service.create_product(&Actor::Operator, new).await.unwrap()
}

pub(crate) fn items(lines: &[(&Product, i64)]) -> OrderItems {
    let raw: Vec<_> = lines.iter().map(|(p, q)| (p.id, *q)).collect();
    OrderItems::parse(&raw).unwrap()
}

async fn stock_of(service: &Service, product: &Product) -> i64 {
    service.get_product(product.id).await.unwrap().stock.units()
}

async fn all_orders(service: &Service) -> Vec<Order> {
    let mut orders = Vec::new();
    let mut request = PageRequest { limit: Limit::new(100).unwrap(), after: None };
    loop {
        let page = service.list_orders(&Actor::Operator, None, request).await.unwrap();
        orders.extend(page.items);
        match page.next_cursor {
            Some(cursor) => request.after = Some(cursor),
            None => return orders,
        }
    }
}

fn key(raw: &str) -> Option<IdempotencyKey> {
    Some(IdempotencyKey::parse(raw).unwrap())
}

pub async fn emails_are_unique_whatever_their_case(t: &TestStore) {
    let s = &t.service;
    let ada = s.register(Registration::parse("Ada@Example.com", PASSWORD, Some("Ada")).unwrap()).await.unwrap();
    let again = Registration::parse("ADA@example.COM", PASSWORD, None).unwrap();
    assert!(matches!(
        s.create_user(&Actor::Operator, again, AccessChange::default()).await,
        Err(CreateUserError::EmailTaken)
    ));

    let found = s.find_user(&Actor::Operator, &Email::parse("ada@EXAMPLE.com").unwrap()).await.unwrap();
    assert_eq!(found, ada);
    assert_eq!((found.tier, found.role, found.full_name.unwrap().as_str()), (Tier::Standard, Role::Customer, "Ada"));
    let token = s.authenticate("ada@example.com", PASSWORD).await.unwrap();
    assert_eq!(s.current_user(s.token_subject(&token.token).unwrap()).await.unwrap().id, ada.id);
}

pub async fn access_changes_apply_to_the_named_user_only(t: &TestStore) {
    let s = &t.service;
    let (ada, bob) =
        (customer(s, "ada@example.com", Tier::Standard).await, customer(s, "bob@example.com", Tier::Standard).await);
    let change = AccessChange { tier: Some(Tier::Premium), role: Some(Role::Admin) };
    let updated = s.update_user(&Actor::Operator, ada.id, change).await.unwrap();
    assert_eq!((updated.tier, updated.role), (Tier::Premium, Role::Admin));
    let only_tier = AccessChange { tier: Some(Tier::Standard), role: None };
    assert_eq!(s.update_user(&Actor::Operator, ada.id, only_tier).await.unwrap().role, Role::Admin);
    let bob_now = s.find_user(&Actor::Operator, &bob.email).await.unwrap();
    assert_eq!((bob_now.tier, bob_now.role), (Tier::Standard, Role::Customer));
    let nobody = orders_core::domain::UserId::generate();
    assert!(s.update_user(&Actor::Operator, nobody, change).await.is_err());
}

pub async fn skus_are_unique_and_products_are_found_by_id_sku_and_ids(t: &TestStore) {
    let s = &t.service;
    let widget = product(s, "W-1", 1999, 10).await;
    let again = NewProduct::parse("W-1", "Another", 1, 1).unwrap();
    assert!(matches!(s.create_product(&Actor::Operator, again).await, Err(CreateProductError::SkuTaken)));
    assert_eq!(s.get_product(widget.id).await.unwrap(), widget);
    assert_eq!(s.product_by_sku(&Sku::parse("W-1").unwrap()).await.unwrap(), widget);
    assert!(s.product_by_sku(&Sku::parse("w-1").unwrap()).await.is_err(), "skus are case-sensitive");
    assert!(s.get_product(orders_core::domain::ProductId::generate()).await.is_err());
}

pub async fn product_pages_are_stable_while_products_are_added(t: &TestStore) {
    let s = &t.service;
    for n in 0..5 {
        product(s, &format!("P{n}"), 100, 1).await;
    }
    let two = Limit::new(2).unwrap();
    let mut seen = Vec::new();
    let mut request = PageRequest { limit: two, after: None };
    let mut added = 0;
    loop {
        let page = s.list_products(request).await.unwrap();
        assert!(page.items.len() <= 2);
        seen.extend(page.items.iter().map(|p| p.sku.as_str().to_owned()));
        if added < 2 {
            product(s, &format!("NEW{added}"), 100, 1).await;
            added += 1;
        }
        match page.next_cursor {
            Some(cursor) => request.after = Some(cursor),
            None => break,
        }
    }
    assert_eq!(seen, ["P0", "P1", "P2", "P3", "P4", "NEW0", "NEW1"], "oldest first, no duplicates, no gaps");
}

pub async fn product_edits_and_restocks_change_only_what_they_name(t: &TestStore) {
    let s = &t.service;
    let widget = product(s, "W", 500, 3).await;
    let renamed = s
        .update_product(&Actor::Operator, widget.id, ProductChanges::parse(Some("Widget v2"), None).unwrap())
        .await
        .unwrap();
    assert_eq!((renamed.name.as_str(), renamed.price.cents(), renamed.stock.units()), ("Widget v2", 500, 3));
    assert!(renamed.updated_at >= widget.updated_at);
    let repriced =
        s.update_product(&Actor::Operator, widget.id, ProductChanges::parse(None, Some(750)).unwrap()).await.unwrap();
    assert_eq!((repriced.name.as_str(), repriced.price.cents()), ("Widget v2", 750));

    let restocked = s.restock_product(&Actor::Operator, widget.id, RestockQuantity::new(7).unwrap()).await.unwrap();
    assert_eq!(restocked.stock.units(), 10);
    let too_much = RestockQuantity::new(1_000_000_000).unwrap();
    let refused = s.restock_product(&Actor::Operator, widget.id, too_much).await;
    assert!(matches!(refused, Err(RestockError::StockLimit { stock: 10 })));
    assert_eq!(stock_of(s, &widget).await, 10);
    let missing = s.restock_product(&Actor::Operator, orders_core::domain::ProductId::generate(), too_much).await;
    assert!(matches!(missing, Err(RestockError::NotFound)));
}

pub async fn a_placed_order_takes_stock_and_keeps_snapshots(t: &TestStore) {
    let s = &t.service;
    let premium = customer(s, "p@example.com", Tier::Premium).await;
    let (a, b) = (product(s, "A", 1005, 5).await, product(s, "B", 250, 5).await);

    let placed = s.place_order(premium.id, &items(&[(&b, 2), (&a, 1)]), None).await.unwrap();
    let order = placed.order;
    assert!(!placed.replayed);
    assert_eq!(
        (order.totals.subtotal.cents(), order.totals.discount.cents(), order.totals.total.cents()),
        (1505, 151, 1354)
    );
    assert_eq!((stock_of(s, &a).await, stock_of(s, &b).await), (4, 3));

    s.update_product(&Actor::Operator, a.id, ProductChanges::parse(Some("Renamed"), Some(1)).unwrap()).await.unwrap();
    let stored = s.get_order(&Actor::User(premium.clone()), order.id).await.unwrap();
    assert_eq!(stored, order, "the stored order is what was answered, snapshots included");
    let lines: Vec<_> = stored.lines.iter().map(|l| (l.sku.as_str(), l.name.as_str(), l.unit_price.cents())).collect();
    assert_eq!(lines, [("B", "Product B", 250), ("A", "Product A", 1005)]);
}

pub async fn a_refused_order_changes_nothing(t: &TestStore) {
    let s = &t.service;
    let ada = customer(s, "ada@example.com", Tier::Standard).await;
    let (plenty, scarce) = (product(s, "PLENTY", 100, 50).await, product(s, "SCARCE", 100, 1).await);
    let refused = s.place_order(ada.id, &items(&[(&plenty, 5), (&scarce, 2)]), None).await;
    assert!(matches!(
        refused,
        Err(PlaceOrderError::Refused { reason: Refusal::OutOfStock { product_id, requested: 2, available: 1 }, .. })
            if product_id == scarce.id
    ));
    let ghost = orders_core::domain::ProductId::generate();
    let missing = s.place_order(ada.id, &OrderItems::parse(&[(plenty.id, 1), (ghost, 1)]).unwrap(), None).await;
    assert!(matches!(
        missing,
        Err(PlaceOrderError::Refused { reason: Refusal::ProductNotFound { product_id }, .. }) if product_id == ghost
    ));
    let nobody = UserId::generate();
    let unknown = s.place_order(nobody, &items(&[(&plenty, 1)]), key("nobody's key")).await;
    assert!(matches!(unknown, Err(PlaceOrderError::UnknownCustomer)), "{unknown:?}");
    assert_eq!((stock_of(s, &plenty).await, stock_of(s, &scarce).await), (50, 1));
    assert!(all_orders(s).await.is_empty());
}

pub async fn orders_are_listed_newest_first_per_user(t: &TestStore) {
    let s = &t.service;
    let (ada, bob) =
        (customer(s, "ada@example.com", Tier::Standard).await, customer(s, "bob@example.com", Tier::Standard).await);
    let p = product(s, "P", 100, 100).await;
    let mut ada_orders = Vec::new();
    for n in 1..=5 {
        ada_orders.push(s.place_order(ada.id, &items(&[(&p, n)]), None).await.unwrap().order.id);
        s.place_order(bob.id, &items(&[(&p, 1)]), None).await.unwrap();
    }
    ada_orders.reverse();
    let ada_actor = Actor::User(ada.clone());
    let mut request = PageRequest { limit: Limit::new(2).unwrap(), after: None };
    let mut listed = Vec::new();
    loop {
        let page = s.list_orders(&ada_actor, None, request).await.unwrap();
        listed.extend(page.items.iter().map(|o| o.id));
        match page.next_cursor {
            Some(cursor) => request.after = Some(cursor),
            None => break,
        }
    }
    assert_eq!(listed, ada_orders);
    assert_eq!(all_orders(s).await.len(), 10);
    let bobs = s.list_orders(&Actor::Operator, Some(bob.id), PageRequest::default()).await.unwrap();
    assert!(bobs.items.iter().all(|o| o.user_id == bob.id) && bobs.items.len() == 5);
    assert!(s.get_order(&Actor::User(bob), ada_orders[0]).await.is_err(), "another customer's order does not exist");
}

pub async fn cancelling_restocks_once(t: &TestStore) {
    let s = &t.service;
    let ada = customer(s, "ada@example.com", Tier::Standard).await;
    let (a, b) = (product(s, "A", 100, 10).await, product(s, "B", 100, 10).await);
    let order = s.place_order(ada.id, &items(&[(&a, 3), (&b, 4)]), None).await.unwrap().order;
    let actor = Actor::User(ada);
    let cancelled = s.cancel_order(&actor, order.id).await.unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert!(cancelled.cancelled_at.is_some());
    assert_eq!(s.get_order(&actor, order.id).await.unwrap(), cancelled);
    assert_eq!((stock_of(s, &a).await, stock_of(s, &b).await), (10, 10));
    assert!(matches!(s.cancel_order(&actor, order.id).await, Err(CancelOrderError::NotCancellable)));
    assert_eq!((stock_of(s, &a).await, stock_of(s, &b).await), (10, 10));
}

pub async fn a_cancel_may_return_stock_past_the_cap_and_every_read_still_answers(t: &TestStore) {
    let s = &t.service;
    let ada = customer(s, "ada@example.com", Tier::Standard).await;
    let p = product(s, "CAP", 100, 1_000).await;
    let order = s.place_order(ada.id, &items(&[(&p, 1_000)]), None).await.unwrap().order;
    let to_the_cap = RestockQuantity::new(Stock::MAX).unwrap();
    s.restock_product(&Actor::Operator, p.id, to_the_cap).await.unwrap();
    s.cancel_order(&Actor::User(ada.clone()), order.id).await.unwrap();

    let past_the_cap = Stock::MAX + 1_000;
    assert_eq!(stock_of(s, &p).await, past_the_cap, "the cancel gave every unit back");
    let listed = s.list_products(PageRequest::default()).await.unwrap();
    assert!(listed.items.iter().any(|q| q.id == p.id && q.stock.units() == past_the_cap));
    assert_eq!(s.product_by_sku(&p.sku).await.unwrap().stock.units(), past_the_cap);
    let renamed = ProductChanges { name: Some(ProductName::parse("Renamed").unwrap()), price: None };
    assert_eq!(s.update_product(&Actor::Operator, p.id, renamed).await.unwrap().stock.units(), past_the_cap);
    let one_more = s.restock_product(&Actor::Operator, p.id, RestockQuantity::new(1).unwrap()).await;
    assert!(matches!(one_more, Err(RestockError::StockLimit { stock }) if stock == past_the_cap), "{one_more:?}");
    let placed = s.place_order(ada.id, &items(&[(&p, 2_000)]), None).await.unwrap();
    assert_eq!(placed.order.lines[0].quantity.units(), 2_000, "orders still take from it");
    assert_eq!(stock_of(s, &p).await, past_the_cap - 2_000);
}

pub async fn idempotency_keys_replay_and_refuse_and_expire(t: &TestStore) {
    let s = &t.service;
    let (ada, bob) =
        (customer(s, "ada@example.com", Tier::Standard).await, customer(s, "bob@example.com", Tier::Standard).await);
    let (p, none_left) = (product(s, "P", 100, 10).await, product(s, "NONE", 100, 0).await);

    let first = s.place_order(ada.id, &items(&[(&p, 2)]), key("k-1")).await.unwrap();
    s.cancel_order(&Actor::User(ada.clone()), first.order.id).await.unwrap();
    let retry = s.place_order(ada.id, &items(&[(&p, 2)]), key("k-1")).await.unwrap();
    assert!(retry.replayed);
    assert_eq!(retry.order, first.order, "a replay answers the order as first placed");
    assert_eq!(stock_of(s, &p).await, 10, "the retry took no stock");

    let other_body = s.place_order(ada.id, &items(&[(&p, 3)]), key("k-1")).await;
    assert!(matches!(other_body, Err(PlaceOrderError::IdempotencyKeyReused)));
    let bobs = s.place_order(bob.id, &items(&[(&p, 2)]), key("k-1")).await.unwrap();
    assert!(!bobs.replayed, "keys are scoped to their user");

    let refused = s.place_order(ada.id, &items(&[(&none_left, 1)]), key("k-2")).await;
    assert!(matches!(refused, Err(PlaceOrderError::Refused { replayed: false, .. })));
    s.restock_product(&Actor::Operator, none_left.id, RestockQuantity::new(5).unwrap()).await.unwrap();
    let replayed = s.place_order(ada.id, &items(&[(&none_left, 1)]), key("k-2")).await;
    assert!(
        matches!(
            replayed,
            Err(PlaceOrderError::Refused { reason: Refusal::OutOfStock { available: 0, .. }, replayed: true })
        ),
        "a refusal is replayed too: {replayed:?}"
    );

    assert_eq!(s.purge_idempotency_keys().await.unwrap(), 0, "fresh keys are kept");
    assert_eq!(all_orders(s).await.len(), 2);
}

pub async fn login_failures_are_counted_per_email_and_cleared(t: &TestStore) {
    let s = &t.service;
    customer(s, "ada@example.com", Tier::Standard).await;
    customer(s, "bob@example.com", Tier::Standard).await;
    for _ in 0..5 {
        assert!(s.authenticate("ada@example.com", "wrong password").await.is_err());
    }
    let blocked = s.authenticate("ada@example.com", PASSWORD).await;
    assert!(
        matches!(blocked, Err(orders_core::usecases::AuthenticateError::TooManyAttempts { retry_after_seconds }) if retry_after_seconds > 800),
        "{blocked:?}"
    );
    assert!(s.authenticate("bob@example.com", PASSWORD).await.is_ok(), "another email is not throttled");
    assert!(s.authenticate("bob@example.com", "wrong password").await.is_err());
    assert!(s.authenticate("bob@example.com", PASSWORD).await.is_ok());
}

/// A hash made, before passwords were normalised, of a password typed with a combining
/// accent: the same text still logs in, the hash is replaced by one of the normal form,
/// and from then on either way of typing it logs in.
pub async fn a_password_hashed_before_normalisation_logs_in_and_is_rehashed(t: &TestStore) {
    use orders_core::domain::{Email, Password};
    let (composed, decomposed) = ("caf\u{e9} au lait", "cafe\u{301} au lait");
    let s = &t.service;
    let ada = customer(s, "ada@example.com", Tier::Standard).await;
    let ports = t.store.ports(orders_composition::outside_ports(
        Arc::new(JwtIssuer::with_random_secret(TimeDelta::hours(1))),
        Default::default(),
    ));
    let as_typed = Password::parse(decomposed).unwrap().as_given().unwrap();
    let legacy = ports.passwords.hash(&as_typed).await.unwrap();
    let email = Email::parse("ada@example.com").unwrap();
    let stored = || async { ports.users.by_email(&email).await.unwrap().unwrap().password_hash };
    ports.users.replace_password_hash(ada.id, &legacy, &legacy).await.unwrap();
    assert_eq!(stored().await, ada.password_hash, "a hash that is not the stored one replaces nothing");
    ports.users.replace_password_hash(ada.id, &ada.password_hash, &legacy).await.unwrap();
    assert_eq!(stored().await, legacy);

    assert!(s.authenticate("ada@example.com", composed).await.is_err(), "the old hash is of the other form");
    s.authenticate("ada@example.com", decomposed).await.expect("the text as typed then logs in");
    assert_ne!(stored().await, legacy, "and its hash is replaced");
    s.authenticate("ada@example.com", composed).await.expect("either form logs in now");
    s.authenticate("ada@example.com", decomposed).await.expect("either form logs in now");
}

pub async fn of_parallel_guesses_at_most_the_limit_check_a_password(t: &TestStore) {
    use orders_core::usecases::{AuthenticateError, LOGIN_FAILURE_LIMIT};
    let s = &t.service;
    customer(s, "ada@example.com", Tier::Standard).await;
    let tasks = (0..200)
        .map(|n| {
            let s = s.clone();
            tokio::spawn(async move { s.authenticate("ada@example.com", &format!("wrong guess {n}")).await })
        })
        .collect();
    let (results, took) = race(tasks).await;
    let checked = results.iter().filter(|r| matches!(r, Err(AuthenticateError::InvalidCredentials))).count();
    let throttled = results.iter().filter(|r| matches!(r, Err(AuthenticateError::TooManyAttempts { .. }))).count();
    let other: Vec<_> = results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .filter(|e| !matches!(e, AuthenticateError::InvalidCredentials | AuthenticateError::TooManyAttempts { .. }))
        .collect();
    println!("[{}] 200 parallel guesses: {checked} checked, {throttled} throttled, {took:?}", t.kind());
    assert!(other.iter().all(|e| matches!(e, AuthenticateError::Backend(BackendError::Unavailable(_)))), "{other:?}");
    assert!(checked <= LOGIN_FAILURE_LIMIT as usize, "{checked} passwords were checked");
    assert!(throttled >= 200 - LOGIN_FAILURE_LIMIT as usize - other.len());
}

pub async fn migrations_run_twice_harmlessly(t: &TestStore) {
    let ada = customer(&t.service, "ada@example.com", Tier::Standard).await;
    t.store.migrate().await.expect("a second migration is harmless");
    assert_eq!(t.service.find_user(&Actor::Operator, &ada.email).await.unwrap(), ada);
    t.store.ping().await.expect("the store answers");
}

/// Runs `tasks` concurrently and returns their results with the time they all took.
async fn race<T: Send + 'static>(tasks: Vec<tokio::task::JoinHandle<T>>) -> (Vec<T>, std::time::Duration) {
    let started = Instant::now();
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        results.push(task.await.expect("no task panics"));
    }
    (results, started.elapsed())
}

pub async fn concurrent_orders_for_scarce_stock_never_oversell(t: &TestStore) {
    let s = &t.service;
    let ada = customer(s, "ada@example.com", Tier::Standard).await;
    let scarce = product(s, "SCARCE", 100, 10).await;
    let tasks = (0..64)
        .map(|_| {
            let (s, ada, request) = (s.clone(), ada.clone(), items(&[(&scarce, 1)]));
            tokio::spawn(async move { s.place_order(ada.id, &request, None).await })
        })
        .collect();
    let (results, took) = race(tasks).await;
    let placed = results.iter().filter(|r| r.is_ok()).count();
    let out_of_stock = results
        .iter()
        .filter(|r| matches!(r, Err(PlaceOrderError::Refused { reason: Refusal::OutOfStock { .. }, .. })))
        .count();
    let stock = stock_of(s, &scarce).await;
    println!(
        "[{}] 64 concurrent orders for stock 10: {placed} placed, {out_of_stock} out of stock, stock left {stock}, {took:?}",
        t.kind()
    );
    assert_eq!(
        (placed, out_of_stock, stock),
        (10, 54, 0),
        "{:?}",
        results.iter().find(|r| r.is_err() && !matches!(r, Err(PlaceOrderError::Refused { .. })))
    );
    assert_eq!(all_orders(s).await.len(), 10);
}

pub async fn concurrent_cancels_of_one_order_restock_once(t: &TestStore) {
    let s = &t.service;
    let ada = customer(s, "ada@example.com", Tier::Standard).await;
    let p = product(s, "P", 100, 10).await;
    let order = s.place_order(ada.id, &items(&[(&p, 4)]), None).await.unwrap().order;
    let tasks = (0..16)
        .map(|_| {
            let (s, actor) = (s.clone(), Actor::User(ada.clone()));
            tokio::spawn(async move { s.cancel_order(&actor, order.id).await })
        })
        .collect();
    let (results, took) = race(tasks).await;
    let cancelled = results.iter().filter(|r| r.is_ok()).count();
    let refused = results.iter().filter(|r| matches!(r, Err(CancelOrderError::NotCancellable))).count();
    let stock = stock_of(s, &p).await;
    println!(
        "[{}] 16 concurrent cancels of one order: {cancelled} cancelled, {refused} refused, stock {stock}, {took:?}",
        t.kind()
    );
    assert_eq!((cancelled, refused, stock), (1, 15, 10));
}

pub async fn orders_racing_on_overlapping_products_in_opposite_order_neither_deadlock_nor_oversell(t: &TestStore) {
    let s = &t.service;
    let ada = customer(s, "ada@example.com", Tier::Standard).await;
    let (a, b, c) = (product(s, "A", 100, 20).await, product(s, "B", 100, 20).await, product(s, "C", 100, 1_000).await);
    let tasks = (0..48)
        .map(|n| {
            let request = match n % 3 {
                0 => items(&[(&a, 1), (&b, 1), (&c, 1)]),
                1 => items(&[(&c, 1), (&b, 1), (&a, 1)]),
                _ => items(&[(&b, 1), (&c, 1)]),
            };
            let (s, ada) = (s.clone(), ada.clone());
            tokio::spawn(async move {
                tokio::time::timeout(std::time::Duration::from_secs(30), s.place_order(ada.id, &request, None)).await
            })
        })
        .collect();
    let (results, took) = race(tasks).await;
    assert!(results.iter().all(|r| r.is_ok()), "no placement hung for 30 s");
    let outcomes: Vec<_> = results.into_iter().map(|r| r.unwrap()).collect();
    assert!(
        outcomes.iter().all(|r| matches!(r, Ok(_) | Err(PlaceOrderError::Refused { .. }))),
        "no store failure (deadlock): {:?}",
        outcomes.iter().find(|r| matches!(r, Err(PlaceOrderError::Backend(_))))
    );
    let orders = all_orders(s).await;
    let taken = |p: &Product| -> i64 {
        orders.iter().flat_map(|o| &o.lines).filter(|l| l.product_id == p.id).map(|l| l.quantity.units()).sum()
    };
    let (sa, sb, sc) = (stock_of(s, &a).await, stock_of(s, &b).await, stock_of(s, &c).await);
    println!(
        "[{}] 48 orders racing on A,B,C in opposite orders: {} placed, stock A {sa} B {sb} C {sc}, {took:?}",
        t.kind(),
        orders.len()
    );
    assert_eq!(
        (sa + taken(&a), sb + taken(&b), sc + taken(&c)),
        (20, 20, 1_000),
        "every unit is in stock or in an order"
    );
    assert!(sa >= 0 && sb == 0, "B is the bottleneck and sells out exactly");
}

/// Sixteen requests with one key, through a pool of fewer connections than requests:
/// one places the order, the others replay it or find the key in use, and none fails
/// for want of a connection.
pub async fn concurrent_requests_with_one_key_place_one_order(t: &TestStore) {
    let options = StoreOptions { max_connections: Some(4), ..StoreOptions::default() };
    let store = Store::open(&t.url, &options).await.expect("a second pool on the same data");
    let s = &crate::stores::service_on(&store);
    let ada = customer(s, "ada@example.com", Tier::Standard).await;
    let p = product(s, "P", 100, 100).await;
    let tasks = (0..16)
        .map(|_| {
            let (s, ada, request) = (s.clone(), ada.clone(), items(&[(&p, 1)]));
            tokio::spawn(async move { s.place_order(ada.id, &request, key("same-key")).await })
        })
        .collect();
    let (results, took) = race(tasks).await;
    let fresh = results.iter().filter(|r| matches!(r, Ok(placed) if !placed.replayed)).count();
    let replayed = results.iter().filter(|r| matches!(r, Ok(placed) if placed.replayed)).count();
    let in_use = results.iter().filter(|r| matches!(r, Err(PlaceOrderError::IdempotencyKeyInUse))).count();
    let order_ids: HashSet<_> = results.iter().filter_map(|r| r.as_ref().ok()).map(|p| p.order.id).collect();
    println!(
        "[{}] 16 concurrent requests with one key, 4 connections: {fresh} placed, {replayed} replayed, {in_use} in use, {took:?}",
        t.kind()
    );
    assert_eq!((fresh, replayed + in_use, order_ids.len()), (1, 15, 1));
    assert_eq!((stock_of(s, &p).await, all_orders(s).await.len()), (99, 1));
}

pub async fn concurrent_restocks_lose_nothing(t: &TestStore) {
    let s = &t.service;
    let ada = customer(s, "ada@example.com", Tier::Standard).await;
    let p = product(s, "P", 100, 0).await;
    let tasks = (0..40)
        .map(|n| {
            let (s, ada, id) = (s.clone(), ada.clone(), p.id);
            let request = OrderItems::parse(&[(id, 1)]).unwrap();
            tokio::spawn(async move {
                if n % 2 == 0 {
                    s.restock_product(&Actor::Operator, id, RestockQuantity::new(3).unwrap())
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                } else {
                    s.place_order(ada.id, &request, None).await.map(|_| ()).map_err(|e| e.to_string())
                }
            })
        })
        .collect();
    let (results, _) = race(tasks).await;
    let orders = all_orders(s).await.len() as i64;
    assert!(results.iter().all(|r| r.is_ok() || r.as_ref().unwrap_err().contains("in stock")), "{results:?}");
    assert_eq!(stock_of(s, &p).await + orders, 60, "20 restocks of 3 are all in stock or in orders");
}

/// Requests dropped at any point (a client that hangs up cancels its request), from
/// before they reach the database to after their commit, never leave half an order,
/// never lose an acknowledged one, and never wedge the store. The cancellations are
/// spread over the time the same requests take uncancelled on this store, so that
/// every store sees them land in every stage.
pub async fn requests_cancelled_midway_leave_nothing_half_done(t: &TestStore) {
    let s = &t.service;
    let ada = customer(s, "ada@example.com", Tier::Standard).await;
    let (a, b) = (product(s, "A", 100, 1_000).await, product(s, "B", 250, 1_000).await);
    let place = |round: &str, patience: &dyn Fn(u64) -> Duration| -> Vec<tokio::task::JoinHandle<Option<Placed>>> {
        (0..200_u64)
            .map(|n| {
                let (s, ada) = (s.clone(), ada.clone());
                let request = if n % 2 == 0 { items(&[(&a, 1), (&b, 2)]) } else { items(&[(&b, 1)]) };
                let key = (n % 3 == 0).then(|| IdempotencyKey::parse(&format!("{round}-{n}")).unwrap());
                let patience = patience(n);
                tokio::spawn(async move {
                    tokio::time::timeout(patience, s.place_order(ada.id, &request, key)).await.ok().map(|r| r.unwrap())
                })
            })
            .collect()
    };
    let (_, window) = race(place("whole", &|_| Duration::MAX)).await;
    let tasks = place("cancelled", &|n| window.mul_f64(((n * 89) % 200) as f64 / 200.0));
    let (results, took) = race(tasks).await;
    let acknowledged: Vec<Order> = results.into_iter().flatten().map(|placed| placed.order).collect();
    // Units of cancelled requests may still be finishing; one more order queues behind
    // all of them, so once it is placed they are all done.
    let after = s.place_order(ada.id, &items(&[(&a, 1)]), None).await.expect("the store still places orders");
    assert_eq!(s.get_order(&Actor::Operator, after.order.id).await.unwrap(), after.order);
    let stored = all_orders(s).await;
    println!(
        "[{}] 200 requests cancelled within {window:?}: {} acknowledged, {} stored, {took:?}",
        t.kind(),
        acknowledged.len(),
        stored.len()
    );
    let settled = Instant::now() + Duration::from_secs(2);
    while t.sessions_idle_in_transaction().await.is_some_and(|idle| idle > 0) && Instant::now() < settled {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let idle = t.sessions_idle_in_transaction().await.unwrap_or(0);
    assert_eq!(idle, 0, "sessions left inside a transaction by cancelled requests");
    for order in &acknowledged {
        assert!(stored.iter().any(|o| o.id == order.id), "acknowledged order {} was lost", order.id);
    }
    for p in [&a, &b] {
        let ordered: i64 =
            stored.iter().flat_map(|o| &o.lines).filter(|l| l.product_id == p.id).map(|l| l.quantity.units()).sum();
        assert_eq!(stock_of(s, p).await + ordered, 1_000, "every unit of {} is in stock or in an order", p.sku);
    }
}

/// PostgreSQL: holds `p`'s row locked from another connection until `release` is sent,
/// so that an order of `p` started meanwhile waits inside its placement (holding its
/// idempotency key, if it has one).
pub async fn block_product(url: &str, p: &Product) -> tokio::sync::oneshot::Sender<()> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, LockType, Query};
    use sea_orm::{ConnectionTrait, Database, TransactionTrait};
    let (release, released) = tokio::sync::oneshot::channel();
    let (locked, is_locked) = tokio::sync::oneshot::channel();
    let (url, id) = (url.to_owned(), p.id.as_uuid());
    tokio::spawn(async move {
        let other = Database::connect(&url).await.unwrap();
        let blocker = other.begin().await.unwrap();
        let lock = Query::select()
            .column(Alias::new("stock"))
            .from(Alias::new("products"))
            .and_where(Expr::col(Alias::new("id")).eq(id))
            .lock(LockType::Update)
            .to_owned();
        blocker.query_one(&lock).await.unwrap();
        let _ = locked.send(());
        let _ = released.await;
        blocker.rollback().await.unwrap();
    });
    is_locked.await.expect("the product's row is locked");
    release
}

/// PostgreSQL: a retry that arrives while the first request holds its key waits for
/// the first to finish, and answers what it did.
pub async fn a_retry_waits_for_the_request_holding_its_key_and_replays_it(t: &TestStore) {
    let s = &t.service;
    let ada = customer(s, "ada@example.com", Tier::Standard).await;
    let p = product(s, "P", 100, 10).await;
    let release = block_product(&t.direct_url, &p).await;
    let first = {
        let (s, ada, request) = (s.clone(), ada.clone(), items(&[(&p, 1)]));
        tokio::spawn(async move { s.place_order(ada.id, &request, key("k")).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let retry = {
        let (s, ada, request) = (s.clone(), ada.clone(), items(&[(&p, 1)]));
        tokio::spawn(async move { s.place_order(ada.id, &request, key("k")).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = release.send(());
    let (first, retry) = (first.await.unwrap().unwrap(), retry.await.unwrap().unwrap());
    assert!(!first.replayed && retry.replayed);
    assert_eq!(retry.order, first.order);
    assert_eq!(stock_of(s, &p).await, 9);
}

/// PostgreSQL: a request whose key another request holds for longer than the store
/// waits ([`KEY_WAIT`](orders_adapters::sql::KEY_WAIT)) is told the key is in use,
/// and places nothing.
pub async fn a_key_held_longer_than_the_wait_limit_is_in_use(t: &TestStore) {
    let s = &t.service;
    let ada = customer(s, "ada@example.com", Tier::Standard).await;
    let p = product(s, "P", 100, 10).await;
    let release = block_product(&t.direct_url, &p).await;
    let first = {
        let (s, ada, request) = (s.clone(), ada.clone(), items(&[(&p, 1)]));
        tokio::spawn(async move { s.place_order(ada.id, &request, key("k")).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let retry = s.place_order(ada.id, &items(&[(&p, 1)]), key("k")).await;
    let waited = started.elapsed();
    let _ = release.send(());
    assert!(matches!(retry, Err(PlaceOrderError::IdempotencyKeyInUse)), "{retry:?}");
    let limit = orders_adapters::sql::KEY_WAIT;
    assert!(waited >= limit && waited < limit + Duration::from_secs(1), "answered after {waited:?}");
    assert!(!first.await.unwrap().unwrap().replayed);
    assert_eq!((stock_of(s, &p).await, all_orders(s).await.len()), (9, 1));
}

/// PostgreSQL: a request stuck behind a lock held elsewhere fails as unavailable once
/// the statement timeout passes, instead of hanging, and changes nothing.
pub async fn a_stuck_request_fails_within_the_statement_timeout(t: &TestStore) {
    let s = &t.service;
    let ada = customer(s, "ada@example.com", Tier::Standard).await;
    let p = product(s, "P", 100, 10).await;
    let release = block_product(&t.direct_url, &p).await;

    let started = Instant::now();
    let stuck = s.place_order(ada.id, &items(&[(&p, 1)]), None).await;
    let waited = started.elapsed();
    let _ = release.send(());
    println!("[{}] an order behind a held row lock: {:?} after {waited:?}", t.kind(), stuck.as_ref().err());
    assert!(
        matches!(stuck, Err(PlaceOrderError::Backend(orders_core::ports::BackendError::Unavailable(_)))),
        "{stuck:?}"
    );
    let limit = orders_adapters::StoreOptions::default().statement_timeout;
    assert!(waited >= limit && waited < limit + Duration::from_secs(2), "failed after {waited:?}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!((stock_of(s, &p).await, all_orders(s).await.len()), (10, 0));
}

/// The service deciding orders in this process, and another acting on the same data
/// as another process would (on memory, which no other process shares, the same one).
async fn elsewhere(t: &TestStore) -> Service {
    if t.kind() == "memory" {
        return t.service.clone();
    }
    let store = Store::open(&t.url, &StoreOptions::default()).await.expect("a second pool on the same data");
    crate::stores::service_on(&store)
}

/// An order is priced with the price and tier that hold when its stock is taken, even
/// when this process last read others: a change made elsewhere is found and the order
/// priced again.
pub async fn orders_are_priced_with_the_terms_that_hold_when_placed(t: &TestStore) {
    let s = &t.service;
    let ada = customer(s, "ada@example.com", Tier::Standard).await;
    let p = product(s, "P", 1_000, 10).await;
    s.place_order(ada.id, &items(&[(&p, 1)]), None).await.unwrap();

    let other = elsewhere(t).await;
    let new_price = ProductChanges { name: None, price: Some(orders_core::domain::Price::from_cents(1_500).unwrap()) };
    other.update_product(&Actor::Operator, p.id, new_price).await.unwrap();
    let access = AccessChange { tier: Some(Tier::Premium), role: None };
    other.update_user(&Actor::Operator, ada.id, access).await.unwrap();

    let order = s.place_order(ada.id, &items(&[(&p, 2)]), None).await.unwrap().order;
    assert_eq!(order.lines[0].unit_price.cents(), 1_500);
    assert_eq!((order.totals.subtotal.cents(), order.totals.discount.cents()), (3_000, 300));
    assert_eq!(stock_of(s, &p).await, 7);
}

/// No call of a port ever waits on a placement in flight for long: while 8 requests
/// place orders (each of its own product, so that they do not queue on one row), a call
/// of every other port answers within a second.
pub async fn every_port_answers_within_a_second_while_orders_stream(t: &TestStore) {
    let s = &t.service;
    let ada = customer(s, "ada@example.com", Tier::Standard).await;
    let mut products = Vec::new();
    for n in 0..8 {
        products.push(product(s, &format!("P{n}"), 100, 1_000_000).await);
    }
    let to_cancel = s.place_order(ada.id, &items(&[(&products[0], 1)]), None).await.unwrap().order;
    let streaming = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let placers: Vec<_> = (0..8)
        .map(|n| {
            let request = items(&[(&products[n], 1)]);
            let (s, ada, streaming) = (s.clone(), ada.clone(), streaming.clone());
            tokio::spawn(async move {
                let mut placed = 0;
                while streaming.load(std::sync::atomic::Ordering::Relaxed) {
                    let key = (n % 2 == 0).then(|| IdempotencyKey::parse(&format!("k-{n}-{placed}")).unwrap());
                    s.place_order(ada.id, &request, key).await.unwrap();
                    placed += 1;
                }
                placed
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ports = t.store.ports(orders_composition::outside_ports(
        Arc::new(JwtIssuer::with_random_secret(TimeDelta::hours(1))),
        Default::default(),
    ));
    let timed = |what: &'static str, took: Duration| {
        assert!(took < Duration::from_secs(1), "[{}] {what} took {took:?} while orders streamed", t.kind());
        println!("[{}] {what} answered in {took:?} while orders streamed", t.kind());
    };
    let started = Instant::now();
    ports.users.by_id(ada.id).await.unwrap();
    timed("UserStore::by_id", started.elapsed());
    let started = Instant::now();
    let bob = customer(s, "bob@example.com", Tier::Standard).await;
    timed("UserStore::insert (with hashing)", started.elapsed());
    let started = Instant::now();
    ports.users.change_access(bob.id, AccessChange { tier: Some(Tier::Premium), role: None }).await.unwrap();
    timed("UserStore::change_access", started.elapsed());
    let started = Instant::now();
    let q = product(s, "Q", 100, 10).await;
    timed("ProductStore::insert", started.elapsed());
    let started = Instant::now();
    ports.products.restock(q.id, RestockQuantity::new(5).unwrap(), ports.clock.now()).await.unwrap();
    timed("ProductStore::restock", started.elapsed());
    let started = Instant::now();
    ports.products.list(None, 10).await.unwrap();
    timed("ProductStore::list", started.elapsed());
    let started = Instant::now();
    ports.orders.list(Some(ada.id), None, 10).await.unwrap();
    timed("OrderStore::list", started.elapsed());
    let started = Instant::now();
    let claim = KeyClaim {
        user: ada.id,
        key: IdempotencyKey::parse("refused-while-streaming").unwrap(),
        fingerprint: RequestFingerprint::of(&items(&[(&q, 1)])),
        order_id: OrderId::generate(),
        at: ports.clock.now(),
    };
    let refusal = Refusal::OutOfStock { product_id: q.id, requested: 100, available: 15 };
    ports.idempotency.record_refusal(&claim, refusal).await.unwrap();
    timed("IdempotencyStore::record_refusal", started.elapsed());
    let started = Instant::now();
    let email = Email::parse("carol@example.com").unwrap();
    ports
        .login_attempts
        .count_attempt(&email, ports.clock.now(), ports.clock.now() - TimeDelta::minutes(1), 5)
        .await
        .unwrap();
    ports.login_attempts.clear(&email).await.unwrap();
    timed("LoginAttempts", started.elapsed());
    let started = Instant::now();
    assert!(ports.orders.cancel(&to_cancel, ports.clock.now()).await.unwrap());
    timed("OrderStore::cancel", started.elapsed());

    streaming.store(false, std::sync::atomic::Ordering::Relaxed);
    let placed: usize = futures_sum(placers).await;
    assert!(placed > 0);
}

async fn futures_sum(tasks: Vec<tokio::task::JoinHandle<usize>>) -> usize {
    let mut sum = 0;
    for task in tasks {
        sum += task.await.unwrap();
    }
    sum
}

pub async fn keys_older_than_their_lifetime_are_purged_and_then_free(t: &TestStore) {
    use orders_core::usecases::IDEMPOTENCY_KEY_LIFETIME;
    let s = &t.service;
    let ada = customer(s, "ada@example.com", Tier::Standard).await;
    let p = product(s, "P", 100, 10).await;
    let ports = t.store.ports(orders_composition::outside_ports(
        Arc::new(JwtIssuer::with_random_secret(TimeDelta::hours(1))),
        Default::default(),
    ));
    let request = items(&[(&p, 1)]);
    let claim_at = |key: &str, age: TimeDelta| KeyClaim {
        user: ada.id,
        key: IdempotencyKey::parse(key).unwrap(),
        fingerprint: RequestFingerprint::of(&request),
        order_id: OrderId::generate(),
        at: ports.clock.now() - age,
    };
    let refusal = Refusal::OutOfStock { product_id: p.id, requested: 1, available: 0 };
    let old = claim_at("old", IDEMPOTENCY_KEY_LIFETIME + TimeDelta::minutes(1));
    let recent = claim_at("recent", IDEMPOTENCY_KEY_LIFETIME - TimeDelta::minutes(1));
    assert_eq!(ports.idempotency.record_refusal(&old, refusal).await.unwrap(), Claim::Claimed);
    assert_eq!(ports.idempotency.record_refusal(&recent, refusal).await.unwrap(), Claim::Claimed);

    assert_eq!(s.purge_idempotency_keys().await.unwrap(), 1, "only the key past its lifetime goes");
    let reused = s.place_order(ada.id, &request, key("old")).await.unwrap();
    assert!(!reused.replayed, "a purged key is free again");
    let kept = s.place_order(ada.id, &request, key("recent")).await;
    assert!(matches!(kept, Err(PlaceOrderError::Refused { replayed: true, .. })), "{kept:?}");
}

/// PostgreSQL: every column the statements kept as SQL files name (as `table.column`,
/// or in an `INSERT INTO table (...)` list) exists in the migrated schema.
pub async fn the_order_statements_name_only_columns_that_exist(t: &TestStore) {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    use sea_orm::{ConnectionTrait, Database};
    const TABLES: [&str; 7] =
        ["users", "products", "orders", "order_lines", "idempotency_keys", "events", "webhook_deliveries"];
    let identifier = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut named = std::collections::BTreeSet::new();
    let files = orders_adapters::sql::POSTGRES_ORDER_STATEMENTS.into_iter();
    for sql in files.chain([orders_adapters::sql::POSTGRES_RECORD_ATTEMPTS]) {
        for table in TABLES {
            for (at, _) in sql.match_indices(&format!("{table}.")) {
                if sql[..at].chars().next_back().is_some_and(identifier) {
                    continue;
                }
                let column: String = sql[at + table.len() + 1..].chars().take_while(|&c| identifier(c)).collect();
                named.insert((table, column));
            }
            for (at, _) in sql.match_indices(&format!("INSERT INTO {table} (")) {
                let list = &sql[at + table.len() + 14..];
                let list = &list[..list.find(')').expect("the column list ends")];
                named.extend(list.split(',').map(|column| (table, column.trim().to_owned())));
            }
        }
    }
    assert!(named.len() > 25, "the scan found only {named:?}");
    let db = Database::connect(&t.direct_url).await.unwrap();
    for (table, column) in &named {
        let exists = Query::select()
            .expr(Expr::col(Alias::new("column_name")))
            .from((Alias::new("information_schema"), Alias::new("columns")))
            .and_where(Expr::col(Alias::new("table_name")).eq(*table))
            .and_where(Expr::col(Alias::new("column_name")).eq(column.as_str()))
            .to_owned();
        assert!(
            db.query_one(&exists).await.unwrap().is_some(),
            "{table}.{column}, named in a statement, does not exist"
        );
    }
}
