//! Keyset pagination: a page size ([`Limit`]), an opaque [`Cursor`] naming the last
//! item of the previous page, and the [`Page`] that comes back. Pages are keyed by
//! time-ordered ids, so rows added between pages cause neither duplicates nor gaps.

use super::validation::Invalid;
use uuid::Uuid;

/// How many items a page holds: 1 to 100, 20 unless asked otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(u32);

impl Limit {
    pub const MAX: u32 = 100;

    pub fn new(items: i64) -> Result<Self, Invalid> {
        match u32::try_from(items) {
            Ok(n @ 1..=Self::MAX) => Ok(Self(n)),
            _ => Err(Invalid::new(format!("limit must be between 1 and {}", Self::MAX))),
        }
    }

    pub const fn get(self) -> u32 {
        self.0
    }
}

impl Default for Limit {
    fn default() -> Self {
        Self(20)
    }
}

/// Where the next page starts: after the item with this id. Its wire form, opaque to
/// clients and signed for its listing, is the HTTP adapter's business.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(Uuid);

impl Cursor {
    pub const fn after(id: Uuid) -> Self {
        Self(id)
    }

    pub const fn last_id(self) -> Uuid {
        self.0
    }
}

/// Which page to read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: Limit,
    pub after: Option<Cursor>,
}

impl PageRequest {
    /// How many items to ask a store for: one more than the page holds, to learn
    /// whether another page follows.
    pub fn fetch(&self) -> u32 {
        self.limit.get() + 1
    }
}

/// One page of a list, and the cursor of the next page if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<Cursor>,
}

impl<T> Page<T> {
    /// Builds a page from the `request.fetch()` items a store returned.
    pub fn from_overfetch(mut items: Vec<T>, request: PageRequest, id: impl Fn(&T) -> Uuid) -> Self {
        let limit = request.limit.get() as usize;
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|last| Cursor::after(id(last)))
        } else {
            None
        };
        Self { items, next_cursor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_is_1_to_100() {
        assert!(Limit::new(0).is_err());
        assert!(Limit::new(101).is_err());
        assert!(Limit::new(-1).is_err());
        assert_eq!(Limit::new(100).unwrap().get(), 100);
        assert_eq!(Limit::default().get(), 20);
    }

    #[test]
    fn a_full_overfetch_yields_a_next_cursor_at_the_last_kept_item() {
        let request = PageRequest { limit: Limit::new(2).unwrap(), after: None };
        let ids: Vec<Uuid> = (1..=3).map(Uuid::from_u128).collect();
        let page = Page::from_overfetch(ids.clone(), request, |id| *id);
        assert_eq!(page.items, ids[..2]);
        assert_eq!(page.next_cursor, Some(Cursor::after(ids[1])));
        let last = Page::from_overfetch(ids[..2].to_vec(), request, |id| *id);
        assert_eq!(last.next_cursor, None);
    }
}
