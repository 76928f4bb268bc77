//! Requests refused below the application, answered like every other error: with a
//! problem+json body, and logged. hyper answers a request it cannot read (a head over
//! its limit: 431; a URI over its limit: 414; a head that does not parse: 400) with an
//! empty body and no hook to change it, so the connection's writer recognises hyper's
//! answer and sends [`replacing_hyper_answer`] instead; a request whose head or body
//! stops arriving is cut off by the idle timeout with [`request_timeout`] (408).

use crate::api::problem::{PROBLEM_JSON, Problem};
use poem::http::StatusCode;
use poem_openapi::types::ToJSON;
use std::sync::LazyLock;

/// What hyper writes, whole and first, when it refuses a request it could not read.
const HYPER_ANSWERS: [(StatusCode, &str, &str); 3] = [
    (StatusCode::BAD_REQUEST, "malformed_request", "the request is not well-formed HTTP/1.1"),
    (StatusCode::URI_TOO_LONG, "uri_too_long", "the request's URI is too long"),
    (
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "headers_too_large",
        "the request's head (its line and headers) is too large",
    ),
];

/// If `written` is hyper's own answer to a request it could not read, its status and
/// the problem answer to send in its place. Every answer the server writes is asked,
/// so the heads to look for are made once.
pub fn replacing_hyper_answer(written: &[u8]) -> Option<(StatusCode, Vec<u8>)> {
    static HEADS: LazyLock<[String; 3]> = LazyLock::new(|| {
        HYPER_ANSWERS.map(|(status, ..)| format!("HTTP/1.1 {status}\r\nconnection: close\r\ncontent-length: 0\r\n"))
    });
    let found = HEADS.iter().position(|head| written.starts_with(head.as_bytes()))?;
    let (status, code, detail) = HYPER_ANSWERS[found];
    Some((status, answer(status, code, detail)))
}

/// The answer to a request whose head or body stopped arriving.
pub fn request_timeout() -> Vec<u8> {
    answer(StatusCode::REQUEST_TIMEOUT, "request_timeout", "the request stopped arriving before it was complete")
}

/// A whole HTTP/1.1 response carrying `code`'s problem, after which the server closes.
fn answer(status: StatusCode, code: &str, detail: &str) -> Vec<u8> {
    let body = Problem::new(status, code, detail).details().to_json_string();
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: {PROBLEM_JSON}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypers_empty_refusals_become_problems() {
        let hyper = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\ndate: Wed, 02 Dec 2026 17:18:06 GMT\r\n\r\n";
        let (status, answer) = replacing_hyper_answer(hyper).expect("recognised");
        assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        let answer = String::from_utf8(answer).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"), "{head}");
        assert!(head.contains("content-type: application/problem+json"), "{head}");
        assert!(head.contains(&format!("content-length: {}", body.len())), "{head}");
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!((problem["status"].as_i64(), problem["code"].as_str()), (Some(431), Some("headers_too_large")));
    }

    #[test]
    fn the_applications_own_answers_are_left_alone() {
        let problem =
            b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\ncontent-length: 99\r\n\r\n{";
        assert!(replacing_hyper_answer(problem).is_none());
        assert!(replacing_hyper_answer(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
    }
}
