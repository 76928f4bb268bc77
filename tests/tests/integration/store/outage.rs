//! The SQL store when PostgreSQL goes away and comes back: calls fail fast as
//! "unavailable", and the same store serves again once the server is back, with
//! everything acknowledged before the outage still there.

use orders_adapters::{Store, StoreOptions};
use orders_core::domain::{OrderItems, Tier};
use orders_core::ports::{AccessChange, BackendError};
use orders_core::usecases::{Actor, NewProduct, PlaceOrderError, Registration};
use orders_tests::postgres_server::PostgresServer;
use orders_tests::stores::service_on;
use std::time::{Duration, Instant};

#[cfg_attr(not(postgres_programs), ignore = "needs PostgreSQL's initdb and pg_ctl: install PostgreSQL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_outage_fails_fast_and_the_store_recovers() {
    let server = PostgresServer::start();
    let options =
        StoreOptions { max_connections: Some(4), acquire_timeout: Duration::from_secs(2), ..StoreOptions::default() };
    let store = Store::open(&server.url(), &options).await.expect("the server is up");
    store.migrate().await.unwrap();
    let service = service_on(&store);
    let registration = Registration::parse("ada@example.com", "correct horse", None).unwrap();
    let access = AccessChange { tier: Some(Tier::Standard), role: None };
    let ada = service.create_user(&Actor::Operator, registration, access).await.unwrap();
    let new = NewProduct::parse("P", "Product", 100, 10).unwrap();
    let p = service.create_product(&Actor::Operator, new).await.unwrap();
    let request = OrderItems::parse(&[(p.id, 1)]).unwrap();
    let before = service.place_order(ada.id, &request, None).await.unwrap().order;

    server.stop();
    let started = Instant::now();
    let during = service.place_order(ada.id, &request, None).await;
    let took = started.elapsed();
    println!("placing an order with PostgreSQL down: {:?} after {took:?}", during.as_ref().err());
    assert!(matches!(during, Err(PlaceOrderError::Backend(BackendError::Unavailable(_)))), "{during:?}");
    assert!(took < Duration::from_secs(5), "failed fast: {took:?}");
    assert!(matches!(store.ping().await, Err(BackendError::Unavailable(_))));

    server.resume();
    let after = async {
        for _ in 0..20 {
            if let Ok(placed) = service.place_order(ada.id, &request, None).await {
                return placed.order;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("the store did not recover within 5 s of the server's return");
    }
    .await;
    assert!(store.ping().await.is_ok());
    assert_eq!(service.get_order(&Actor::Operator, before.id).await.unwrap(), before, "acknowledged before, kept");
    assert_eq!(service.get_product(p.id).await.unwrap().stock.units(), 8, "one order before, one after, none during");
    assert_ne!(after.id, before.id);
}
