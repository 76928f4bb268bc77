//! The HTTP application in this process: the `Route` and middleware that
//! `orders-server` serves, prepared by its own startup code from the same flags, and
//! called without a socket. The contract's cases run here, each over a fresh database:
//! SQLite, or as `ORDERS_TEST_CONTRACT_DATABASE` says, `postgres` (the server
//! `ORDERS_TEST_POSTGRES_URL` names) or `pgbouncer` (the same, through the PgBouncer
//! `ORDERS_TEST_PGBOUNCER_URL` names). What only a real process or socket shows runs on
//! a [`TestServer`](crate::server::TestServer).

use crate::api::{Api, JWT_SECRET};
use crate::server::{DATABASE, fresh_database_url};
use crate::stores::PostgresDatabase;
use clap::Parser;
use orders_server::config::Config;
use orders_server::{app, startup};
use poem::EndpointExt;
use std::ops::Deref;
use tempfile::TempDir;

/// Which database the contract's cases run on.
pub const CONTRACT_DATABASE_VAR: &str = "ORDERS_TEST_CONTRACT_DATABASE";

/// The application over a fresh database of its own, with the demo data.
pub struct TestApp {
    api: Api,
    _dir: TempDir,
    _postgres: Option<PostgresDatabase>,
}

impl TestApp {
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// The application started with `extra` flags besides the database, secret and demo's.
    pub async fn start_with(extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (url, postgres) = match std::env::var(CONTRACT_DATABASE_VAR).as_deref() {
            Err(_) | Ok("sqlite") => (fresh_database_url(DATABASE, dir.path()), None),
            Ok("postgres") => {
                let database = PostgresDatabase::on_the_test_server().await;
                (database.url.clone(), Some(database))
            }
            Ok("pgbouncer") => {
                let database = PostgresDatabase::on_the_test_server().await;
                (database.through_pgbouncer(), Some(database))
            }
            Ok(other) => panic!("{CONTRACT_DATABASE_VAR}={other}: use sqlite, postgres or pgbouncer"),
        };
        let flags = ["orders-server", "--database-url", &url, "--jwt-secret", JWT_SECRET, "--demo"];
        let config = Config::try_parse_from(flags.iter().chain(extra)).expect("the flags are valid");
        let prepared = startup::prepare(&config).await.expect("the application starts");
        let endpoint = app::build(prepared).map_to_response().boxed();
        Self { api: Api::in_process(endpoint), _dir: dir, _postgres: postgres }
    }
}

impl Deref for TestApp {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}
