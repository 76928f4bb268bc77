//! Paging on the wire: `?limit=` and `?cursor=` become core's [`PageRequest`], and a
//! page's next cursor goes out signed for its listing ([`crate::api::cursors`]).

use super::documented::PageLimit;
use crate::api::cursors::{CursorKey, Listing};
use orders_core::domain::{Cursor, Limit, PageRequest, Violations};

/// The page `limit` (default 20) and `cursor` (default: the first page) ask for in
/// `listing`.
pub fn page_request(
    limit: Option<PageLimit>,
    cursor: Option<&str>,
    key: &CursorKey,
    listing: Listing,
) -> Result<PageRequest, Violations> {
    let mut violations = Violations::default();
    let limit = match limit {
        Some(limit) => violations.check("limit", limit.parse()),
        None => Some(Limit::default()),
    };
    let after = cursor.and_then(|cursor| violations.check("cursor", key.verify(cursor, listing)));
    match limit {
        Some(limit) if violations.is_empty() => Ok(PageRequest { limit, after }),
        _ => Err(violations),
    }
}

/// The wire form of a page's next cursor in `listing`.
pub fn next_cursor(cursor: Option<Cursor>, key: &CursorKey, listing: Listing) -> Option<String> {
    cursor.map(|cursor| key.sign(cursor, listing))
}
