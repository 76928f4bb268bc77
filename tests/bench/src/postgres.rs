//! PostgreSQL: a database of the run's own on the machine's server (started if it is
//! down, dropped at the end), seeded in SQL; pgbench, found here, measures its ceiling
//! (pgbench.rs).

use crate::ids;
use crate::pg_bin;
use anyhow::{Context, bail};
use sea_orm::sqlx::{self, AssertSqlSafe, Connection, Executor, PgConnection};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

pub struct Postgres {
    admin_url: String,
    pub name: String,
    pub url: String,
    pub pgbench: PathBuf,
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> anyhow::Result<String> {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").context("a postgres:// URL")? + 3;
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    Ok(match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    })
}

/// Host and port of a postgres:// URL, for pg_isready.
fn host_port(url: &str) -> (String, String) {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    match host_port.rsplit_once(':') {
        Some((host, port)) => (host.to_owned(), port.to_owned()),
        None => (host_port.to_owned(), "5432".to_owned()),
    }
}

/// Starts the machine's PostgreSQL cluster if nothing answers at `url`.
pub fn ensure_running(url: &str) -> anyhow::Result<()> {
    let (host, port) = host_port(url);
    let pg_isready = pg_bin::find("pg_isready")?;
    let ready = || {
        Command::new(&pg_isready).args(["-q", "-h", &host, "-p", &port]).status().is_ok_and(|status| status.success())
    };
    if ready() {
        return Ok(());
    }
    let version = std::fs::read_dir("/etc/postgresql")
        .ok()
        .and_then(|dir| dir.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).min())
        .unwrap_or_else(|| "15".to_owned());
    eprintln!("PostgreSQL is down; starting cluster {version}/main");
    let _ = Command::new("pg_ctlcluster").args(["--skip-systemctl-redirect", &version, "main", "start"]).status();
    for _ in 0..30 {
        if ready() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    bail!("PostgreSQL does not answer at {host}:{port}")
}

impl Postgres {
    /// Creates a fresh database next to the one `admin_url` names.
    pub async fn create(admin_url: &str) -> anyhow::Result<Self> {
        let pgbench = pg_bin::find("pgbench")?;
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis();
        let name = format!("orders_bench_{}_{stamp}", std::process::id());
        let mut admin = PgConnection::connect(admin_url).await.context("cannot connect to PostgreSQL")?;
        admin.execute(AssertSqlSafe(format!("CREATE DATABASE {name}"))).await?;
        Ok(Self { admin_url: admin_url.to_owned(), url: with_database(admin_url, &name)?, name, pgbench })
    }

    pub async fn drop_database(&self) -> anyhow::Result<()> {
        let mut admin = PgConnection::connect(&self.admin_url).await?;
        admin.execute(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))).await?;
        Ok(())
    }

    async fn connect(&self) -> anyhow::Result<PgConnection> {
        Ok(PgConnection::connect(&self.url).await?)
    }

    pub async fn seed_products(&self, from: u64, to: u64, stock: i64) -> anyhow::Result<()> {
        let mut db = self.connect().await?;
        let id = ids::pg_product("n");
        let (sku, name, price) = (ids::sku("n"), ids::name("n"), ids::price("n"));
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO products (id, sku, name, price_cents, stock, created_at, updated_at) \
             SELECT {id}, {sku}, {name}, {price}, $3, now(), now() \
             FROM generate_series($1::bigint, $2::bigint) AS n"
        )))
        .bind(from as i64)
        .bind(to as i64)
        .bind(stock)
        .execute(&mut db)
        .await?;
        db.execute("ANALYZE products").await?;
        Ok(())
    }

    /// Customers 1..=count (every fourth premium) and the whale, all with `hash`.
    pub async fn seed_customers(&self, count: u64, hash: &str) -> anyhow::Result<()> {
        let mut db = self.connect().await?;
        let id = ids::pg_customer("n");
        let tier = ids::tier("n");
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO users (id, email, password_hash, full_name, tier, role, created_at) \
             SELECT {id}, 'bench-' || n || '@example.com', $2, 'Bench customer ' || n, \
                    {tier}, 'customer', now() \
             FROM generate_series(0, $1::bigint) AS n"
        )))
        .bind(count as i64)
        .bind(hash)
        .execute(&mut db)
        .await?;
        db.execute("ANALYZE users").await?;
        Ok(())
    }

    /// `count` one-line orders of the whale, older than anything the run places.
    pub async fn seed_orders(&self, count: u64, base_ms: u64) -> anyhow::Result<()> {
        let mut db = self.connect().await?;
        let mut tx = db.begin().await?;
        let order = ids::pg_seeded_order(base_ms, "n");
        let whale = ids::pg_customer(&ids::WHALE.to_string());
        let product = ids::pg_product("1");
        tx.execute(AssertSqlSafe(
            format!(
                "INSERT INTO orders (id, user_id, status, currency, subtotal_cents, discount_cents, total_cents, created_at) \
                 SELECT {order}, {whale}, 'placed', 'USD', 101, 0, 101, now() FROM generate_series(1, {count}) AS n"
            ),
        ))
        .await?;
        tx.execute(AssertSqlSafe(
            format!(
                "INSERT INTO order_lines (order_id, line_no, product_id, sku, name, quantity, unit_price_cents, line_total_cents) \
                 SELECT {order}, 0, {product}, 'BENCH-1', 'Bench product 1', 1, 101, 101 FROM generate_series(1, {count}) AS n"
            ),
        ))
        .await?;
        tx.commit().await?;
        db.execute("ANALYZE orders").await?;
        db.execute("ANALYZE order_lines").await?;
        Ok(())
    }

    /// A checkpoint, so that no run pays for the one before.
    pub async fn settle(&self) -> anyhow::Result<()> {
        let mut db = self.connect().await?;
        db.execute("CHECKPOINT").await?;
        Ok(())
    }

    /// How many more connections the server accepts now (its max_connections less those
    /// open, less a few for others).
    pub async fn free_connections(&self) -> anyhow::Result<usize> {
        let mut db = self.connect().await?;
        let max: String = sqlx::query_scalar("SHOW max_connections").fetch_one(&mut db).await?;
        let open: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity").fetch_one(&mut db).await?;
        Ok(max.parse::<usize>()?.saturating_sub(usize::try_from(open)? + 5).max(1))
    }

    /// How many orders the database holds.
    pub async fn orders(&self) -> anyhow::Result<u64> {
        let mut db = self.connect().await?;
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM orders").fetch_one(&mut db).await?;
        Ok(u64::try_from(count)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_taken_apart() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "b").unwrap(),
            "postgres://postgres@127.0.0.1:5432/b"
        );
        assert_eq!(
            with_database("postgres://u:p@h/test?sslmode=disable", "b").unwrap(),
            "postgres://u:p@h/b?sslmode=disable"
        );
        assert_eq!(host_port("postgres://postgres@127.0.0.1:5432/test"), ("127.0.0.1".into(), "5432".into()));
    }
}
