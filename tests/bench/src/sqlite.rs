//! SQLite: a fresh file, seeded in SQL, and its ceiling: the same transactions as the
//! service's (BEGIN IMMEDIATE, a conditional decrement per line in product-id order,
//! the order row, its lines, COMMIT), back to back through one connection with the
//! server's settings: WAL, synchronous=FULL, foreign keys on; its CPU is that of the
//! thread running them.

use crate::ceiling::Ceiling;
use crate::cpu::{self, Spent};
use crate::ids;
use crate::load::quantile_ms;
use crate::workload::Mix;
use anyhow::Context;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rusqlite::{Connection, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub struct Sqlite {
    pub path: PathBuf,
}

/// How sqlx stores a `DateTime<Utc>` in SQLite.
fn now_text() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

impl Sqlite {
    /// A fresh database file `name` in `dir` (any old one and its WAL removed).
    pub fn fresh(dir: &Path, name: &str) -> anyhow::Result<Self> {
        let path = dir.join(name);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        Ok(Self { path })
    }

    pub fn url(&self) -> String {
        format!("sqlite://{}?mode=rwc", self.path.display())
    }

    pub fn remove(&self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
        }
    }

    fn open(&self) -> anyhow::Result<Connection> {
        let connection =
            Connection::open(&self.path).with_context(|| format!("cannot open {}", self.path.display()))?;
        connection.busy_timeout(Duration::from_secs(10))?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        Ok(connection)
    }

    pub fn seed_products(&self, from: u64, to: u64, stock: i64) -> anyhow::Result<()> {
        let mut db = self.open()?;
        let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = ids::sqlite_product("n");
        let (sku, name, price) = (ids::sku("n"), ids::name("n"), ids::price("n"));
        tx.execute(
            &format!(
                "WITH RECURSIVE s(n) AS (SELECT ?1 UNION ALL SELECT n + 1 FROM s WHERE n < ?2) \
                 INSERT INTO products (id, sku, name, price_cents, stock, created_at, updated_at) \
                 SELECT {id}, {sku}, {name}, {price}, ?3, ?4, ?4 FROM s"
            ),
            params![from as i64, to as i64, stock, now_text()],
        )?;
        tx.commit()?;
        db.execute_batch("ANALYZE")?;
        Ok(())
    }

    /// Customers 1..=count (every fourth premium) and the whale, all with `hash`.
    pub fn seed_customers(&self, count: u64, hash: &str) -> anyhow::Result<()> {
        let mut db = self.open()?;
        let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = ids::sqlite_customer("n");
        let tier = ids::tier("n");
        tx.execute(
            &format!(
                "WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < ?1) \
                 INSERT INTO users (id, email, password_hash, full_name, tier, role, created_at) \
                 SELECT {id}, 'bench-' || n || '@example.com', ?2, 'Bench customer ' || n, \
                        {tier}, 'customer', ?3 FROM s"
            ),
            params![count as i64, hash, now_text()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// `count` one-line orders of the whale, older than anything the run places.
    pub fn seed_orders(&self, count: u64, base_ms: u64) -> anyhow::Result<()> {
        let mut db = self.open()?;
        let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let order = ids::sqlite_seeded_order(base_ms, "n");
        let whale = ids::sqlite_customer(&ids::WHALE.to_string());
        let product = ids::sqlite_product("1");
        let now = now_text();
        tx.execute(
            &format!(
                "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ?1) \
                 INSERT INTO orders (id, user_id, status, currency, subtotal_cents, discount_cents, total_cents, created_at) \
                 SELECT {order}, {whale}, 'placed', 'USD', 101, 0, 101, ?2 FROM s"
            ),
            params![count as i64, now],
        )?;
        tx.execute(
            &format!(
                "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ?1) \
                 INSERT INTO order_lines (order_id, line_no, product_id, sku, name, quantity, unit_price_cents, line_total_cents) \
                 SELECT {order}, 0, {product}, 'BENCH-1', 'Bench product 1', 1, 101, 101 FROM s"
            ),
            params![count as i64],
        )?;
        tx.commit()?;
        db.execute_batch("ANALYZE")?;
        Ok(())
    }

    /// A WAL checkpoint, so that no run pays for the one before.
    pub fn settle(&self) -> anyhow::Result<()> {
        self.open()?.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// The orders of `mix`, back to back on one connection, for `duration`.
    pub fn ceiling(&self, mix: Mix, duration: Duration) -> anyhow::Result<Ceiling> {
        let mut db = self.open()?;
        let mut rng = StdRng::seed_from_u64(7);
        let mut latencies = Vec::with_capacity(64 * 1024);
        let mut failed = 0;
        let until = Instant::now() + duration;
        let started = Instant::now();
        let cpu_before = cpu::thread_ticks();
        while Instant::now() < until {
            let products = mix.pick(&mut rng);
            let customer = ids::customer(mix.customer(&mut rng));
            let begun = Instant::now();
            match place(&mut db, &products, customer) {
                Ok(true) => latencies.push(u32::try_from(begun.elapsed().as_micros()).unwrap_or(u32::MAX)),
                Ok(false) | Err(_) => failed += 1,
            }
        }
        let elapsed = started.elapsed();
        let database_cpu = cpu::thread_ticks()
            .zip(cpu_before)
            .map(|(after, before)| Spent { ticks: after - before, orders: latencies.len() as u64 });
        latencies.sort_unstable();
        Ok(Ceiling {
            how: "rusqlite, 1 connection".to_owned(),
            clients: None,
            orders_per_s: latencies.len() as f64 / elapsed.as_secs_f64(),
            p50_ms: quantile_ms(&latencies, 0.50),
            p99_ms: quantile_ms(&latencies, 0.99),
            orders: latencies.len() as u64,
            failed,
            seconds: elapsed.as_secs_f64(),
            database_cpu_us_per_order: database_cpu.and_then(Spent::us_per_order),
            database_cpu,
            latencies_us: latencies,
        })
    }
}

/// One order as the service stores it; `false` if a line was short (rolled back).
fn place(db: &mut Connection, products: &[u64], customer: uuid::Uuid) -> anyhow::Result<bool> {
    let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut lines = Vec::with_capacity(products.len());
    for &n in products {
        let id = ids::product(n);
        let mut take = tx.prepare_cached(
            "UPDATE \"products\" SET \"stock\" = \"stock\" - ?1 WHERE \"products\".\"id\" = ?2 AND \"products\".\"stock\" >= ?3 \
             RETURNING \"id\", \"sku\", \"name\", \"price_cents\", \"stock\", \"created_at\", \"updated_at\"",
        )?;
        let mut rows = take.query(params![1, id.as_bytes().as_slice(), 1])?;
        let Some(row) = rows.next()? else { return Ok(false) };
        let (sku, name, price): (String, String, i64) = (row.get(1)?, row.get(2)?, row.get(3)?);
        lines.push((id, sku, name, price));
    }
    let order = uuid::Uuid::now_v7();
    let subtotal: i64 = lines.iter().map(|line| line.3).sum();
    tx.prepare_cached(
        "INSERT INTO \"orders\" (\"id\", \"user_id\", \"status\", \"currency\", \"subtotal_cents\", \"discount_cents\", \
         \"total_cents\", \"created_at\", \"cancelled_at\") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        order.as_bytes().as_slice(),
        customer.as_bytes().as_slice(),
        "placed",
        "USD",
        subtotal,
        0,
        subtotal,
        now_text(),
        Option::<String>::None
    ])?;
    let values: Vec<String> = (0..lines.len())
        .map(|i| {
            let b = i * 8;
            format!("(?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{})", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8)
        })
        .collect();
    let mut insert = tx.prepare_cached(&format!(
        "INSERT INTO \"order_lines\" (\"order_id\", \"line_no\", \"product_id\", \"sku\", \"name\", \"quantity\", \
         \"unit_price_cents\", \"line_total_cents\") VALUES {}",
        values.join(", ")
    ))?;
    let mut params: Vec<Box<dyn rusqlite::ToSql>> = Vec::with_capacity(lines.len() * 8);
    for (i, (id, sku, name, price)) in lines.into_iter().enumerate() {
        params.push(Box::new(order.as_bytes().to_vec()));
        params.push(Box::new(i as i64));
        params.push(Box::new(id.as_bytes().to_vec()));
        params.push(Box::new(sku));
        params.push(Box::new(name));
        params.push(Box::new(1_i64));
        params.push(Box::new(price));
        params.push(Box::new(price));
    }
    insert.execute(rusqlite::params_from_iter(params.iter()))?;
    drop(insert);
    tx.commit()?;
    Ok(true)
}
