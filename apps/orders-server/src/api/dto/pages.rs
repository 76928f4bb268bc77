//! Paging on the wire: `?limit=` and `?cursor=` become core's [`PageRequest`].

use super::documented::PageLimit;
use orders_core::domain::{Cursor, Limit, PageRequest, Violations};

/// The page `limit` (default 20) and `cursor` (default: the first page) ask for.
pub fn page_request(limit: Option<PageLimit>, cursor: Option<&str>) -> Result<PageRequest, Violations> {
    let mut violations = Violations::default();
    let limit = match limit {
        Some(limit) => violations.check("limit", limit.parse()),
        None => Some(Limit::default()),
    };
    let after = cursor.and_then(|cursor| violations.check("cursor", Cursor::decode(cursor)));
    match limit {
        Some(limit) if violations.is_empty() => Ok(PageRequest { limit, after }),
        _ => Err(violations),
    }
}

/// The wire form of a page's next cursor.
pub fn next_cursor(cursor: Option<Cursor>) -> Option<String> {
    cursor.map(Cursor::encode)
}
