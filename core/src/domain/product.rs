//! Products: what can be ordered, at what price, and how many are in stock.

use super::ids::ProductId;
use super::money::Money;
use super::time::Timestamp;
use super::validation::{Invalid, char_count_within, displayable, within};
use std::fmt;

/// A stock-keeping unit: 1 to 64 characters of `A-Z a-z 0-9 - _ .`, unique per product.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sku(String);

impl Sku {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        char_count_within(raw, 1, 64, "sku")?;
        if raw.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Invalid::new("sku may contain only letters A-Z and a-z, digits, '-', '_' and '.'"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A product's display name: 1 to 200 characters of [`displayable`] text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductName(String);

impl ProductName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        char_count_within(raw, 1, 200, "name")?;
        displayable(raw, "name")?;
        Ok(Self(raw.to_owned()))
    }

    /// A name as stored, which may predate today's rules: shown as it is.
    pub fn stored(raw: &str) -> Self {
        Self(raw.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A unit price: 0 to 10^12 cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Price(Money);

impl Price {
    pub const MAX_CENTS: i64 = 1_000_000_000_000;

    pub fn from_cents(cents: i64) -> Result<Self, Invalid> {
        within(cents, 0, Self::MAX_CENTS, "price_cents").map(|c| Self(Money::from_cents(c)))
    }

    pub const fn money(self) -> Money {
        self.0
    }

    pub const fn cents(self) -> i64 {
        self.0.cents()
    }
}

/// Units on hand, never negative. An admin sets at most [`Stock::MAX`] (creating or
/// restocking a product); a cancelled order gives its units back even past it, so a
/// product may hold more, and everything that reads stock accepts any such value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stock(i64);

impl Stock {
    /// The most an admin may set.
    pub const MAX: i64 = 1_000_000_000;

    /// Stock as an admin sets it: 0 to [`Stock::MAX`].
    pub fn new(units: i64) -> Result<Self, Invalid> {
        within(units, 0, Self::MAX, "stock").map(Self)
    }

    /// Stock as a product may hold it: any number that is not negative.
    pub fn held(units: i64) -> Result<Self, Invalid> {
        within(units, 0, i64::MAX, "stock").map(Self)
    }

    pub const fn units(self) -> i64 {
        self.0
    }
}

/// Units added by one restock: 1 to 10^9.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestockQuantity(i64);

impl RestockQuantity {
    pub fn new(units: i64) -> Result<Self, Invalid> {
        within(units, 1, Stock::MAX, "quantity").map(Self)
    }

    pub const fn units(self) -> i64 {
        self.0
    }
}

/// A product in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: ProductId,
    pub sku: Sku,
    pub name: ProductName,
    pub price: Price,
    pub stock: Stock,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// An edit of a product's details; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductChanges {
    pub name: Option<ProductName>,
    pub price: Option<Price>,
}

impl ProductChanges {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.price.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_admin_sets_at_most_the_cap_but_a_product_may_hold_more() {
        assert!(Stock::new(Stock::MAX).is_ok());
        assert!(Stock::new(Stock::MAX + 1).is_err());
        assert_eq!(Stock::held(Stock::MAX + 1_000).map(Stock::units), Ok(Stock::MAX + 1_000));
        assert!(Stock::held(-1).is_err());
    }

    #[test]
    fn a_stored_name_is_shown_as_it_is_though_a_new_one_is_checked() {
        assert!(ProductName::parse("bad\0name").is_err());
        assert_eq!(ProductName::stored("bad\0name").as_str(), "bad\0name");
    }

    #[test]
    fn sku_allows_its_alphabet_only() {
        assert!(Sku::parse("ABC-123_x.y").is_ok());
        assert!(Sku::parse(&"a".repeat(64)).is_ok());
        for bad in ["", "with space", "ünicode", "a/b", &"a".repeat(65)] {
            assert!(Sku::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn name_is_1_to_200_characters() {
        assert!(ProductName::parse("").is_err());
        assert!(ProductName::parse(&"n".repeat(200)).is_ok());
        assert!(ProductName::parse(&"n".repeat(201)).is_err());
    }

    #[test]
    fn numeric_ranges_match_the_contract() {
        assert!(Price::from_cents(0).is_ok());
        assert!(Price::from_cents(1_000_000_000_000).is_ok());
        assert!(Price::from_cents(1_000_000_000_001).is_err());
        assert!(Price::from_cents(-1).is_err());
        assert!(Stock::new(0).is_ok());
        assert!(Stock::new(1_000_000_000).is_ok());
        assert!(Stock::new(1_000_000_001).is_err());
        assert!(Stock::new(-1).is_err());
        assert!(RestockQuantity::new(0).is_err());
        assert!(RestockQuantity::new(1).is_ok());
        assert!(RestockQuantity::new(1_000_000_001).is_err());
    }
}
