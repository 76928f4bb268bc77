//! Fresh stores for the behaviour suite: in memory, a SQLite file in a temporary
//! directory, and a new database on the PostgreSQL server that
//! `ORDERS_TEST_POSTGRES_URL` names.
//!
//! Without that variable the PostgreSQL cases say loudly that they were skipped; with
//! `ORDERS_REQUIRE_POSTGRES=1` a missing or unreachable server fails them instead.

use orders_adapters::tokens::JwtIssuer;
use orders_adapters::{Store, StoreOptions};
use orders_core::usecases::{Service, Settings};
use sea_orm::{ConnectionTrait, Database};
use std::sync::Arc;
use tempfile::TempDir;

pub const POSTGRES_URL_VAR: &str = "ORDERS_TEST_POSTGRES_URL";
pub const REQUIRE_POSTGRES_VAR: &str = "ORDERS_REQUIRE_POSTGRES";

/// A migrated store that lives as long as this value, and the use cases on it.
pub struct TestStore {
    pub store: Store,
    pub service: Service,
    /// The database URL, for opening a second connection pool to the same data.
    pub url: String,
    _dir: Option<TempDir>,
    postgres: Option<PostgresDatabase>,
}

impl TestStore {
    async fn new(url: String, dir: Option<TempDir>, postgres: Option<PostgresDatabase>) -> Self {
        let options = StoreOptions { max_connections: Some(16), ..StoreOptions::default() };
        let store = Store::open(&url, &options).await.unwrap_or_else(|e| panic!("cannot open {url}: {e:?}"));
        store.migrate().await.expect("migrations apply");
        let service = service_on(&store);
        Self { store, service, url, _dir: dir, postgres }
    }

    /// Which kind of store this is, for messages.
    pub fn kind(&self) -> &'static str {
        match (&self.store, &self.postgres) {
            (Store::Memory(_), _) => "memory",
            (Store::Sql(_), Some(_)) => "postgres",
            (Store::Sql(_), None) => "sqlite",
        }
    }
}

pub fn service_on(store: &Store) -> Service {
    let tokens = Arc::new(JwtIssuer::with_random_secret(chrono::TimeDelta::hours(1)));
    orders_composition::service(store, tokens, Settings::default())
}

pub async fn memory() -> Option<TestStore> {
    Some(TestStore::new("memory://".to_owned(), None, None).await)
}

pub async fn sqlite() -> Option<TestStore> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("orders.db").display());
    Some(TestStore::new(url, Some(dir), None).await)
}

/// A fresh database on the test PostgreSQL server, or `None` (after saying so) when
/// no server is configured and none is required.
pub async fn postgres() -> Option<TestStore> {
    let required = std::env::var(REQUIRE_POSTGRES_VAR).is_ok_and(|v| v == "1");
    let Ok(base) = std::env::var(POSTGRES_URL_VAR) else {
        assert!(!required, "{REQUIRE_POSTGRES_VAR}=1 but {POSTGRES_URL_VAR} is not set");
        eprintln!(
            "SKIPPED: PostgreSQL case: set {POSTGRES_URL_VAR} (e.g. postgres://postgres@127.0.0.1:5432/test) to run it"
        );
        return None;
    };
    let database = PostgresDatabase::create(&base).await;
    let url = database.url.clone();
    Some(TestStore::new(url, None, Some(database)).await)
}

/// A database created for one test and dropped after it.
struct PostgresDatabase {
    base: String,
    name: String,
    url: String,
}

impl PostgresDatabase {
    async fn create(base: &str) -> Self {
        let name = format!("orders_test_{}", uuid::Uuid::now_v7().simple());
        let admin =
            Database::connect(base).await.unwrap_or_else(|e| panic!("PostgreSQL at {base} is unreachable: {e}"));
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("CREATE DATABASE");
        let url = match base.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => panic!("{base} names no database"),
        };
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
