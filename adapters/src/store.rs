//! Choosing a store by URL, and wiring it into core's ports.

use crate::clock::SystemClock;
use crate::memory::MemoryStore;
use crate::passwords::Argon2Hasher;
use crate::sql::SqlStore;
use orders_core::ports::{
    BackendError, IdempotencyStore, LoginAttempts, OrderStore, ProductStore, TokenIssuer, UserStore,
};
use orders_core::usecases::Ports;
use std::sync::Arc;
use std::time::Duration;

/// How to connect to a SQL store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Most connections held at once; `None` picks a default for the database.
    pub max_connections: Option<u32>,
    /// Longest wait for a free connection before a request fails as unavailable.
    pub acquire_timeout: Duration,
    /// PostgreSQL: longest a statement may run (or wait for a lock) before it is
    /// cancelled and the request fails as unavailable, so nothing hangs on a stuck database.
    pub statement_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: None,
            acquire_timeout: Duration::from_secs(3),
            statement_timeout: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OpenStoreError {
    #[error("unsupported database URL {0:?}: use sqlite://PATH?mode=rwc, postgres://… or memory://")]
    UnsupportedUrl(String),
    #[error("cannot open the database")]
    Connect(#[source] BackendError),
}

/// A store: in memory, or a SQL database.
#[derive(Clone)]
pub enum Store {
    Memory(MemoryStore),
    Sql(SqlStore),
}

impl Store {
    /// Opens the store `url` names: `memory://`, `sqlite:…` or `postgres(ql)://…`.
    /// Does not migrate: call [`Store::migrate`].
    pub async fn open(url: &str, options: &StoreOptions) -> Result<Self, OpenStoreError> {
        if url.starts_with("memory:") {
            Ok(Store::Memory(MemoryStore::new()))
        } else if ["sqlite:", "postgres:", "postgresql:"].iter().any(|scheme| url.starts_with(scheme)) {
            SqlStore::connect(url, options).await.map(Store::Sql).map_err(OpenStoreError::Connect)
        } else {
            Err(OpenStoreError::UnsupportedUrl(url.to_owned()))
        }
    }

    /// Brings the schema up to date; harmless when it already is.
    pub async fn migrate(&self) -> Result<(), BackendError> {
        match self {
            Store::Memory(_) => Ok(()),
            Store::Sql(sql) => sql.migrate().await,
        }
    }

    /// Whether the store answers now.
    pub async fn ping(&self) -> Result<(), BackendError> {
        match self {
            Store::Memory(_) => Ok(()),
            Store::Sql(sql) => sql.ping().await,
        }
    }

    /// Core's ports on this store, with argon2id passwords, the system clock and `tokens`.
    pub fn ports(&self, tokens: Arc<dyn TokenIssuer>) -> Ports {
        match self {
            Store::Memory(memory) => ports_on(memory, tokens),
            Store::Sql(sql) => ports_on(sql, tokens),
        }
    }
}

fn ports_on<S>(store: &S, tokens: Arc<dyn TokenIssuer>) -> Ports
where
    S: UserStore + ProductStore + OrderStore + IdempotencyStore + LoginAttempts + Clone + 'static,
{
    Ports {
        users: Arc::new(store.clone()),
        products: Arc::new(store.clone()),
        orders: Arc::new(store.clone()),
        idempotency: Arc::new(store.clone()),
        login_attempts: Arc::new(store.clone()),
        passwords: Arc::new(Argon2Hasher::new()),
        tokens,
        clock: Arc::new(SystemClock),
    }
}
