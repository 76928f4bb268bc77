//! Logging: tracing to stderr, `info` and up unless `RUST_LOG` says otherwise, as text
//! for people or as JSON lines for log collectors. A request's lines carry its span:
//! `request_id` (in JSON, under `span`).

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

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

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let subscriber = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => subscriber.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => subscriber.json().flatten_event(true).with_current_span(true).with_span_list(false).init(),
    }
}
