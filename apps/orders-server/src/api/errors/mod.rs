//! Every error the API answers, from one table: [`codes`] holds the rows (status,
//! `code`, documentation, headers), [`tables`] says which row each error gets,
//! [`operations`] which errors each operation can meet, so that one table drives both
//! the problem+json answer and the responses each operation documents.
//! [`outside_handlers`] answers what poem raises outside the handlers from the same rows.
//! Answers with status 5xx say nothing of their cause; the cause chain is logged.

pub mod codes;
pub mod operations;
pub mod outside_handlers;
pub mod table;
pub mod tables;

pub use operations::ApiError;
pub use outside_handlers::{from_http_error, internal_error};
pub use table::ErrorTable;
pub use tables::NotReady;

/// `error` and each of its sources, joined by `: `.
pub fn cause_chain(error: &dyn std::error::Error) -> String {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    chain
}
