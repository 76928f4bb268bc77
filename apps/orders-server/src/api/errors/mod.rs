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

/// `error` and each of its sources, joined by `: `, each said once: a source whose
/// text the chain already holds is left out (many errors repeat their source's message
/// in their own, and a context may repeat a shorter one).
pub fn cause_chain(error: &dyn std::error::Error) -> String {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !chain.contains(&text) {
            chain.push_str(": ");
            chain.push_str(&text);
        }
        source = cause.source();
    }
    chain
}

#[cfg(test)]
mod tests {
    use super::cause_chain;

    #[derive(Debug, thiserror::Error)]
    #[error("{text}")]
    struct Layer {
        text: &'static str,
        #[source]
        source: Option<Box<Layer>>,
    }

    fn chain(texts: &[&'static str]) -> Layer {
        texts.iter().rev().fold(None, |source, text| Some(Layer { text, source: source.map(Box::new) })).unwrap()
    }

    #[test]
    fn each_cause_is_said_once() {
        let error = chain(&[
            "cannot open the database sqlite://x.db",
            "cannot open the database",
            "the backend is unavailable",
            "Connection Error: error returned from database: (code: 14) unable to open database file",
            "error returned from database: (code: 14) unable to open database file",
        ]);
        assert_eq!(
            cause_chain(&error),
            "cannot open the database sqlite://x.db: the backend is unavailable: Connection Error: error returned \
             from database: (code: 14) unable to open database file"
        );
    }
}
