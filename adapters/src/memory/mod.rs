//! An in-memory store implementing every storage port: for tests, demos and
//! `memory://`. One lock guards all state, and every call does all it does under it,
//! so calls are serializable and placements never oversell.

mod events;
mod orders;
mod state;
mod webhooks;

use crate::memory::state::{LoginWindow, State};
use async_trait::async_trait;
use orders_core::domain::{
    Email, Event, IdempotencyRecord, PasswordHash, Product, ProductChanges, ProductId, RecordedOutcome, Refusal,
    RestockQuantity, Sku, Stock, Timestamp, User, UserId,
};
use orders_core::ports::{
    AccessChange, AttemptCount, BackendError, Claim, IdempotencyStore, InsertProductError, InsertUserError, KeyClaim,
    LoginAttempts, ProductStore, RestockOutcome, UserStore,
};
use std::ops::Bound;
use std::sync::Arc;
use tokio::sync::Mutex;

/// The in-memory store. Clones share the same data.
#[derive(Clone, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl UserStore for MemoryStore {
    #[tracing::instrument(level = "debug", name = "UserStore::insert", skip_all)]
    async fn insert(&self, user: &User) -> Result<(), InsertUserError> {
        let mut state = self.state.lock().await;
        if state.user_emails.contains_key(&user.email) {
            return Err(InsertUserError::EmailTaken);
        }
        state.user_emails.insert(user.email.clone(), user.id);
        state.users.insert(user.id, user.clone());
        Ok(())
    }

    #[tracing::instrument(level = "debug", name = "UserStore::by_id", skip_all)]
    async fn by_id(&self, id: UserId) -> Result<Option<User>, BackendError> {
        Ok(self.state.lock().await.users.get(&id).cloned())
    }

    #[tracing::instrument(level = "debug", name = "UserStore::by_email", skip_all)]
    async fn by_email(&self, email: &Email) -> Result<Option<User>, BackendError> {
        let state = self.state.lock().await;
        Ok(state.user_emails.get(email).and_then(|id| state.users.get(id)).cloned())
    }

    #[tracing::instrument(level = "debug", name = "UserStore::change_access", skip_all)]
    async fn change_access(&self, id: UserId, change: AccessChange) -> Result<Option<User>, BackendError> {
        let mut state = self.state.lock().await;
        Ok(state.users.get_mut(&id).map(|user| {
            user.tier = change.tier.unwrap_or(user.tier);
            user.role = change.role.unwrap_or(user.role);
            user.clone()
        }))
    }

    #[tracing::instrument(level = "debug", name = "UserStore::replace_password_hash", skip_all)]
    async fn replace_password_hash(
        &self,
        id: UserId,
        old: &PasswordHash,
        new: &PasswordHash,
    ) -> Result<(), BackendError> {
        let mut state = self.state.lock().await;
        if let Some(user) = state.users.get_mut(&id).filter(|user| user.password_hash == *old) {
            user.password_hash = new.clone();
        }
        Ok(())
    }
}

#[async_trait]
impl ProductStore for MemoryStore {
    #[tracing::instrument(level = "debug", name = "ProductStore::insert", skip_all)]
    async fn insert(&self, product: &Product) -> Result<(), InsertProductError> {
        let mut state = self.state.lock().await;
        if state.product_skus.contains_key(&product.sku) {
            return Err(InsertProductError::SkuTaken);
        }
        state.product_skus.insert(product.sku.clone(), product.id);
        state.products.insert(product.id, product.clone());
        state.record(Event::product_created(product));
        Ok(())
    }

    #[tracing::instrument(level = "debug", name = "ProductStore::by_id", skip_all)]
    async fn by_id(&self, id: ProductId) -> Result<Option<Product>, BackendError> {
        Ok(self.state.lock().await.products.get(&id).cloned())
    }

    #[tracing::instrument(level = "debug", name = "ProductStore::by_sku", skip_all)]
    async fn by_sku(&self, sku: &Sku) -> Result<Option<Product>, BackendError> {
        let state = self.state.lock().await;
        Ok(state.product_skus.get(sku).and_then(|id| state.products.get(id)).cloned())
    }

