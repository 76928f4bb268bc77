//! The server's settings, from flags or the environment, exactly as the contract's
//! table names them; each is checked here, so a bad one stops the start with one sentence.

use crate::api::address_limits::{AddressLimit, AddressLimits};
use crate::api::client_address::TrustedProxies;
use crate::api::cursors::CursorKey;
use crate::connections::ConnectionTimeouts;
use crate::telemetry::LogFormat;
use chrono::TimeDelta;
use clap::Parser;
use orders_adapters::StoreOptions;
use orders_adapters::passwords::HashingLimit;
use orders_adapters::tokens::JwtIssuer;
use orders_adapters::webhooks::targets::TargetPolicy;
use orders_composition::OutsideSettings;
use orders_core::domain::{Currency, EventRetention};
use orders_core::usecases::Settings;
use std::net::SocketAddr;
use std::time::Duration;

/// The window of `--failed-logins-per-address`.
const FAILED_LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);
/// The window of `--registrations-per-address`.
const REGISTRATION_WINDOW: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, Clone, Parser)]
#[command(name = "orders-server", version, about = "The order service over HTTP.")]
pub struct Config {
    /// Database to use: sqlite://PATH?mode=rwc, postgres://USER:PASSWORD@HOST/DB, or memory://.
    #[arg(long, env = "ORDERS_DATABASE_URL", default_value = "sqlite://orders.db?mode=rwc")]
    pub database_url: String,

    /// Database replica that serves catalogue reads (GET /v1/products and /v1/products/{id}), which may lag behind the database; every other read and every write uses --database-url.
    #[arg(long, env = "ORDERS_REPLICA_DATABASE_URL")]
    pub replica_database_url: Option<String>,

    /// Address and port to listen on (port 0 picks a free port).
    #[arg(long, env = "ORDERS_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Secret that signs access tokens (HS256). Absent: a random one, so tokens die with the process.
    #[arg(long, env = "ORDERS_JWT_SECRET", hide_env_values = true, value_parser = non_empty)]
    pub jwt_secret: Option<String>,

    /// How long an access token is valid, in seconds.
    #[arg(long, env = "ORDERS_TOKEN_TTL_SECONDS", default_value_t = 3600,
          value_parser = clap::value_parser!(i64).range(1..=31_536_000))]
    pub token_ttl_seconds: i64,

    /// ISO 4217 code of the currency every price is in.
    #[arg(long, env = "ORDERS_CURRENCY", default_value = "USD", value_parser = currency)]
    pub currency: Currency,

    /// How log lines are written: text for people, or JSON lines for log collectors.
    #[arg(long, env = "ORDERS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Export traces (a span per request, use case and store call) over OTLP/HTTP to the collector at this base URL, e.g. http://127.0.0.1:4318 (spans go to its /v1/traces). Absent: no traces are made.
    #[arg(long, env = "ORDERS_OTLP_ENDPOINT", value_parser = otlp_endpoint)]
    pub otlp_endpoint: Option<String>,

    /// Whether to record metrics and serve them at /metrics.
    #[arg(long, env = "ORDERS_METRICS", default_value_t = true, action = clap::ArgAction::Set)]
    pub metrics: bool,

    /// Serve /metrics on this address of its own instead of the main one (safer: keep it off the public network).
    #[arg(long, env = "ORDERS_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,

    /// Create, if missing, an admin, a customer and a few products, and print how to log in.
    #[arg(long)]
    pub demo: bool,

    /// Most database connections held at once (default: chosen for the database).
    #[arg(long, env = "ORDERS_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub max_connections: Option<u32>,

    /// Longest wait for a free database connection, or for a new one to be made (on SQLite, also for the writer's turn) before a request fails with 503, in milliseconds.
    #[arg(long, env = "ORDERS_POOL_TIMEOUT_MS", default_value_t = 3000,
          value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub pool_timeout_ms: u64,

    /// Most client connections open at once; past it, the oldest connections that were never answered are closed to make room (default: the file limit less 512).
    #[arg(long, env = "ORDERS_MAX_OPEN_CONNECTIONS", value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub max_open_connections: Option<u64>,

    /// A client connection that neither sends nor receives a byte for this long is closed (silent sockets, stalled headers or bodies, idle keep-alive), in milliseconds; keep it above the longest request (pool and statement timeouts).
    #[arg(long, env = "ORDERS_IDLE_TIMEOUT_MS", default_value_t = 30_000,
          value_parser = clap::value_parser!(u64).range(100..=3_600_000))]
    pub idle_timeout_ms: u64,

    /// A request head (its line and headers) must arrive whole within this long of its first byte, however it trickles in, else the request is answered 408 and the connection closed, in milliseconds.
    #[arg(long, env = "ORDERS_HEADER_TIMEOUT_MS", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(100..=3_600_000))]
    pub header_timeout_ms: u64,

    /// Threads that serve requests (default: one per core but one, and at least one: the core left over runs SQLite's writer, password hashes and, where it shares the machine, the database).
    #[arg(long, env = "ORDERS_WORKER_THREADS", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub worker_threads: Option<u16>,

    /// Most password hashes computed at once (logins, registrations); each takes about 19 MiB and a core (default: one per core).
    #[arg(long, env = "ORDERS_PASSWORD_HASHES", value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub password_hashes: Option<u32>,

    /// Longest wait for a turn to hash a password before a login or registration fails with 503, in milliseconds.
    #[arg(long, env = "ORDERS_PASSWORD_WAIT_MS", default_value_t = 3000,
          value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub password_wait_ms: u64,

    /// Failed logins one client address may make per 15 minutes, whatever e-mails they name (0: no limit).
    #[arg(long, env = "ORDERS_FAILED_LOGINS_PER_ADDRESS", default_value_t = 100)]
    pub failed_logins_per_address: u32,

    /// Sign-ups one client address may make per hour, created or refused as taken (0: no limit).
    #[arg(long, env = "ORDERS_REGISTRATIONS_PER_ADDRESS", default_value_t = 100)]
    pub registrations_per_address: u32,

    /// Proxies whose X-Forwarded-For names the client's address, as comma-separated addresses or networks; empty trusts none.
    #[arg(long, env = "ORDERS_TRUSTED_PROXIES", default_value = "127.0.0.0/8,::1", value_parser = TrustedProxies::parse)]
    pub trusted_proxies: TrustedProxies,

    /// Days events are kept at least (the event feed, and webhook deliveries of them) before they are purged.
    #[arg(long, env = "ORDERS_EVENT_RETENTION_DAYS", default_value_t = 30,
          value_parser = clap::value_parser!(i64).range(1..=3_650))]
    pub event_retention_days: i64,

    /// Let webhooks use http and targets that are loopback, private, link-local or unspecified addresses (development and tests only).
    #[arg(long, env = "ORDERS_WEBHOOK_ALLOW_PRIVATE", action = clap::ArgAction::SetTrue)]
    pub webhook_allow_private: bool,
}

