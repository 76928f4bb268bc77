//! Fresh stores for the behaviour suite: in memory, a SQLite file in a temporary
//! directory, and a new database on the PostgreSQL server that
//! `ORDERS_TEST_POSTGRES_URL` names.
//!
//! The PostgreSQL cases are marked ignored when that variable is not set (see the tests'
//! `build.rs`); when they run, a missing or unreachable server fails them.

use orders_adapters::tokens::JwtIssuer;
use orders_adapters::{Store, StoreOptions};
use orders_core::usecases::{Service, Settings};
use sea_orm::{ConnectionTrait, Database};
use std::sync::Arc;
use tempfile::TempDir;

pub const POSTGRES_URL_VAR: &str = "ORDERS_TEST_POSTGRES_URL";

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