    #[tracing::instrument(level = "debug", name = "ProductStore::by_ids", skip_all)]
    async fn by_ids(&self, ids: &[ProductId]) -> Result<Vec<Product>, BackendError> {
        let state = self.state.lock().await;
        Ok(ids.iter().filter_map(|id| state.products.get(id)).cloned().collect())
    }

    #[tracing::instrument(level = "debug", name = "ProductStore::list", skip_all)]
    async fn list(&self, after: Option<ProductId>, fetch: u32) -> Result<Vec<Product>, BackendError> {
        let state = self.state.lock().await;
        let after = after.map_or(Bound::Unbounded, Bound::Excluded);
        Ok(state.products.range((after, Bound::Unbounded)).take(fetch as usize).map(|(_, p)| p.clone()).collect())
    }

    #[tracing::instrument(level = "debug", name = "ProductStore::update_details", skip_all)]
    async fn update_details(
        &self,
        id: ProductId,
        changes: &ProductChanges,
        at: Timestamp,
    ) -> Result<Option<Product>, BackendError> {
        let mut state = self.state.lock().await;
        let updated = state.products.get_mut(&id).map(|product| {
            if let Some(name) = &changes.name {
                product.name = name.clone();
            }
            product.price = changes.price.unwrap_or(product.price);
            product.updated_at = at;
            product.clone()
        });
        if let Some(product) = &updated {
            state.record(Event::product_updated(product));
        }
        Ok(updated)
    }

    #[tracing::instrument(level = "debug", name = "ProductStore::restock", skip_all)]
    async fn restock(
        &self,
        id: ProductId,
        quantity: RestockQuantity,
        at: Timestamp,
    ) -> Result<RestockOutcome, BackendError> {
        let mut state = self.state.lock().await;
        let Some(product) = state.products.get_mut(&id) else {
            return Ok(RestockOutcome::NotFound);
        };
        let Ok(stock) = Stock::new(product.stock.units().saturating_add(quantity.units())) else {
            return Ok(RestockOutcome::WouldExceedMax { stock: product.stock.units() });
        };
        product.stock = stock;
        product.updated_at = at;
        let restocked = product.clone();
        state.record(Event::product_restocked(&restocked));
        Ok(RestockOutcome::Restocked(restocked))
    }
}

#[async_trait]
impl IdempotencyStore for MemoryStore {
    #[tracing::instrument(level = "debug", name = "IdempotencyStore::record_refusal", skip_all)]
    async fn record_refusal(&self, claim: &KeyClaim, refusal: Refusal) -> Result<Claim, BackendError> {
        let mut state = self.state.lock().await;
        let record =
            IdempotencyRecord { fingerprint: claim.fingerprint.clone(), outcome: RecordedOutcome::Refused(refusal) };
        Ok(state.claim_key(claim, record))
    }

    #[tracing::instrument(level = "debug", name = "IdempotencyStore::purge_before", skip_all)]
    async fn purge_before(&self, cutoff: Timestamp) -> Result<u64, BackendError> {
        let mut state = self.state.lock().await;
        let before = state.idempotency_keys.len();
        state.idempotency_keys.retain(|_, (_, at)| *at >= cutoff);
        Ok((before - state.idempotency_keys.len()) as u64)
    }
}

#[async_trait]
impl LoginAttempts for MemoryStore {
    #[tracing::instrument(level = "debug", name = "LoginAttempts::count_attempt", skip_all)]
    async fn count_attempt(
        &self,
        email: &Email,
        at: Timestamp,
        window_ended_before: Timestamp,
        limit: u32,
    ) -> Result<AttemptCount, BackendError> {
        let mut state = self.state.lock().await;
        let window = state.login_attempts.entry(email.clone()).or_insert(LoginWindow { started_at: at, attempts: 0 });
        if window.started_at < window_ended_before {
            *window = LoginWindow { started_at: at, attempts: 0 };
        }
        if window.attempts >= limit {
            return Ok(AttemptCount::Throttled { window_started_at: window.started_at });
        }
        window.attempts += 1;
        Ok(AttemptCount::Counted)
    }

    #[tracing::instrument(level = "debug", name = "LoginAttempts::clear", skip_all)]
    async fn clear(&self, email: &Email) -> Result<(), BackendError> {
        self.state.lock().await.login_attempts.remove(email);
        Ok(())
    }
}
