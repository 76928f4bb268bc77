//! The store behaviour suite on PostgreSQL through a transaction-pooling PgBouncer
//! (`pgbouncer=true`), and what only PostgreSQL does, which must hold there too: a
//! held key waited for, a stuck statement timed out. Ignored unless
//! `ORDERS_TEST_PGBOUNCER_URL` names a PgBouncer (`tests/pgbouncer/start.sh`).

orders_tests::store_suite!(
    orders_tests::stores::postgres_through_pgbouncer,
    #[cfg_attr(not(pgbouncer), ignore = "needs a PgBouncer: set ORDERS_TEST_PGBOUNCER_URL (tests/pgbouncer/start.sh)")]
);

#[cfg_attr(not(pgbouncer), ignore = "needs a PgBouncer: set ORDERS_TEST_PGBOUNCER_URL (tests/pgbouncer/start.sh)")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retry_waits_for_the_request_holding_its_key_and_replays_it() {
    let store = orders_tests::stores::postgres_through_pgbouncer().await;
    orders_tests::store_suite::a_retry_waits_for_the_request_holding_its_key_and_replays_it(&store).await;
}

#[cfg_attr(not(pgbouncer), ignore = "needs a PgBouncer: set ORDERS_TEST_PGBOUNCER_URL (tests/pgbouncer/start.sh)")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_held_longer_than_the_wait_limit_is_in_use() {
    let store = orders_tests::stores::postgres_through_pgbouncer().await;
    orders_tests::store_suite::a_key_held_longer_than_the_wait_limit_is_in_use(&store).await;
}

#[cfg_attr(not(pgbouncer), ignore = "needs a PgBouncer: set ORDERS_TEST_PGBOUNCER_URL (tests/pgbouncer/start.sh)")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stuck_request_fails_within_the_statement_timeout() {
    let store = orders_tests::stores::postgres_through_pgbouncer().await;
    orders_tests::store_suite::a_stuck_request_fails_within_the_statement_timeout(&store).await;
}
