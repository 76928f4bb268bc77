//! Pricing, as a pure function: line totals, the subtotal, the premium discount (10%,
//! rounded half up to a whole cent) and the total. Overflow is an error, never a wrap.

use super::money::Money;
use super::quantity::Quantity;
use super::user::Tier;

/// What an order costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub subtotal: Money,
    pub discount: Money,
    pub total: Money,
}

/// An amount did not fit in 64-bit cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the order's total is too large to compute")]
pub struct PriceOverflow;

/// `unit_price × quantity`.
pub fn line_total(unit_price: Money, quantity: Quantity) -> Result<Money, PriceOverflow> {
    unit_price.checked_mul(quantity.units()).ok_or(PriceOverflow)
}

/// Premium users get 10% of a non-negative subtotal off, rounded half up: `(subtotal + 5) / 10`.
pub fn discount(subtotal: Money, tier: Tier) -> Result<Money, PriceOverflow> {
    match tier {
        Tier::Standard => Ok(Money::ZERO),
        Tier::Premium => {
            subtotal.checked_add(Money::from_cents(5)).map(|m| Money::from_cents(m.cents() / 10)).ok_or(PriceOverflow)
        }
    }
}

/// The totals of an order whose lines cost `line_totals`, for a user of `tier`.
pub fn totals(line_totals: impl IntoIterator<Item = Money>, tier: Tier) -> Result<Totals, PriceOverflow> {
    let subtotal = line_totals.into_iter().try_fold(Money::ZERO, Money::checked_add).ok_or(PriceOverflow)?;
    let discount = discount(subtotal, tier)?;
    let total = subtotal.checked_sub(discount).ok_or(PriceOverflow)?;
    Ok(Totals { subtotal, discount, total })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cents(c: i64) -> Money {
        Money::from_cents(c)
    }

    #[test]
    fn premium_discount_rounds_half_up() {
        assert_eq!(discount(cents(1004), Tier::Premium), Ok(cents(100)));
        assert_eq!(discount(cents(1005), Tier::Premium), Ok(cents(101)));
        assert_eq!(discount(cents(1), Tier::Premium), Ok(cents(0)));
        assert_eq!(discount(cents(5), Tier::Premium), Ok(cents(1)));
        assert_eq!(discount(cents(1005), Tier::Standard), Ok(cents(0)));
    }

    #[test]
    fn a_worked_example() {
        let lines = [line_total(cents(1999), Quantity::new(3).unwrap()).unwrap(), cents(250)];
        let totals = totals(lines, Tier::Premium).unwrap();
        assert_eq!(totals, Totals { subtotal: cents(6247), discount: cents(625), total: cents(5622) });
    }

    #[test]
    fn overflow_is_an_error() {
        assert_eq!(line_total(cents(i64::MAX), Quantity::new(2).unwrap()), Err(PriceOverflow));
        assert_eq!(totals([cents(i64::MAX), cents(1)], Tier::Standard), Err(PriceOverflow));
        assert_eq!(totals([cents(i64::MAX - 2)], Tier::Premium), Err(PriceOverflow));
    }

    proptest! {
        #[test]
        fn total_is_subtotal_minus_discount(
            prices in prop::collection::vec(0i64..=1_000_000_000_000, 1..=100),
            quantity in 1i64..=10_000,
            premium in any::<bool>(),
        ) {
            let tier = if premium { Tier::Premium } else { Tier::Standard };
            let quantity = Quantity::new(quantity).unwrap();
            let lines: Vec<Money> = prices.iter().map(|&p| line_total(cents(p), quantity).unwrap()).collect();
            let t = totals(lines, tier).unwrap();
            let subtotal: i128 = prices.iter().map(|&p| i128::from(p) * i128::from(quantity.units())).sum();
            prop_assert_eq!(i128::from(t.subtotal.cents()), subtotal);
            prop_assert_eq!(t.total.cents(), t.subtotal.cents() - t.discount.cents());
            let expected_discount = if premium { (subtotal + 5) / 10 } else { 0 };
            prop_assert_eq!(i128::from(t.discount.cents()), expected_discount);
            prop_assert!(t.discount.cents() >= 0 && t.total.cents() >= 0);
        }

        #[test]
        fn discount_is_the_nearest_cent_to_a_tenth(subtotal in 0i64..=i64::MAX - 5) {
            let d = discount(cents(subtotal), Tier::Premium).unwrap().cents();
            // 10·d − subtotal lies in (−5, 5]: the nearest cent, exact halves rounded up.
            let diff = i128::from(d) * 10 - i128::from(subtotal);
            prop_assert!((-4..=5).contains(&diff), "diff {}", diff);
        }

        #[test]
        fn any_amounts_give_exact_totals_or_overflow_never_a_panic(
            amounts in prop::collection::vec(any::<i64>(), 0..8),
            premium in any::<bool>(),
        ) {
            let tier = if premium { Tier::Premium } else { Tier::Standard };
            let fits = |v: i128| i64::try_from(v).ok();
            // The same computation in 128 bits, failing wherever a 64-bit step would.
            let expected = amounts
                .iter()
                .try_fold(0i64, |sum, &a| fits(i128::from(sum) + i128::from(a)))
                .and_then(|subtotal| {
                    let discount = if premium { fits(i128::from(subtotal) + 5)? / 10 } else { 0 };
                    let total = fits(i128::from(subtotal) - i128::from(discount))?;
                    Some(Totals { subtotal: cents(subtotal), discount: cents(discount), total: cents(total) })
                });
            prop_assert_eq!(totals(amounts.iter().map(|&a| cents(a)), tier).ok(), expected);
        }
    }
}
