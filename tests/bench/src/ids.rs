//! The seeded rows' ids, made from numbers so that the load generator, pgbench and the
//! SQL seeds agree without a lookup: product `n` is `00000000-0000-7000-8000-{n:012x}`,
//! customer `n` is `00000000-0000-7000-a000-{n:012x}`, and the orders seeded for the
//! listing test are time-ordered (UUIDv7 layout) before everything the run places.

use uuid::Uuid;

/// The customer who owns the 1,000,000 seeded orders of the listing test.
pub const WHALE: u64 = 0;

pub fn product(n: u64) -> Uuid {
    Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0000 | u128::from(n))
}

pub fn customer(n: u64) -> Uuid {
    Uuid::from_u128(0x0000_0000_0000_7000_a000_0000_0000_0000 | u128::from(n))
}

/// The id of seeded order `n` (1 is the oldest), at `base_ms + n` milliseconds.
pub fn seeded_order(base_ms: u64, n: u64) -> Uuid {
    Uuid::from_u128((u128::from(base_ms + n) << 80) | 0x7000_8000_0000_0000_0000 | u128::from(n))
}

/// SQL (PostgreSQL) for product `expr`'s id, `expr` an integer expression.
pub fn pg_product(expr: &str) -> String {
    format!("('00000000-0000-7000-8000-' || lpad(to_hex(({expr})::bigint), 12, '0'))::uuid")
}

pub fn pg_customer(expr: &str) -> String {
    format!("('00000000-0000-7000-a000-' || lpad(to_hex(({expr})::bigint), 12, '0'))::uuid")
}

pub fn pg_seeded_order(base_ms: u64, expr: &str) -> String {
    format!(
        "(lpad(to_hex({base_ms}::bigint + {expr}), 12, '0') || '70008' || lpad(to_hex(({expr})::bigint), 15, '0'))::uuid"
    )
}

/// SQL (SQLite: UUIDs are stored as 16-byte blobs) for product `expr`'s id.
pub fn sqlite_product(expr: &str) -> String {
    format!("unhex('00000000000070008000' || printf('%012x', {expr}))")
}

pub fn sqlite_customer(expr: &str) -> String {
    format!("unhex('0000000000007000a000' || printf('%012x', {expr}))")
}

pub fn sqlite_seeded_order(base_ms: u64, expr: &str) -> String {
    format!("unhex(printf('%012x', {base_ms} + {expr}) || '70008' || printf('%015x', {expr}))")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_layout_the_sql_builds() {
        assert_eq!(product(255).to_string(), "00000000-0000-7000-8000-0000000000ff");
        assert_eq!(customer(1).to_string(), "00000000-0000-7000-a000-000000000001");
        assert_eq!(seeded_order(1, 2).to_string(), "00000000-0003-7000-8000-000000000002");
        assert!(seeded_order(1, 2) < seeded_order(1, 3));
    }
}
