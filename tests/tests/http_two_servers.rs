//! End to end, two `orders-server` processes sharing one PostgreSQL database (a
//! throw-away server of the test's own): orders racing through both for the same stock
//! never oversell.

use orders_tests::postgres_server::PostgresServer;
use orders_tests::server::{ServerOptions, TestServer, answer};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_racing_through_two_servers_take_exactly_the_stock_there_is() {
    let database = PostgresServer::start();
    let options = ServerOptions { database_url: Some(database.url()), ..ServerOptions::default() };
    let first = TestServer::start_with(options.clone()).await;
    let second = TestServer::start_with(options).await;
    let admin = first.admin_token().await;
    let stock = 7;
    let product = first.product(&admin, 100, stock).await;
    let mut customers = Vec::new();
    for server in [&first, &second, &first, &second] {
        customers.push(server.customer().await.1);
    }

    let mut racing = tokio::task::JoinSet::new();
    for round in 0..5 {
        for (i, token) in customers.iter().enumerate() {
            let server = if (round + i) % 2 == 0 { &first } else { &second };
            let body = json!({"items": [{"product_id": product["id"], "quantity": 1}]});
            racing.spawn(answer(server.client().post(server.url("/v1/orders")).bearer_auth(token).json(&body)));
        }
    }
    let answers = racing.join_all().await;

    let placed = answers.iter().filter(|a| a.status == 201).count();
    for refused in answers.iter().filter(|a| a.status != 201) {
        refused.assert_problem(409, "out_of_stock");
    }
    println!("20 racing orders for a stock of {stock} through two servers: {placed} placed");
    assert_eq!(placed, stock as usize);
    assert_eq!((first.stock(&product).await, second.stock(&product).await), (0, 0));
}
