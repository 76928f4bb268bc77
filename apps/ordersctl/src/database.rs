//! The database named on the command line: opened, migrated and wired into core's
//! use cases, only once a command's input has been found valid.

use crate::error::{self, Failure};
use chrono::TimeDelta;
use orders_adapters::tokens::JwtIssuer;
use orders_adapters::{Store, StoreOptions};
use orders_core::domain::Currency;
use orders_core::usecases::{Service, Settings};
use std::sync::Arc;

/// Where the data is and what it is priced in.
pub struct Database {
    url: String,
    currency: Currency,
}

impl Database {
    pub fn new(url: &str, currency: &str) -> Result<Self, Failure> {
        let currency = Currency::parse(currency).map_err(|invalid| error::invalid("--currency", invalid))?;
        Ok(Self { url: url.to_owned(), currency })
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// Opens the store and applies pending migrations, which is harmless when there are none.
    pub async fn migrate(&self) -> Result<Store, Failure> {
        let store = Store::open(&self.url, &StoreOptions::default()).await.map_err(|e| error::open(e, &self.url))?;
        store.migrate().await.map_err(error::backend)?;
        Ok(store)
    }

    /// The use cases on the migrated store. The CLI issues no tokens, so the signing
    /// secret is a throwaway.
    pub async fn service(&self) -> Result<Service, Failure> {
        let store = self.migrate().await?;
        let tokens = Arc::new(JwtIssuer::with_random_secret(TimeDelta::minutes(1)));
        Ok(orders_composition::service(
            &store,
            tokens,
            Settings { currency: self.currency, ..Settings::default() },
            Default::default(),
        ))
    }
}