impl Config {
    /// The settings of this process; on a bad one, says why in one sentence on stderr
    /// and exits with status 2 (`--help` and `--version` print and exit 0).
    pub fn from_args_or_exit() -> Self {
        match Self::try_parse() {
            Ok(config) => config,
            Err(error) if error.use_stderr() => {
                let rendered = error.render().to_string();
                let sentence = rendered.lines().next().unwrap_or_default().trim_start_matches("error: ");
                eprintln!("orders-server: {sentence}");
                std::process::exit(2);
            }
            Err(error) => error.exit(),
        }
    }

    pub fn store_options(&self) -> StoreOptions {
        StoreOptions {
            max_connections: self.max_connections,
            acquire_timeout: Duration::from_millis(self.pool_timeout_ms),
            ..StoreOptions::default()
        }
    }

    /// How long a connection may stall, and a request head take to arrive.
    pub fn connection_timeouts(&self) -> ConnectionTimeouts {
        ConnectionTimeouts {
            idle: Duration::from_millis(self.idle_timeout_ms),
            head: Duration::from_millis(self.header_timeout_ms),
        }
    }

    /// The rules the use cases apply that the deployment chooses.
    pub fn settings(&self) -> Settings {
        let event_retention = EventRetention::days(self.event_retention_days).unwrap_or_default();
        Settings { currency: self.currency, event_retention, ..Settings::default() }
    }

    /// How the adapters that reach outside the store behave.
    pub fn outside_settings(&self) -> OutsideSettings {
        OutsideSettings {
            hashing: self.hashing_limit(),
            webhook_targets: TargetPolicy { allow_private: self.webhook_allow_private },
        }
    }

    /// The longest a request for the event feed waits for an event: 30 seconds, and
    /// 2 seconds less than the connection idle timeout, which would close its silent
    /// connection first.
    pub fn longest_feed_wait(&self) -> Duration {
        let below_idle = Duration::from_millis(self.idle_timeout_ms).saturating_sub(Duration::from_secs(2));
        Duration::from_secs(crate::api::dto::documented::WaitSeconds::MAX).min(below_idle)
    }

    /// How many threads serve requests: `--worker-threads`, else one per core but one.
    pub fn worker_threads(&self) -> usize {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        self.worker_threads.map_or(cores.saturating_sub(1).max(1), usize::from)
    }

