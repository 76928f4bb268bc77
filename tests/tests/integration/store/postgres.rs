//! The store behaviour suite on PostgreSQL, and what only PostgreSQL does. Ignored
//! unless `ORDERS_TEST_POSTGRES_URL` names a server.

orders_tests::store_suite!(
    orders_tests::stores::postgres,
    #[cfg_attr(not(postgres_server), ignore = "needs a PostgreSQL server: set ORDERS_TEST_POSTGRES_URL")]
);

#[cfg_attr(not(postgres_server), ignore = "needs a PostgreSQL server: set ORDERS_TEST_POSTGRES_URL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retry_waits_for_the_request_holding_its_key_and_replays_it() {
    let store = orders_tests::stores::postgres().await;
    orders_tests::store_suite::a_retry_waits_for_the_request_holding_its_key_and_replays_it(&store).await;
}

#[cfg_attr(not(postgres_server), ignore = "needs a PostgreSQL server: set ORDERS_TEST_POSTGRES_URL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_held_longer_than_the_wait_limit_is_in_use() {
    let store = orders_tests::stores::postgres().await;
    orders_tests::store_suite::a_key_held_longer_than_the_wait_limit_is_in_use(&store).await;
}

#[cfg_attr(not(postgres_server), ignore = "needs a PostgreSQL server: set ORDERS_TEST_POSTGRES_URL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stuck_request_fails_within_the_statement_timeout() {
    let store = orders_tests::stores::postgres().await;
    orders_tests::store_suite::a_stuck_request_fails_within_the_statement_timeout(&store).await;
}

#[cfg_attr(not(postgres_server), ignore = "needs a PostgreSQL server: set ORDERS_TEST_POSTGRES_URL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_order_statements_name_only_columns_that_exist() {
    let store = orders_tests::stores::postgres().await;
    orders_tests::store_suite::the_order_statements_name_only_columns_that_exist(&store).await;
}
