//! Money: an integer count of minor units (cents) with checked arithmetic, and the
//! ISO 4217 currency a deployment prices in.

use super::validation::Invalid;
use std::fmt;

/// An amount of money in minor units (cents). Arithmetic is checked: `None` on overflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_cents(cents: i64) -> Self {
        Self(cents)
    }

    pub const fn cents(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    pub fn checked_mul(self, factor: i64) -> Option<Money> {
        self.0.checked_mul(factor).map(Money)
    }
}

impl fmt::Display for Money {
    /// `1234` cents as `12.34`, `-5` as `-0.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// An ISO 4217 alphabetic code: three upper-case ASCII letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    pub fn parse(code: &str) -> Result<Self, Invalid> {
        match code.as_bytes() {
            &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_uppercase) => Ok(Self([a, b, c])),
            _ => Err(Invalid::new("currency must be an ISO 4217 code of three upper-case letters, like USD")),
        }
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("a currency is ASCII by construction")
    }
}

impl Default for Currency {
    fn default() -> Self {
        Self(*b"USD")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_displays_as_units_and_cents() {
        assert_eq!(Money::from_cents(123_456).to_string(), "1234.56");
        assert_eq!(Money::from_cents(5).to_string(), "0.05");
        assert_eq!(Money::from_cents(-5).to_string(), "-0.05");
        assert_eq!(Money::from_cents(i64::MIN).to_string(), "-92233720368547758.08");
    }

    #[test]
    fn arithmetic_reports_overflow_instead_of_wrapping() {
        assert_eq!(Money::from_cents(i64::MAX).checked_add(Money::from_cents(1)), None);
        assert_eq!(Money::from_cents(i64::MAX / 2 + 1).checked_mul(2), None);
        assert_eq!(Money::from_cents(i64::MIN).checked_sub(Money::from_cents(1)), None);
    }

    #[test]
    fn currency_accepts_only_three_upper_case_letters() {
        assert_eq!(Currency::parse("EUR").unwrap().as_str(), "EUR");
        for bad in ["usd", "US", "USDX", "U$D", ""] {
            assert!(Currency::parse(bad).is_err(), "{bad} was accepted");
        }
    }
}