    /// How many password hashes run at once, and how long a request waits for one.
    pub fn hashing_limit(&self) -> HashingLimit {
        let default = HashingLimit::default();
        HashingLimit {
            at_once: self.password_hashes.map_or(default.at_once, |n| n as usize),
            wait: Duration::from_millis(self.password_wait_ms),
        }
    }

    /// The limits on guessing per client address.
    pub fn address_limits(&self) -> AddressLimits {
        AddressLimits {
            proxies: self.trusted_proxies.clone(),
            failed_logins: AddressLimit::new(self.failed_logins_per_address, FAILED_LOGIN_WINDOW),
            registrations: AddressLimit::new(self.registrations_per_address, REGISTRATION_WINDOW),
        }
    }

    /// The keys of this deployment, from `--jwt-secret` (shared by every server) or,
    /// without it, random (then `random` says so: worth a warning).
    pub fn keys(&self) -> Keys {
        let secret = match &self.jwt_secret {
            Some(secret) => secret.as_bytes().to_vec(),
            None => {
                let mut secret = vec![0u8; 32];
                rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut secret);
                secret
            }
        };
        let ttl = TimeDelta::seconds(self.token_ttl_seconds);
        Keys {
            tokens: JwtIssuer::new(&secret, ttl),
            cursors: CursorKey::derive(&secret),
            random: self.jwt_secret.is_none(),
        }
    }
}

/// What the secret signs: access tokens and cursors.
pub struct Keys {
    pub tokens: JwtIssuer,
    pub cursors: CursorKey,
    pub random: bool,
}

fn non_empty(raw: &str) -> Result<String, String> {
    if raw.is_empty() { Err("the secret must not be empty".to_owned()) } else { Ok(raw.to_owned()) }
}

fn currency(raw: &str) -> Result<Currency, String> {
    Currency::parse(raw).map_err(|invalid| invalid.to_string())
}

/// An OTLP/HTTP base URL: `http://` or `https://`, host, optional port and path.
fn otlp_endpoint(text: &str) -> Result<String, String> {
    let uri: poem::http::Uri = text.parse().map_err(|e| format!("not a URL: {e}"))?;
    match (uri.scheme_str(), uri.host(), uri.query()) {
        (Some("http" | "https"), Some(_), None) => Ok(text.trim_end_matches('/').to_owned()),
        _ => Err("an http:// or https:// URL of the collector, without a query, is expected".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_contracts() {
        let config = Config::try_parse_from(["orders-server"]).unwrap();
        assert_eq!(config.database_url, "sqlite://orders.db?mode=rwc");
        assert_eq!(config.bind, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(config.token_ttl_seconds, 3600);
        assert_eq!(config.currency.as_str(), "USD");
        assert!(config.jwt_secret.is_none() && !config.demo && config.otlp_endpoint.is_none());
        let traced = Config::try_parse_from(["orders-server", "--otlp-endpoint", "http://collector:4318/"]).unwrap();
        assert_eq!(traced.otlp_endpoint.as_deref(), Some("http://collector:4318"));
        assert_eq!(config.event_retention_days, 30);
        assert!(!config.webhook_allow_private);
        assert_eq!(config.longest_feed_wait(), Duration::from_secs(28), "below the 30 s idle timeout");
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        assert_eq!(config.worker_threads(), (cores - 1).max(1), "a core is left over");
        let four = Config::try_parse_from(["orders-server", "--worker-threads", "4"]).unwrap();
        assert_eq!(four.worker_threads(), 4);
    }

    #[test]
    fn private_webhook_targets_are_allowed_by_the_flag_or_the_environment() {
        assert!(Config::try_parse_from(["orders-server", "--webhook-allow-private"]).unwrap().webhook_allow_private);
        let config = Config::try_parse_from(["orders-server", "--idle-timeout-ms", "60000"]).unwrap();
        assert_eq!(config.longest_feed_wait(), Duration::from_secs(30));
    }

    #[test]
    fn bad_values_are_refused() {
        for args in [
            &["orders-server", "--currency", "usd"][..],
            &["orders-server", "--bind", "nowhere"],
            &["orders-server", "--token-ttl-seconds", "0"],
            &["orders-server", "--jwt-secret", ""],
            &["orders-server", "--max-connections", "0"],
            &["orders-server", "--trusted-proxies", "10.0.0.0/33"],
            &["orders-server", "--otlp-endpoint", "collector:4318"],
            &["orders-server", "--otlp-endpoint", "ftp://collector:4318"],
            &["orders-server", "--otlp-endpoint", "http://collector:4318/?x=1"],
            &["orders-server", "--event-retention-days", "0"],
            &["orders-server", "--worker-threads", "0"],
        ] {
            assert!(Config::try_parse_from(args).is_err(), "{args:?} was accepted");
        }
    }
}
