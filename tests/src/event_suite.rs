//! The store behaviour suite's cases for events and webhooks, run on every store with
//! the rest of the suite ([`store_suite!`](crate::store_suite)): each change records its
//! event in feed order, a reader following the feed while 32 writers place orders sees
//! every event once, and webhook deliveries are leased, retried, given up and revived
//! through each store's statements (with a fake sender and a clock the test moves).

use crate::store_suite::{customer, items, product};
use crate::stores::{TestStore, service_on};
use async_trait::async_trait;
use chrono::{SubsecRound, TimeDelta};
use orders_adapters::tokens::JwtIssuer;
use orders_adapters::{Store, StoreOptions};
use orders_core::domain::{
    AttemptResult, Endpoint, Event, EventId, EventSubject, EventType, FeedPosition, Limit, OrderStatus, ProductChanges,
    RestockQuantity, Tier, Timestamp, WebhookStatus, WebhookUrl, WorkerId,
};
use orders_core::ports::{Clock, Lease, SendOutcome, TargetRefused, WebhookMessage, WebhookSender};
use orders_core::usecases::{Actor, CreateProductError, NewProduct, NewWebhook, Service, Settings};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a test waits for events to become readable. On PostgreSQL the feed shows an
/// event once every transaction older than its own, in any database of the cluster,
/// has ended, so other tests' long transactions (a lock held for seconds) delay it.
const VISIBLE_WITHIN: Duration = Duration::from_secs(60);

