//! Logs and traces, through `tracing`.
//!
//! Logs go to stderr, `info` and up unless `RUST_LOG` says otherwise, as text for
//! people or as JSON lines for log collectors. A request's lines carry its span:
//! `request_id` (in JSON, under `span`).
//!
//! Traces are made only when `--otlp-endpoint` names a collector: then each request is
//! a server span (named by method and route template, and continuing the client's
//! trace when it sends a W3C `traceparent`), with a child span per use case (core) and
//! per store call (the adapters), exported over OTLP/HTTP in batches at most a second
//! apart. Those child spans are at `debug` level, which the log filter leaves out, so
//! without a collector they are never made. Without one the log filter is the whole
//! subscriber's: a filter of the log layer alone would be consulted each time a
//! request's span is entered and left, at every poll of the request.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tracing::{Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One line of text per event.
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, the event's fields
    /// (`message`, and on access lines `route`, `method`, `path`, `status`,
    /// `latency_ms`), and `span` with the request's `request_id`.
    Json,
}

/// The longest a finished span waits to be exported.
const EXPORT_EVERY: Duration = Duration::from_secs(1);
/// The longest one export may take.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether this process makes traces.
static TRACING: AtomicBool = AtomicBool::new(false);

/// Whether traces are exported (`--otlp-endpoint`).
pub fn traces_on() -> bool {
    TRACING.load(Ordering::Relaxed)
}

/// What logging and tracing hold until the process ends.
pub struct Telemetry {
    traces: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Exports the spans not yet exported, then stops exporting.
    pub fn shutdown(self) {
        if let Some(traces) = self.traces
            && let Err(error) = traces.shutdown()
        {
            eprintln!("orders-server: the last spans could not be exported: {error}");
        }
    }
}

/// Installs logging as `format` says, and traces to `otlp_endpoint` if given. Call it
/// outside the async runtime: the exporter has a thread of its own.
pub fn init(format: LogFormat, otlp_endpoint: Option<&str>) -> anyhow::Result<Telemetry> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let traces = otlp_endpoint.map(tracer_provider).transpose()?;
    TRACING.store(traces.is_some(), Ordering::Relaxed);
    let registry = tracing_subscriber::registry();
    match &traces {
        Some(provider) => {
            let ours = Targets::new()
                .with_target("orders_core", Level::DEBUG)
                .with_target("orders_adapters", Level::DEBUG)
                .with_target("orders_server", Level::INFO);
            let spans = tracing_opentelemetry::layer().with_tracer(provider.tracer("orders-server")).with_filter(ours);
            registry.with(logs(format).with_filter(filter)).with(spans).try_init()?;
        }
        None => registry.with(filter).with(logs(format)).try_init()?,
    }
    Ok(Telemetry { traces })
}

/// The log lines, written to stderr as `format` says.
fn logs<S: Subscriber + for<'a> LookupSpan<'a>>(format: LogFormat) -> Box<dyn Layer<S> + Send + Sync> {
    let logs = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.boxed(),
        LogFormat::Json => logs.json().flatten_event(true).with_current_span(true).with_span_list(false).boxed(),
    }
}

/// Spans exported in batches over OTLP/HTTP (protobuf) to `endpoint`'s `/v1/traces`.
fn tracer_provider(endpoint: &str) -> anyhow::Result<SdkTracerProvider> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(format!("{endpoint}/v1/traces"))
        .with_timeout(EXPORT_TIMEOUT)
        .build()?;
    let batches = BatchSpanProcessor::builder(exporter)
        .with_batch_config(BatchConfigBuilder::default().with_scheduled_delay(EXPORT_EVERY).build())
        .build();
    let mut resource = Resource::builder();
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name("orders-server");
    }
    opentelemetry::global::set_text_map_propagator(opentelemetry_sdk::propagation::TraceContextPropagator::new());
    Ok(SdkTracerProvider::builder().with_span_processor(batches).with_resource(resource.build()).build())
}
