//! Choosing a store by URL, and handing out core's storage ports on it.

use crate::memory::MemoryStore;
use crate::sql::SqlStore;
use crate::store_options::StoreOptions;
use orders_core::ports::{
    BackendError, Clock, EventFeed, IdempotencyStore, LoginAttempts, OrderStore, PasswordHasher, ProductStore,
    TokenIssuer, UserStore, WebhookSender, WebhookStore,
};
use orders_core::usecases::Ports;
use std::sync::Arc;

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

    /// How many database connections the store holds now, and how many of them are
    /// idle; `None` for a store without a pool (`memory://`).
    pub fn pool_usage(&self) -> Option<PoolUsage> {
        match self {
            Store::Memory(_) => None,
            Store::Sql(sql) => Some(sql.pool_usage()),
        }
    }

    /// Core's ports: the storage ports on this store, and the others as the caller
    /// (the app that composes the process) chose them.
    pub fn ports(&self, outside: OutsidePorts) -> Ports {
        match self {
            Store::Memory(memory) => ports_on(memory, outside),
            Store::Sql(sql) => ports_on(sql, outside),
        }
    }

    /// This store as the catalogue ([`Ports::catalogue`]): for a store on a replica, which
    /// is read, never migrated nor written.
    pub fn catalogue(&self) -> Arc<dyn ProductStore> {
        match self {
            Store::Memory(memory) => Arc::new(memory.clone()),
            Store::Sql(sql) => Arc::new(sql.clone()),
        }
    }
}

/// A connection pool's occupancy at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    pub open: u32,
    pub idle: u32,
    /// Requests waiting for a connection, where the pool tells.
    pub waiting: Option<u32>,
}

impl PoolUsage {
    pub fn in_use(&self) -> u32 {
        self.open.saturating_sub(self.idle)
    }
}

/// The ports that no store provides.
pub struct OutsidePorts {
    pub passwords: Arc<dyn PasswordHasher>,
    pub tokens: Arc<dyn TokenIssuer>,
    pub clock: Arc<dyn Clock>,
    pub webhook_sender: Arc<dyn WebhookSender>,
}

fn ports_on<S>(store: &S, OutsidePorts { passwords, tokens, clock, webhook_sender }: OutsidePorts) -> Ports
where
    S: UserStore
        + ProductStore
        + OrderStore
        + IdempotencyStore
        + LoginAttempts
        + EventFeed
        + WebhookStore
        + Clone
        + 'static,
{
    Ports {
        users: Arc::new(store.clone()),
        products: Arc::new(store.clone()),
        catalogue: Arc::new(store.clone()),
        orders: Arc::new(store.clone()),
        idempotency: Arc::new(store.clone()),
        login_attempts: Arc::new(store.clone()),
        events: Arc::new(store.clone()),
        webhooks: Arc::new(store.clone()),
        webhook_sender,
        passwords,
        tokens,
        clock,
    }
}
