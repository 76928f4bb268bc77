//! PostgreSQL behind a transaction-pooling PgBouncer, as the database URL's
//! `pgbouncer=true` asks (as asyncpg's `statement_cache_size=0`, JDBC's
//! `prepareThreshold=0` and Prisma's `pgbouncer=true` do): connections that send no
//! startup parameter PgBouncer 1.18 refuses (`options`, `extra_float_digits`), and a
//! store that keeps nothing beyond a transaction ([`super::bounced`]).

use super::bounced::Bounced;
use super::errors::sqlx_error;
use crate::store_options::StoreOptions;
use orders_core::ports::BackendError;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;

/// The URL parameter that says PgBouncer is in the way.
const PARAMETER: &str = "pgbouncer";

/// `url` without its `pgbouncer` parameter, and whether that parameter said `true`.
pub(super) fn strip(url: &str) -> Result<(String, bool), String> {
    let Some((base, query)) = url.split_once('?') else { return Ok((url.to_owned(), false)) };
    let mut bounced = false;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        match pair.split_once('=') {
            Some((PARAMETER, "true")) => bounced = true,
            Some((PARAMETER, "false")) => bounced = false,
            Some((PARAMETER, other)) => {
                return Err(format!("{PARAMETER}={other} in the database URL: use true or false"));
            }
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
    Ok((url, bounced))
}

fn connect_options(url: &str) -> Result<PgConnectOptions, BackendError> {
    Ok(PgConnectOptions::from_str(url).map_err(sqlx_error)?.extra_float_digits(None))
}

/// A pool of at most `max_connections` connections to `url` through PgBouncer.
pub(super) async fn connect(url: &str, options: &StoreOptions, max_connections: u32) -> Result<Bounced, BackendError> {
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(0)
        .acquire_timeout(options.acquire_timeout)
        .test_before_acquire(false)
        .connect_with(connect_options(url)?)
        .await
        .map_err(sqlx_error)?;
    Ok(Bounced::new(pool, connect_options(url)?))
}

#[cfg(test)]
mod tests {
    use super::strip;

    #[test]
    fn the_parameter_is_read_and_removed_from_the_url() {
        assert_eq!(strip("postgres://u@h/db").unwrap(), ("postgres://u@h/db".to_owned(), false));
        assert_eq!(strip("postgres://u@h/db?pgbouncer=true").unwrap(), ("postgres://u@h/db".to_owned(), true));
        assert_eq!(
            strip("postgres://u@h/db?sslmode=disable&pgbouncer=true&application_name=x").unwrap(),
            ("postgres://u@h/db?sslmode=disable&application_name=x".to_owned(), true)
        );
        assert!(!strip("postgres://u@h/db?pgbouncer=false").unwrap().1);
        assert!(strip("postgres://u@h/db?pgbouncer=yes").is_err());
    }
}
