//! The seeded rows' ids and products, made from numbers so that the load generator,
//! pgbench and the SQL seeds agree without a lookup: product `n` is
//! `00000000-0000-7000-8000-{n:012x}`, sku `BENCH-{n}`, name `Bench product {n}`, price
//! `100 + n % 900` cents; customer `n` is `00000000-0000-7000-a000-{n:012x}`, premium
//! when `n % 4 = 0`; the orders seeded for the listing test are time-ordered (UUIDv7
//! layout) before everything the run places.

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

/// Product `expr`'s sku, as SQL on both databases (`expr` an integer expression).
pub fn sku(expr: &str) -> String {
    format!("('BENCH-' || {expr})")
}

pub fn name(expr: &str) -> String {
    format!("('Bench product ' || {expr})")
}

/// Product `expr`'s price in cents, as SQL or as a pgbench expression.
pub fn price(expr: &str) -> String {
    format!("(100 + ({expr}) % 900)")
}

/// Whether customer `expr` is premium, as SQL or as a pgbench expression.
pub fn premium(expr: &str) -> String {
    format!("(({expr}) % 4 = 0)")
}

/// Customer `expr`'s tier, as SQL on both databases.
pub fn tier(expr: &str) -> String {
    format!("(CASE WHEN {} THEN 'premium' ELSE 'standard' END)", premium(expr))
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

/// SQL (PostgreSQL) for a new order's id: the current millisecond, then random bits.
pub fn pg_new_order() -> &'static str {
    "(lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') \
     || substr(replace(gen_random_uuid()::text, '-', ''), 13))::uuid"
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
