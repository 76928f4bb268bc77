//! End to end, two `orders-server` processes sharing one PostgreSQL database (a
//! throw-away server of the test's own): orders racing through both for the same stock
//! never oversell.

use orders_tests::postgres_server::PostgresServer;
use orders_tests::server::{ServerOptions, TestServer, answer};
use serde_json::json;

#[cfg_attr(not(postgres_programs), ignore = "needs PostgreSQL's initdb and pg_ctl: install PostgreSQL")]
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

/// Sixteen requests with one `Idempotency-Key`, spread over two processes at once,
/// place exactly one order: the others replay it or are told the key is in use.
#[cfg_attr(not(postgres_programs), ignore = "needs PostgreSQL's initdb and pg_ctl: install PostgreSQL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_idempotency_key_through_two_servers_places_one_order() {
    let database = PostgresServer::start();
    let options = ServerOptions { database_url: Some(database.url()), ..ServerOptions::default() };
    let first = TestServer::start_with(options.clone()).await;
    let second = TestServer::start_with(options).await;
    let admin = first.admin_token().await;
    let product = first.product(&admin, 250, 100).await;
    let (_, token) = first.customer().await;

    let mut racing = tokio::task::JoinSet::new();
    for n in 0..16 {
        let server = if n % 2 == 0 { &first } else { &second };
        let body = json!({"items": [{"product_id": product["id"], "quantity": 2}]});
        let request =
            server.client().post(server.url("/v1/orders")).bearer_auth(&token).header("Idempotency-Key", "k1");
        racing.spawn(answer(request.json(&body)));
    }
    let answers = racing.join_all().await;

    let created: Vec<_> = answers.iter().filter(|a| a.status == 201).collect();
    let fresh = created.iter().filter(|a| a.header("idempotency-replayed").is_none()).count();
    let replayed = created.iter().filter(|a| a.header("idempotency-replayed") == Some("true")).count();
    let in_use = answers.iter().filter(|a| a.status == 409).count();
    println!("16 requests with one key through two servers: {fresh} placed, {replayed} replayed, {in_use} in use");
    assert_eq!((fresh, replayed + in_use), (1, 15));
    assert!(created.iter().all(|a| a.body == created[0].body), "every 201 is the same order, as placed");
    for busy in answers.iter().filter(|a| a.status == 409) {
        busy.assert_problem(409, "idempotency_key_in_use");
    }
    assert_eq!((first.stock(&product).await, second.stock(&product).await), (98, 98));
    let listed = second.get("/v1/orders", Some(&token)).await;
    assert_eq!(listed.expect(200)["items"].as_array().unwrap().len(), 1);
}

/// Failed logins count across processes: five failures spread over two servers block
/// the email on both, even with the right password.
#[cfg_attr(not(postgres_programs), ignore = "needs PostgreSQL's initdb and pg_ctl: install PostgreSQL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_throttling_is_shared_by_every_server() {
    let database = PostgresServer::start();
    let options = ServerOptions { database_url: Some(database.url()), ..ServerOptions::default() };
    let first = TestServer::start_with(options.clone()).await;
    let second = TestServer::start_with(options).await;
    let (user, _) = first.customer().await;
    let email = user["email"].as_str().unwrap();

    for n in 0..5 {
        let server = if n % 2 == 0 { &first } else { &second };
        server.request_token(email, "wrong password").await.assert_problem(401, "invalid_credentials");
    }
    for server in [&first, &second] {
        let blocked = server.request_token(email, "customer-password").await;
        blocked.assert_problem(429, "too_many_attempts");
        let retry_after: u64 = blocked.header("retry-after").expect("Retry-After").parse().unwrap();
        assert!((1..=900).contains(&retry_after), "Retry-After {retry_after}");
    }
    let (other, _) = second.customer().await;
    first.request_token(other["email"].as_str().unwrap(), "customer-password").await.expect(200);
}

/// Two hundred wrong passwords for one account, spread over two processes at once:
/// at most the limit of them are checked (401), the rest are throttled (429).
#[cfg_attr(not(postgres_programs), ignore = "needs PostgreSQL's initdb and pg_ctl: install PostgreSQL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_through_two_servers_check_at_most_the_limit() {
    let database = PostgresServer::start();
    let options = ServerOptions { database_url: Some(database.url()), ..ServerOptions::default() };
    let first = TestServer::start_with(options.clone()).await;
    let second = TestServer::start_with(options).await;
    let (customer, _) = first.customer().await;
    let email = customer["email"].as_str().unwrap().to_owned();

    let mut guesses = tokio::task::JoinSet::new();
    for n in 0..200 {
        let server = if n % 2 == 0 { &first } else { &second };
        let form = [("username", email.clone()), ("password", format!("wrong guess {n}"))];
        guesses.spawn(answer(server.client().post(server.url("/v1/auth/token")).form(&form)));
    }
    let answers = guesses.join_all().await;

    let checked = answers.iter().filter(|a| a.status == 401).count();
    let throttled = answers.iter().filter(|a| a.status == 429).count();
    for other in answers.iter().filter(|a| a.status != 401 && a.status != 429) {
        other.assert_problem(503, "service_unavailable");
    }
    println!("200 parallel guesses through two servers: {checked} checked, {throttled} throttled");
    assert!(checked <= 5, "{checked} passwords were checked");
    assert!(throttled >= 190, "{throttled} throttled");
}
