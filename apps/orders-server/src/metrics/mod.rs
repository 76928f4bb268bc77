//! Prometheus metrics, served as `GET /metrics` in the text format: every metric this
//! process records (the request histogram, [`events`]' counters, the SQLite writer's
//! batch sizes, webhook deliveries), plus the database pool's and the process's state
//! read at each scrape.
//! With metrics off no recorder is installed, and recording costs next to nothing.

pub mod events;

use crate::middleware::RouteId;
use metrics::Histogram;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use orders_adapters::webhooks::{WEBHOOK_DELIVERIES, WEBHOOK_DELIVERY_LAG};
use orders_adapters::{POOL_ACQUIRE_SECONDS, Store};
use poem::http::{Method, StatusCode, header};
use poem::{Endpoint, Response};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::time::Duration;

/// The request histogram's name (OpenTelemetry's semantic convention).
pub const REQUEST_DURATION: &str = "http_server_request_duration_seconds";
/// Database connections held by a request now.
pub const POOL_IN_USE: &str = "orders_db_connections_in_use";
/// Database connections open and idle now.
pub const POOL_IDLE: &str = "orders_db_connections_idle";
/// Requests waiting for a database connection now (SQLite: for the writer).
pub const POOL_WAITING: &str = "orders_db_requests_waiting";
/// Orders committed together by the SQLite writer.
pub const SQLITE_BATCH_SIZE: &str = "orders_sqlite_commit_batch_size";

/// Latency buckets, in seconds: from a cached read to the longest wait allowed.
const LATENCY_BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Waits for a connection, in seconds: from none to the longest allowed (3 s default).
const ACQUIRE_BUCKETS: [f64; 12] = [0.00001, 0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 1.0, 3.0];
const BATCH_BUCKETS: [f64; 9] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];
/// From an event to its delivery, in seconds: from at once to the day a delivery is
/// retried for.
const LAG_BUCKETS: [f64; 14] =
    [0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 21600.0, 86400.0];

/// The process's one recorder, installed by the first [`Metrics::install`].
static RECORDER: OnceLock<PrometheusHandle> = OnceLock::new();

/// How often the recorder's histograms are drained into their buckets. Until then each
/// sample is kept on its own (a request's latency, a wait for a connection): unless
/// something drains them, a server nobody scrapes grows by every sample it records.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// What `/metrics` renders.
#[derive(Clone)]
pub struct Metrics {
    recorder: &'static PrometheusHandle,
    store: Store,
    process: Arc<metrics_process::Collector>,
}

impl Metrics {
    /// Metrics for a server over `store`, installing this process's recorder if no
    /// earlier call did.
    pub fn install(store: Store) -> Self {
        let recorder = RECORDER.get_or_init(|| {
            let buckets: [(&str, &[f64]); 4] = [
                (REQUEST_DURATION, &LATENCY_BUCKETS),
                (SQLITE_BATCH_SIZE, &BATCH_BUCKETS),
                (POOL_ACQUIRE_SECONDS, &ACQUIRE_BUCKETS),
                (WEBHOOK_DELIVERY_LAG, &LAG_BUCKETS),
            ];
            let recorder = buckets
                .into_iter()
                .try_fold(PrometheusBuilder::new(), |builder, (name, buckets)| {
                    builder.set_buckets_for_metric(Matcher::Full(name.to_owned()), buckets)
                })
                .expect("the buckets are not empty")
                .install_recorder()
                .expect("no other metrics recorder is installed");
            let upkept = recorder.clone();
            std::thread::Builder::new()
                .name("metrics-upkeep".to_owned())
                .spawn(move || {
                    loop {
                        std::thread::sleep(UPKEEP_EVERY);
                        upkept.run_upkeep();
                    }
                })
                .expect("a thread can be started");
            describe();
            events::start_at_zero();
            recorder
        });
        let process = metrics_process::Collector::default();
        process.describe();
        Self { recorder, store, process: Arc::new(process) }
    }

    /// Every metric in the Prometheus text format.
    pub fn render(&self) -> String {
        self.process.collect();
        if let Some(usage) = self.store.pool_usage() {
            metrics::gauge!(POOL_IN_USE).set(usage.in_use());
            metrics::gauge!(POOL_IDLE).set(usage.idle);
            if let Some(waiting) = usage.waiting {
                metrics::gauge!(POOL_WAITING).set(waiting);
            }
        }
        self.recorder.render()
    }

