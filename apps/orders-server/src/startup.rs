//! Starting and stopping: open and migrate the store, wire the use cases, optionally
//! seed demo data, serve until SIGINT or SIGTERM, then let in-flight requests finish.

use crate::api::address_limits::AddressLimits;
use crate::api::cursors::CursorKey;
use crate::config::Config;
use crate::connections::{self, CappedAcceptor};
use crate::metrics::Metrics;
use crate::{app, demo, webhook_worker};
use anyhow::Context;
use orders_adapters::Store;
use orders_core::usecases::Service;
use poem::Server;
use poem::listener::{Acceptor, Listener, TcpListener};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long in-flight requests may take to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// How often forgotten idempotency keys and old events are purged.
const PURGE_EVERY: Duration = Duration::from_secs(60 * 60);
/// How long webhook deliveries in flight may take to finish after a shutdown signal:
/// more than one delivery's timeout.
const DELIVERIES_GRACE: Duration = Duration::from_secs(15);

/// What [`run`] serves, and what tests serve in process.
pub struct Prepared {
    pub store: Store,
    pub service: Service,
    pub cursors: CursorKey,
    pub limits: Arc<AddressLimits>,
    /// Served at `/metrics` on the main listener; `None` with metrics off or on an
    /// address of their own.
    pub metrics: Option<Metrics>,
    /// The longest a request for the event feed waits for an event.
    pub longest_feed_wait: Duration,
}

/// The store `config` names, migrated, and the use cases over it, with the demo data
/// if `--demo` asks for it.
pub async fn prepare(config: &Config) -> anyhow::Result<Prepared> {
    let store = Store::open(&config.database_url, &config.store_options())
        .await
        .with_context(|| format!("cannot open the database {}", redacted(&config.database_url)))?;
    store.migrate().await.context("cannot bring the database schema up to date")?;

    let keys = config.keys();
    if keys.random {
        tracing::warn!("no --jwt-secret (ORDERS_JWT_SECRET) given: using a random one; tokens die with this process");
    }
    let (tokens, settings, outside) = (Arc::new(keys.tokens), config.settings(), config.outside_settings());
    let service = match &config.replica_database_url {
        None => orders_composition::service(&store, tokens, settings, outside),
        Some(url) => {
            let replica = Store::open(url, &config.store_options())
                .await
                .with_context(|| format!("cannot open the replica database {}", redacted(url)))?;
            orders_composition::service_with_catalogue(&store, &replica, tokens, settings, outside)
        }
    };
    if config.demo {
        demo::seed(&service).await.context("cannot create the demo data")?;
    }
    let metrics = config.metrics.then(|| Metrics::install(store.clone()));
    Ok(Prepared {
        store,
        service,
        cursors: keys.cursors,
        limits: Arc::new(config.address_limits()),
        metrics,
        longest_feed_wait: config.longest_feed_wait(),
    })
}

pub async fn run(config: Config) -> anyhow::Result<()> {
    let mut prepared = prepare(&config).await?;
    let metrics_server = match (config.metrics_bind, prepared.metrics.take_if(|_| config.metrics_bind.is_some())) {
        (Some(bind), Some(metrics)) => Some(serve_metrics(bind, metrics).await?),
        _ => None,
    };

    let file_limit = connections::raise_file_limit().context("cannot read or raise the limit on open files")?;
    let cap = config.max_open_connections.map_or_else(|| connections::default_cap(file_limit), |n| n as usize);
    tracing::info!(file_limit, max_open_connections = cap, "connection limits");
    let acceptor = TcpListener::bind(config.bind)
        .into_acceptor()
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    let address = acceptor
        .local_addr()
        .first()
        .and_then(|address| address.as_socket_addr().copied())
        .context("the listener has no address")?;
    let base_url = format!("http://{address}");
    println!("listening on {base_url}");
    tracing::info!(%address, "listening; Swagger UI at {base_url}/docs");
    if config.demo {
        println!("{}", demo::instructions(&base_url));
    }

    let purge = tokio::spawn(purge_old_records(prepared.service.clone()));
    let stop_deliveries = CancellationToken::new();
    let deliveries = tokio::spawn(webhook_worker::run(prepared.service.clone(), stop_deliveries.clone()));
    let acceptor = CappedAcceptor::new(acceptor, cap, config.connection_timeouts());
    let served = Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(app::build(prepared), shutdown_signal(), Some(SHUTDOWN_GRACE))
        .await;
    purge.abort();
    stop_deliveries.cancel();
    if tokio::time::timeout(DELIVERIES_GRACE, deliveries).await.is_err() {
        tracing::warn!("webhook deliveries did not stop in time; their leases will run out");
    }
    if let Some(metrics_server) = metrics_server {
        metrics_server.abort();
    }
    served.context("the server failed")?;
    tracing::info!("stopped");
    Ok(())
}

/// Serves `/metrics` alone on `bind`, in a task of its own.
async fn serve_metrics(bind: SocketAddr, metrics: Metrics) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let acceptor = TcpListener::bind(bind)
        .into_acceptor()
        .await
        .with_context(|| format!("cannot listen for metrics on {bind}"))?;
    tracing::info!(address = %bind, "serving /metrics");
    let route = poem::Route::new().at("/metrics", poem::get(metrics.endpoint()));
    Ok(tokio::spawn(async move {
        if let Err(error) = Server::new_with_acceptor(acceptor).run(route).await {
            tracing::error!(%error, "the metrics listener failed");
        }
    }))
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("a SIGTERM handler can be installed");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down: finishing the requests in flight");
}

/// Every [`PURGE_EVERY`], forgets idempotency keys past their lifetime and events past
/// the retention.
async fn purge_old_records(service: Service) {
    let mut every = tokio::time::interval(PURGE_EVERY);
    loop {
        every.tick().await;
        match service.purge_idempotency_keys().await {
            Ok(purged) => tracing::info!(purged, "purged old idempotency keys"),
            Err(error) => {
                tracing::warn!(cause = %crate::api::errors::cause_chain(&error), "cannot purge old idempotency keys")
            }
        }
        match service.purge_events().await {
            Ok(purged) => tracing::info!(purged, "purged events past their retention"),
            Err(error) => {
                tracing::warn!(cause = %crate::api::errors::cause_chain(&error), "cannot purge old events")
            }
        }
    }
}

/// `url` without its password, fit for messages.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn passwords_are_kept_out_of_messages() {
        assert_eq!(redacted("postgres://app:s3cret@db/orders"), "postgres://app:***@db/orders");
        assert_eq!(redacted("sqlite://orders.db?mode=rwc"), "sqlite://orders.db?mode=rwc");
    }
}
