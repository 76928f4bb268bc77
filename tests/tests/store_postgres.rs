//! The store behaviour suite on the postgres store, and what only PostgreSQL does.

orders_tests::store_suite!(orders_tests::stores::postgres);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_held_longer_than_the_wait_limit_is_in_use() {
    if let Some(store) = orders_tests::stores::postgres().await {
        orders_tests::store_suite::a_key_held_longer_than_the_wait_limit_is_in_use(&store).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stuck_request_fails_within_the_statement_timeout() {
    if let Some(store) = orders_tests::stores::postgres().await {
        orders_tests::store_suite::a_stuck_request_fails_within_the_statement_timeout(&store).await;
    }
}
