//! Fresh stores for the behaviour suite: in memory, a SQLite file in a temporary
//! directory, and a new database on the PostgreSQL server that
//! `ORDERS_TEST_POSTGRES_URL` names.
//!
//! The PostgreSQL cases are marked ignored when that variable is not set (see the tests'
//! `build.rs`); when they run, a missing or unreachable server fails them.

use orders_adapters::tokens::JwtIssuer;
use orders_adapters::{Store, StoreOptions};
use orders_core::usecases::{Service, Settings};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use std::sync::Arc;
use tempfile::TempDir;

pub const POSTGRES_URL_VAR: &str = "ORDERS_TEST_POSTGRES_URL";
pub const PGBOUNCER_URL_VAR: &str = "ORDERS_TEST_PGBOUNCER_URL";

/// A migrated store that lives as long as this value, and the use cases on it.
pub struct TestStore {
    pub store: Store,
    pub service: Service,
    /// The store's database URL, for opening a second store on the same data.
    pub url: String,
    /// A URL of the same database that reaches the server itself, not through any
    /// pooler: for the tests' own connections (which prepare named statements).
    pub direct_url: String,
    _dir: Option<TempDir>,
    postgres: Option<PostgresDatabase>,
}

impl TestStore {
    async fn new(url: String, dir: Option<TempDir>, postgres: Option<PostgresDatabase>) -> Self {
        let direct_url = postgres.as_ref().map_or_else(|| url.clone(), |database| database.url.clone());
        let options = StoreOptions { max_connections: Some(16), ..StoreOptions::default() };
        let store = Store::open(&url, &options).await.unwrap_or_else(|e| panic!("cannot open {url}: {e:?}"));
        store.migrate().await.expect("migrations apply");
        let service = service_on(&store);
        Self { store, service, url, direct_url, _dir: dir, postgres }
    }

    /// On PostgreSQL, how many sessions of this store's database are inside a
    /// transaction with nothing to do: each one holds its locks, and behind PgBouncer
    /// also a server connection, from everyone else.
    pub async fn sessions_idle_in_transaction(&self) -> Option<i64> {
        let database = self.postgres.as_ref()?;
        let admin = Database::connect(&database.base).await.expect("the test server is reachable");
        let count = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND state LIKE 'idle in transaction%'",
            [database.name.clone().into()],
        );
        let row = admin.query_one_raw(count).await.expect("pg_stat_activity is readable").expect("a count");
        Some(row.try_get_by_index(0).expect("a number"))
    }

    /// Which kind of store this is, for messages.
    pub fn kind(&self) -> &'static str {
        match (&self.store, &self.postgres) {
            (Store::Memory(_), _) => "memory",
            (Store::Sql(_), Some(_)) if self.url != self.direct_url => "pgbouncer",
            (Store::Sql(_), Some(_)) => "postgres",
            (Store::Sql(_), None) => "sqlite",
        }
    }
}

pub fn service_on(store: &Store) -> Service {
    let tokens = Arc::new(JwtIssuer::with_random_secret(chrono::TimeDelta::hours(1)));
    orders_composition::service(store, tokens, Settings::default(), Default::default())
}

pub async fn memory() -> TestStore {
    TestStore::new("memory://".to_owned(), None, None).await
}

pub async fn sqlite() -> TestStore {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("orders.db").display());
    TestStore::new(url, Some(dir), None).await
}

/// A fresh database on the PostgreSQL server `ORDERS_TEST_POSTGRES_URL` names.
pub async fn postgres() -> TestStore {
    let base = std::env::var(POSTGRES_URL_VAR)
        .unwrap_or_else(|_| panic!("{POSTGRES_URL_VAR} is not set: it names the PostgreSQL server these cases run on"));
    let database = PostgresDatabase::create(&base).await;
    let url = database.url.clone();
    TestStore::new(url, None, Some(database)).await
}

/// A fresh database on the PostgreSQL server `ORDERS_TEST_POSTGRES_URL` names whose
/// transactions are all serializable (`default_transaction_isolation = serializable`,
/// set on the database before the store connects), as some deployments run PostgreSQL:
/// racing orders then meet serialization failures, which the store must run again.
pub async fn postgres_serializable() -> TestStore {
    let database = PostgresDatabase::on_the_test_server().await;
    database.set_default("default_transaction_isolation", "serializable").await;
    let url = database.url.clone();
    TestStore::new(url, None, Some(database)).await
}

/// A fresh database on the PostgreSQL server `ORDERS_TEST_POSTGRES_URL` names, reached
/// through the PgBouncer `ORDERS_TEST_PGBOUNCER_URL` names, with `pgbouncer=true`.
pub async fn postgres_through_pgbouncer() -> TestStore {
    let database = PostgresDatabase::on_the_test_server().await;
    let url = database.through_pgbouncer();
    TestStore::new(url, None, Some(database)).await
}

/// `url` naming the database `name` instead of its own.
fn with_database(url: &str, name: &str) -> String {
    match url.split('?').next().and_then(|url| url.rsplit_once('/')) {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("{url} names no database"),
    }
}

/// A database created for one test and dropped after it.
pub struct PostgresDatabase {
    base: String,
    name: String,
    /// The database's URL on the server itself.
    pub url: String,
}

impl PostgresDatabase {
    /// A new database on the server `ORDERS_TEST_POSTGRES_URL` names.
    pub async fn on_the_test_server() -> Self {
        let base = std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| {
            panic!("{POSTGRES_URL_VAR} is not set: it names the PostgreSQL server these cases run on")
        });
        Self::create(&base).await
    }

    /// The database's URL through the PgBouncer `ORDERS_TEST_PGBOUNCER_URL` names, with
    /// `pgbouncer=true`.
    pub fn through_pgbouncer(&self) -> String {
        let bouncer = std::env::var(PGBOUNCER_URL_VAR).unwrap_or_else(|_| {
            panic!("{PGBOUNCER_URL_VAR} is not set: it names the PgBouncer these cases run through")
        });
        format!("{}?pgbouncer=true", with_database(&bouncer, &self.name))
    }

    /// Makes `value` the database's default for `setting`, for the sessions opened after.
    pub async fn set_default(&self, setting: &str, value: &str) {
        let admin = Database::connect(&self.base).await.expect("the test server is reachable");
        let alter = format!("ALTER DATABASE {} SET {setting} = {value}", self.name);
        admin.execute_unprepared(&alter).await.expect("ALTER DATABASE … SET");
    }

    async fn create(base: &str) -> Self {
        let name = format!("orders_test_{}", uuid::Uuid::now_v7().simple());
        let admin =
            Database::connect(base).await.unwrap_or_else(|e| panic!("PostgreSQL at {base} is unreachable: {e}"));
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("CREATE DATABASE");
        let url = with_database(base, &name);
        Self { base: base.to_owned(), name, url }
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        let (base, name) = (self.base.clone(), self.name.clone());
        // The test's runtime is shutting down; drop the database from a runtime of our own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let admin = Database::connect(&base).await?;
                admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: test database {} was not dropped", self.name);
        }
    }
}
