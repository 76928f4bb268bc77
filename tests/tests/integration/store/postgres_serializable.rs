//! The store behaviour suite on PostgreSQL with every transaction serializable
//! (`default_transaction_isolation = serializable`): racing orders, cancels, restocks
//! and logins are aborted with serialization failures (40001) and deadlocks (40P01),
//! which the store runs again, so every guarantee still holds. Ignored unless
//! `ORDERS_TEST_POSTGRES_URL` names a server.

use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};

orders_tests::store_suite!(
    orders_tests::stores::postgres_serializable,
    #[cfg_attr(not(postgres_server), ignore = "needs a PostgreSQL server: set ORDERS_TEST_POSTGRES_URL")]
);

/// The suite above runs serializable indeed: a session of its database says so.
#[cfg_attr(not(postgres_server), ignore = "needs a PostgreSQL server: set ORDERS_TEST_POSTGRES_URL")]
#[tokio::test]
async fn the_suites_sessions_are_serializable() {
    let store = orders_tests::stores::postgres_serializable().await;
    let session = Database::connect(&store.direct_url).await.unwrap();
    let show = Statement::from_string(DbBackend::Postgres, "SHOW transaction_isolation");
    let row = session.query_one_raw(show).await.unwrap().unwrap();
    assert_eq!(row.try_get_by_index::<String>(0).unwrap(), "serializable");
}