/// Waits until the feed holds at least `count` events, and returns them all.
pub async fn feed_of_at_least(service: &Service, count: usize) -> Vec<Event> {
    let deadline = std::time::Instant::now() + VISIBLE_WITHIN;
    loop {
        let events = whole_feed(service, 100).await;
        if events.len() >= count || std::time::Instant::now() > deadline {
            return events;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every event of the feed, read `limit` at a time from the start.
async fn whole_feed(service: &Service, limit: u32) -> Vec<Event> {
    let mut events = Vec::new();
    let mut after = None;
    loop {
        let page = service.list_events(&Actor::Operator, after, Limit::new(i64::from(limit)).unwrap()).await.unwrap();
        if page.items.is_empty() {
            return events;
        }
        events.extend(page.items);
        after = Some(page.next);
    }
}

pub async fn every_change_records_its_event_in_feed_order(t: &TestStore) {
    let s = &t.service;
    let ada = customer(s, "ada@example.com", Tier::Standard).await;
    let widget = product(s, "W", 250, 2).await;
    let renamed = ProductChanges::parse(Some("Widget v2"), None).unwrap();
    s.update_product(&Actor::Operator, widget.id, renamed).await.unwrap();
    s.restock_product(&Actor::Operator, widget.id, RestockQuantity::new(1).unwrap()).await.unwrap();
    let order = s.place_order(ada.id, &items(&[(&widget, 3)]), None).await.unwrap().order;
    s.cancel_order(&Actor::Operator, order.id).await.unwrap();
    let refused = s.place_order(ada.id, &items(&[(&widget, 5)]), None).await;
    assert!(refused.is_err(), "a refused order records nothing");
    let again = NewProduct::parse("W", "Another", 1, 1).unwrap();
    assert!(matches!(s.create_product(&Actor::Operator, again).await, Err(CreateProductError::SkuTaken)));

    feed_of_at_least(s, 6).await;
    let events = whole_feed(s, 2).await;
    let kinds: Vec<EventType> = events.iter().map(|event| event.kind).collect();
    assert_eq!(
        kinds,
        [
            EventType::ProductCreated,
            EventType::ProductUpdated,
            EventType::ProductRestocked,
            EventType::OrderPlaced,
            EventType::ProductOutOfStock,
            EventType::OrderCancelled,
        ],
        "[{}] in the order the changes were made, a refused order and a taken sku recording nothing",
        t.kind()
    );
    let product_of = |event: &Event| match &event.subject {
        EventSubject::Product(product) => (product.name.as_str().to_owned(), product.stock.units()),
        other => panic!("{other:?} is not a product"),
    };
    assert_eq!(product_of(&events[0]), ("Product W".to_owned(), 2));
    assert_eq!(product_of(&events[1]), ("Widget v2".to_owned(), 2));
    assert_eq!(product_of(&events[2]), ("Widget v2".to_owned(), 3));
    assert_eq!(product_of(&events[4]), ("Widget v2".to_owned(), 0), "the order took the last units");
    match (&events[3].subject, &events[5].subject) {
        (EventSubject::Order(placed), EventSubject::Order(cancelled)) => {
            assert_eq!((placed.id, placed.status, placed.cancelled_at), (order.id, OrderStatus::Placed, None));
            assert_eq!(placed.lines[0].quantity.units(), 3, "the stock the order took is in its data");
            assert_eq!((cancelled.id, cancelled.status), (order.id, OrderStatus::Cancelled));
            assert!(cancelled.cancelled_at.is_some());
        }
        other => panic!("not orders: {other:?}"),
    }
    assert_eq!(events[3].occurred_at, order.created_at);
    let ids: HashSet<EventId> = events.iter().map(|event| event.id).collect();
    assert_eq!(ids.len(), events.len(), "every event has an id of its own");

    let head = s.feed_head().await.unwrap().expect("the feed has a head");
    let after_head = s.list_events(&Actor::Operator, Some(head), Limit::default()).await.unwrap();
    assert!(after_head.items.is_empty() && after_head.next == head, "caught up, the next position is the head");
}

/// Purging every event past its retention keeps the newest, so that the feed never
/// goes back: an event recorded after the purge comes after every position a reader
/// was given before it (SQLite numbers a new row one past the highest it holds).
pub async fn purged_events_are_gone_and_later_ones_come_after_every_position_given(t: &TestStore) {
    let s = &t.service;
    let widget = product(s, "W", 250, 2).await;
    for _ in 0..3 {
        s.restock_product(&Actor::Operator, widget.id, RestockQuantity::new(1).unwrap()).await.unwrap();
    }
    feed_of_at_least(s, 4).await;
    let head = s.feed_head().await.unwrap().expect("the feed has a head");
    let ports = t.store.ports(orders_composition::outside_ports(
        Arc::new(JwtIssuer::with_random_secret(TimeDelta::hours(1))),
        Default::default(),
    ));
    let purged = ports.events.purge_before(chrono::Utc::now() + TimeDelta::days(1)).await.unwrap();
    assert_eq!(purged, 3, "[{}] every event but the newest", t.kind());
    let kept = whole_feed(s, 10).await;
    assert_eq!(kept.len(), 1, "[{}] the newest is kept: {kept:?}", t.kind());

    s.restock_product(&Actor::Operator, widget.id, RestockQuantity::new(1).unwrap()).await.unwrap();
    let deadline = std::time::Instant::now() + VISIBLE_WITHIN;
    let after_head = loop {
        let page = s.list_events(&Actor::Operator, Some(head), Limit::default()).await.unwrap();
        if !page.items.is_empty() || std::time::Instant::now() > deadline {
            break page.items;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(after_head.len(), 1, "[{}] the event after the purge comes after the old head", t.kind());
    assert_eq!(after_head[0].kind, EventType::ProductRestocked);
}

/// 32 tasks, each with its own connection where the store has a pool, place orders as
/// fast as they can while a reader follows the feed from cursor to cursor. Sequence
/// numbers are handed out before commits, in another order than the commits; a reader
/// that trusted them alone would step past events that commit late. It must see every
/// event exactly once, in the order a reading of the whole feed afterwards gives.
pub async fn a_reader_following_the_feed_while_32_writers_place_orders_sees_every_event_once(t: &TestStore) {
    const WRITERS: usize = 32;
    const ORDERS_EACH: usize = 15;
    // On PostgreSQL the writers get a pool of their own with a connection each; SQLite
    // and memory take writes one at a time whatever the pool.
    let writers_service = match t.kind() {
        "postgres" | "pgbouncer" => {
            let options = StoreOptions { max_connections: Some(WRITERS as u32), ..StoreOptions::default() };
            service_on(&Store::open(&t.url, &options).await.expect("a second store on the same data"))
        }
        _ => t.service.clone(),
    };
    let ada = customer(&t.service, "ada@example.com", Tier::Standard).await;
    let mut products = Vec::new();
    for n in 0..8 {
        products.push(product(&t.service, &format!("P{n}"), 100, 1_000_000).await);
    }
    let before = t.service.feed_head().await.unwrap();
    let writing = Arc::new(AtomicBool::new(true));
    let reader = {
        let (s, writing) = (t.service.clone(), writing.clone());
        tokio::spawn(async move {
            let (mut seen, mut after, mut placed) = (Vec::new(), before, 0);
            let mut deadline = None;
            while placed < WRITERS * ORDERS_EACH {
                let page = s.list_events(&Actor::Operator, after, Limit::new(100).unwrap()).await.unwrap();
                if page.items.is_empty() {
                    if !writing.load(Ordering::Acquire) {
                        let deadline = *deadline.get_or_insert_with(|| std::time::Instant::now() + VISIBLE_WITHIN);
                        if std::time::Instant::now() > deadline {
                            break;
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                placed += page.items.iter().filter(|event| event.kind == EventType::OrderPlaced).count();
                seen.extend(page.items.iter().map(|event| event.id));
                after = Some(page.next);
            }
            seen
        })
    };
    let placers: Vec<_> = (0..WRITERS)
        .map(|n| {
            let (s, ada) = (writers_service.clone(), ada.clone());
            let request = items(&[(&products[n % products.len()], 1), (&products[(n + 3) % products.len()], 2)]);
            tokio::spawn(async move {
                for _ in 0..ORDERS_EACH {
                    s.place_order(ada.id, &request, None).await.expect("an order is placed");
                }
            })
        })
        .collect();
    for placer in placers {
        placer.await.expect("no placer panics");
    }
    writing.store(false, Ordering::Release);
    let seen = reader.await.expect("the reader does not panic");

    let mut all = Vec::new();
    let mut after = before;
    loop {
        let page = t.service.list_events(&Actor::Operator, after, Limit::new(100).unwrap()).await.unwrap();
        if page.items.is_empty() {
            break;
        }
        all.extend(page.items.iter().map(|event| (event.id, event.kind)));
        after = Some(page.next);
    }
    let placed = all.iter().filter(|(_, kind)| *kind == EventType::OrderPlaced).count();
    assert_eq!(placed, WRITERS * ORDERS_EACH, "[{}] every order recorded its event", t.kind());
    let unique: HashSet<EventId> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "[{}] the reader saw an event twice", t.kind());
    let missed = all.iter().filter(|(id, _)| !unique.contains(id)).count();
    assert_eq!(missed, 0, "[{}] the reader missed {missed} of {} events that committed behind it", t.kind(), all.len());
    let all_ids: Vec<EventId> = all.iter().map(|(id, _)| *id).collect();
    assert_eq!(seen, all_ids, "[{}] the follower saw the feed's own order", t.kind());
    println!("[{}] a follower saw all {} events of {WRITERS} concurrent writers once", t.kind(), seen.len());
}

/// A clock the test sets.
struct TestClock(Mutex<Timestamp>);

impl TestClock {
    fn advance(&self, by: TimeDelta) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

/// A sender that answers every delivery the same way, and remembers what it was sent.
#[derive(Default)]
struct TestSender {
    failing: AtomicBool,
    sent: Mutex<Vec<EventId>>,
}

impl TestSender {
    fn sent(&self) -> Vec<EventId> {
        std::mem::take(&mut *self.sent.lock().unwrap())
    }
}

#[async_trait]
impl WebhookSender for TestSender {
    async fn check_target(&self, _url: &WebhookUrl) -> Result<(), TargetRefused> {
        Ok(())
    }

    async fn send(&self, _endpoint: &Endpoint, messages: Vec<WebhookMessage>) -> Vec<SendOutcome> {
        self.sent.lock().unwrap().extend(messages.iter().map(|message| message.event_id));
        let result = if self.failing.load(Ordering::Acquire) {
            AttemptResult::Refused { status: 503 }
        } else {
            AttemptResult::Delivered { status: 204 }
        };
        messages.iter().map(|_| SendOutcome { result: result.clone(), latency: Duration::from_millis(1) }).collect()
    }
}

fn present(event: &Event) -> String {
    format!("{{\"id\":\"{}\"}}", event.id)
}

pub async fn webhook_deliveries_are_leased_retried_given_up_and_revived(t: &TestStore) {
    let clock = Arc::new(TestClock(Mutex::new(chrono::Utc::now().trunc_subsecs(3))));
    let sender = Arc::new(TestSender::default());
    let mut outside = orders_composition::outside_ports(
        Arc::new(JwtIssuer::with_random_secret(TimeDelta::hours(1))),
        Default::default(),
    );
    (outside.clock, outside.webhook_sender) = (clock.clone(), sender.clone());
    let ports = t.store.ports(outside);
    let s = Service::new(ports.clone(), Settings::default());
    let (w1, w2) = (WorkerId::generate(), WorkerId::generate());
    let subscribed = ["product.created".to_owned(), "order.placed".to_owned()];
    let new = NewWebhook::parse("https://hooks.example.com/in", &subscribed).unwrap();
    let webhook = s.create_webhook(&Actor::Operator, new).await.unwrap().webhook;
    let widgets = [product(&s, "A", 100, 5).await, product(&s, "B", 100, 5).await];
    s.update_product(&Actor::Operator, widgets[0].id, ProductChanges::parse(Some("A2"), None).unwrap()).await.unwrap();
    feed_of_at_least(&s, 3).await;

    // One worker at a time holds an endpoint's fresh events.
    let head = s.feed_head().await.unwrap().unwrap();
    let lease = |holder| Lease { holder, until: clock.now() + TimeDelta::minutes(5) };
    let first = ports.webhooks.lease_fresh(head, clock.now(), lease(w1)).await.unwrap().expect("w1 leases");
    assert_eq!(first.endpoint.webhook.id, webhook.id);
    assert!(ports.webhooks.lease_fresh(head, clock.now(), lease(w2)).await.unwrap().is_none(), "w2 must wait");
    clock.advance(TimeDelta::minutes(6));
    let second = ports.webhooks.lease_fresh(head, clock.now(), lease(w2)).await.unwrap().expect("w1's lease ran out");
    assert!(!ports.webhooks.record_fresh(&first, head, &[], &[]).await.unwrap(), "w1 lost its lease");
    assert!(ports.webhooks.record_fresh(&second, second.cursor, &[], &[]).await.unwrap());

    // Delivered to an endpoint that fails: each event tried once, then retried later.
    sender.failing.store(true, Ordering::Release);
    assert_eq!(s.deliver_webhooks(w1, &present).await.unwrap(), 3, "three events after the endpoint was added");
    assert_eq!(sender.sent().len(), 2, "the update is not subscribed to");
    assert_eq!(s.deliver_webhooks(w1, &present).await.unwrap(), 0, "nothing due yet");
    clock.advance(TimeDelta::seconds(10));
    let claimed = ports.webhooks.claim_retries(clock.now(), lease(w1), 10).await.unwrap();
    assert_eq!(claimed.len(), 2);
    assert!(ports.webhooks.claim_retries(clock.now(), lease(w2), 10).await.unwrap().is_empty(), "claimed by w1");
    clock.advance(TimeDelta::minutes(6));
    assert_eq!(s.deliver_webhooks(w2, &present).await.unwrap(), 2, "w1's claims ran out: w2 retries");
    assert_eq!(sender.sent().len(), 2);

    // Failing for a day gives up and marks the endpoint failing; new events wait.
    clock.advance(TimeDelta::hours(25));
    assert_eq!(s.deliver_webhooks(w1, &present).await.unwrap(), 2);
    assert_eq!(sender.sent().len(), 2);
    let status = s.list_webhooks(&Actor::Operator, Default::default()).await.unwrap().items[0].status;
    assert_eq!(status, WebhookStatus::Failing);
    let late = product(&s, "C", 100, 5).await;
    feed_of_at_least(&s, 4).await;
    assert_eq!(s.deliver_webhooks(w1, &present).await.unwrap(), 0, "nothing is sent to a failing endpoint");
    assert!(sender.sent().is_empty());

    // A retry an admin asks for revives it, and the events it missed follow.
    let attempts = s.list_webhook_deliveries(&Actor::Operator, webhook.id, Default::default()).await.unwrap().items;
    assert_eq!(attempts.len(), 6, "three tries of two events");
    assert!(attempts.iter().all(|attempt| !attempt.result.delivered()));
    assert!(attempts[0].next_retry_at.is_none() && attempts[0].attempted_at == clock.now(), "the last gave up");
    sender.failing.store(false, Ordering::Release);
    s.retry_webhook_delivery(&Actor::Operator, webhook.id, attempts[0].id).await.unwrap();
    assert_eq!(s.deliver_webhooks(w2, &present).await.unwrap(), 1);
    assert_eq!(sender.sent(), [attempts[0].event_id]);
    let status = s.list_webhooks(&Actor::Operator, Default::default()).await.unwrap().items[0].status;
    assert_eq!(status, WebhookStatus::Active, "[{}] a success revives the endpoint", t.kind());
    assert_eq!(s.deliver_webhooks(w2, &present).await.unwrap(), 1, "the event made while it was failing");
    let late_event = whole_feed(&s, 100).await.into_iter().rev().find(|event| event.kind == EventType::ProductCreated);
    assert_eq!(sender.sent(), [late_event.expect("C's event").id]);
    assert!(matches!(&whole_feed(&s, 100).await.last().unwrap().subject, EventSubject::Product(p) if p.id == late.id));

    s.delete_webhook(&Actor::Operator, webhook.id).await.unwrap();
    assert!(s.list_webhook_deliveries(&Actor::Operator, webhook.id, Default::default()).await.is_err());
    assert_eq!(s.feed_head().await.unwrap().map(|head| head > FeedPosition::START), Some(true));
}
