//! How many units of one product an order line asks for.

use super::validation::{Invalid, within};
use std::fmt;

/// Units of one product on one order line: 1 to 10,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(i64);

impl Quantity {
    pub const MAX: i64 = 10_000;

    pub fn new(units: i64) -> Result<Self, Invalid> {
        within(units, 1, Self::MAX, "quantity").map(Self)
    }

    pub const fn units(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
