//! The server killed with SIGKILL while orders stream in: every order it acknowledged
//! with 201 is there after a restart on the same database, and every unit of stock is
//! either in stock or in an order (nothing half done), on SQLite and on PostgreSQL.

use orders_tests::server::{Database, ServerOptions, TestServer, fresh_database_url};
use orders_tests::stores::PostgresDatabase;
use serde_json::{Value, json};
use std::process::Command;
use std::time::Duration;

const STOCK: i64 = 1_000_000;

async fn acknowledged_orders_survive_a_kill(database_url: String) {
    let options = ServerOptions { database_url: Some(database_url.clone()), ..ServerOptions::default() };
    let mut first = TestServer::start_with(options.clone()).await;
    let admin = first.admin_token().await;
    let (a, b) = (first.product(&admin, 100, STOCK).await, first.product(&admin, 250, STOCK).await);
    let (_, token) = first.customer().await;

    let mut placers = tokio::task::JoinSet::new();
    for n in 0..16 {
        let (client, url, token) = (first.client().clone(), first.url("/v1/orders"), token.clone());
        let items = if n % 2 == 0 {
            json!([{"product_id": a["id"], "quantity": 1}, {"product_id": b["id"], "quantity": 2}])
        } else {
            json!([{"product_id": b["id"], "quantity": 1}])
        };
        placers.spawn(async move {
            let mut acknowledged = Vec::new();
            loop {
                let sent = client.post(&url).bearer_auth(&token).json(&json!({"items": items})).send().await;
                let Ok(response) = sent else { return acknowledged };
                if response.status() != 201 {
                    return acknowledged;
                }
                let Ok(order) = response.json::<Value>().await else { return acknowledged };
                acknowledged.push(order["id"].as_str().unwrap().to_owned());
            }
        });
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let killed = Command::new("kill").args(["-KILL", &first.pid().to_string()]).status().unwrap();
    assert!(killed.success());
    first.wait_for_exit();
    let acknowledged: Vec<String> = placers.join_all().await.into_iter().flatten().collect();
    assert!(!acknowledged.is_empty(), "orders were placed before the kill");

    let second = TestServer::start_with(options).await;
    let admin = second.admin_token().await;
    for id in &acknowledged {
        second.get(&format!("/v1/orders/{id}"), Some(&admin)).await.expect(200);
    }
    let mut ordered = [0_i64; 2];
    let mut cursor: Option<String> = None;
    loop {
        let page = match &cursor {
            Some(cursor) => format!("/v1/orders?limit=100&cursor={cursor}"),
            None => "/v1/orders?limit=100".to_owned(),
        };
        let page = second.get(&page, Some(&admin)).await.expect(200).clone();
        for line in page["items"].as_array().unwrap().iter().flat_map(|order| order["items"].as_array().unwrap()) {
            let slot = if line["product_id"] == a["id"] { 0 } else { 1 };
            ordered[slot] += line["quantity"].as_i64().unwrap();
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    println!("killed under load: {} acknowledged orders, all there after the restart", acknowledged.len());
    assert_eq!(second.stock(&a).await + ordered[0], STOCK, "every unit of A is in stock or in an order");
    assert_eq!(second.stock(&b).await + ordered[1], STOCK, "every unit of B is in stock or in an order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_acknowledged_orders_survive_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    acknowledged_orders_survive_a_kill(fresh_database_url(Database::Sqlite, dir.path())).await;
}

#[cfg_attr(not(postgres_server), ignore = "needs a PostgreSQL server: set ORDERS_TEST_POSTGRES_URL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_acknowledged_orders_survive_a_kill() {
    let database = PostgresDatabase::on_the_test_server().await;
    acknowledged_orders_survive_a_kill(database.url.clone()).await;
}