    /// `GET /metrics`.
    pub fn endpoint(self) -> impl Endpoint<Output = Response> {
        poem::endpoint::make_sync(move |_| {
            Response::builder()
                .header(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
                .body(self.render())
        })
    }
}

/// The request histogram, one series per route, method and status, each registered
/// once: labelling every sample afresh would cost allocations and a look-up in the
/// recorder's registry per request. Methods other than HTTP's own are one series,
/// `_OTHER` (as OpenTelemetry's conventions say), so that clients cannot make series
/// without end.
#[derive(Default)]
pub struct RequestDurations {
    series: RwLock<HashMap<Series, Histogram>>,
}

/// A series of the request histogram: route (`None`: unmatched), method, status.
type Series = (Option<RouteId>, Method, StatusCode);

impl RequestDurations {
    /// Records that a `method` request to `route` (whose template is `template`) was
    /// answered `status` after `latency`.
    pub fn record(
        &self,
        route: Option<RouteId>,
        template: &str,
        method: &Method,
        status: StatusCode,
        latency: Duration,
    ) {
        let method = if is_standard(method) { method.clone() } else { Method::from_bytes(b"_OTHER").expect("a token") };
        let key = (route, method, status);
        if let Some(histogram) = self.series.read().unwrap_or_else(PoisonError::into_inner).get(&key) {
            histogram.record(latency.as_secs_f64());
            return;
        }
        let histogram = metrics::histogram!(
            REQUEST_DURATION,
            "http_route" => template.to_owned(),
            "http_request_method" => key.1.as_str().to_owned(),
            "http_response_status_code" => status.as_str().to_owned(),
        );
        histogram.record(latency.as_secs_f64());
        self.series.write().unwrap_or_else(PoisonError::into_inner).insert(key, histogram);
    }
}

/// Whether `method` is one of HTTP's own (RFC 9110, and PATCH).
fn is_standard(method: &Method) -> bool {
    [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::CONNECT,
        Method::OPTIONS,
        Method::TRACE,
        Method::PATCH,
    ]
    .contains(method)
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_histogram!(
        REQUEST_DURATION,
        Unit::Seconds,
        "Time from a request's arrival to its answer, by route template, method and status."
    );
    describe_gauge!(POOL_IN_USE, "Database connections held by requests now (SQLite: the readers' pool).");
    describe_gauge!(POOL_IDLE, "Database connections open and idle now.");
    describe_gauge!(POOL_WAITING, "Requests waiting for a database connection now (SQLite: for the writer's turn).");
    describe_histogram!(
        POOL_ACQUIRE_SECONDS,
        Unit::Seconds,
        "Time a request waited for a database connection (SQLite: for the writer's turn)."
    );
    describe_histogram!(SQLITE_BATCH_SIZE, "Units of work (orders, cancels) committed together by the SQLite writer.");
    describe_counter!(
        WEBHOOK_DELIVERIES,
        "Webhook delivery attempts, by result: delivered (2xx), refused (another status), failed (no answer)."
    );
    describe_histogram!(
        WEBHOOK_DELIVERY_LAG,
        Unit::Seconds,
        "Time from an event to its delivery's 2xx answer, retries included."
    );
    events::describe();
}

#[cfg(test)]
mod tests {
    use super::*;
    use orders_adapters::memory::MemoryStore;

    #[test]
    fn the_recorder_is_drained_by_a_thread_of_its_own_whether_or_not_anyone_scrapes() {
        let metrics = Metrics::install(Store::Memory(MemoryStore::new()));
        let threads = || -> Vec<String> {
            std::fs::read_dir("/proc/self/task")
                .expect("Linux lists a process's threads")
                .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
                .map(|name| name.trim().to_owned())
                .collect()
        };
        // A thread names itself once it runs.
        let named = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(10));
            threads().iter().any(|name| name == "metrics-upkeep")
        });
        assert!(named, "no upkeep thread among {:?}", threads());
        metrics::histogram!(REQUEST_DURATION, "http_route" => "/test").record(0.002);
        assert!(metrics.render().contains(r#"http_route="/test""#), "a sample is still rendered");
    }
}
