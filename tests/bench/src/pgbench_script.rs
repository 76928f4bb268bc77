//! pgbench's scripts of one order of a mix, drawn as the load generator draws its
//! orders (see workload.rs): the plain multi-statement transaction, and the service's
//! own statement in autocommit.

use crate::ids;
use crate::workload::{Lines, Mix};
use anyhow::{Context, bail};
use orders_adapters::sql::POSTGRES_ORDER_STATEMENTS;

/// pgbench binds at most this many variables into one statement.
const MAX_ARGUMENTS: usize = 255;

/// What a pgbench ceiling runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// BEGIN; a conditional decrement per line in product-id order, returning the
    /// product as the store reads it; the order row; its lines in one INSERT; COMMIT.
    Transaction,
    /// The statement that places an order in the service
    /// (`POSTGRES_ORDER_STATEMENTS[0]`), in autocommit, without an idempotency key.
    OneStatement,
}

impl Script {
    /// The pgbench script of one order of `mix`.
    pub fn text(self, mix: Mix) -> anyhow::Result<String> {
        match self {
            Self::Transaction => Ok(transaction(mix)),
            Self::OneStatement => one_statement(mix),
        }
    }

    /// What the report calls it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Transaction => "multi-statement",
            Self::OneStatement => "one-statement",
        }
    }
}

/// The most lines an order of `mix` has.
fn max_lines(mix: Mix) -> u64 {
    match (mix.hot, mix.lines) {
        (Some(_), _) => 1,
        (None, Lines::OneToThree) => 3,
        (None, Lines::Exactly(k)) => k,
    }
}

/// pgbench's draw of an order: `n` lines, products `p1` to `pn` (one from each of `n`
/// equal bands of `products`, so distinct and in id order), customer `u` of `customers`.
fn draw(mix: Mix) -> String {
    let mut s = String::new();
    match (mix.hot, mix.lines) {
        (Some(_), _) => s.push_str("\\set n 1\n"),
        (None, Lines::OneToThree) => s.push_str("\\set n random(1, 3)\n"),
        (None, Lines::Exactly(k)) => s.push_str(&format!("\\set n {k}\n")),
    }
    s.push_str("\\set band :products / :n\n\\set u random(1, :customers)\n");
    for i in 1..=max_lines(mix) {
        match mix.hot {
            Some(hot) => s.push_str(&format!("\\set p{i} {hot}\n")),
            None => s.push_str(&format!("\\set p{i} {} * :band + random(1, :band)\n", i - 1)),
        }
    }
    s
}

fn transaction(mix: Mix) -> String {
    let max_lines = max_lines(mix);
    let mut s = draw(mix);
    s.push_str("BEGIN;\n");
    for i in 1..=max_lines {
        if i > 1 {
            s.push_str(&format!("\\if :n >= {i}\n"));
        }
        s.push_str(&format!(
            "UPDATE products SET stock = stock - 1 WHERE id = {} AND stock >= 1 \
             RETURNING id, sku, name, price_cents, stock, created_at, updated_at;\n",
            ids::pg_product(&format!(":p{i}"))
        ));
        if i > 1 {
            s.push_str("\\endif\n");
        }
    }
    s.push_str(&format!(
        "INSERT INTO orders (id, user_id, status, currency, subtotal_cents, discount_cents, total_cents, created_at, cancelled_at) \
         VALUES ({}, {}, 'placed', 'USD', 300, 0, 300, now(), NULL) \
         RETURNING id AS order_id \\gset\n",
        ids::pg_new_order(),
        ids::pg_customer(":u")
    ));
    for k in 1..=max_lines {
        let keyword = if k == 1 { "\\if" } else { "\\elif" };
        if max_lines > 1 {
            s.push_str(&format!("{keyword} :n = {k}\n"));
        }
        let rows: Vec<String> = (1..=k)
            .map(|i| {
                format!(
                    "(:order_id, {}, {}, 'BENCH-0000', 'Bench product 0000', 1, 100, 100)",
                    i - 1,
                    ids::pg_product(&format!(":p{i}"))
                )
            })
            .collect();
        s.push_str(&format!(
            "INSERT INTO order_lines (order_id, line_no, product_id, sku, name, quantity, unit_price_cents, line_total_cents) VALUES {};\n",
            rows.join(", ")
        ));
    }
    if max_lines > 1 {
        s.push_str("\\endif\n");
    }
    s.push_str("COMMIT;\n");
    s
}

/// The draw, the prices and totals as the service prices them (quantity 1; premium:
/// 10% off, rounded half up), and the statement for the order's number of lines.
fn one_statement(mix: Mix) -> anyhow::Result<String> {
    let max_lines = max_lines(mix);
    let mut s = draw(mix);
    for i in 1..=max_lines {
        s.push_str(&format!("\\set price{i} {}\n", ids::price(&format!(":p{i}"))));
    }
    let prices: Vec<String> = (1..=max_lines)
        .map(|i| if i == 1 { ":price1".to_owned() } else { format!("(CASE WHEN :n >= {i} THEN :price{i} ELSE 0 END)") })
        .collect();
    s.push_str(&format!("\\set subtotal {}\n", prices.join(" + ")));
    s.push_str(&format!("\\set discount CASE WHEN {} THEN (:subtotal + 5) / 10 ELSE 0 END\n", ids::premium(":u")));
    s.push_str("\\set total :subtotal - :discount\n");
    let variants: Vec<u64> = match (mix.hot, mix.lines) {
        (None, Lines::OneToThree) => (1..=3).collect(),
        _ => vec![max_lines],
    };
    for (i, &lines) in variants.iter().enumerate() {
        if variants.len() > 1 {
            s.push_str(&format!("{} :n = {lines}\n", if i == 0 { "\\if" } else { "\\elif" }));
        }
        let statement = statement(lines)?;
        let arguments = pgbench_arguments(&statement);
        if arguments > MAX_ARGUMENTS {
            bail!(
                "the statement for an order of {lines} lines binds {arguments} pgbench variables, \
                 more than the {MAX_ARGUMENTS} pgbench accepts"
            );
        }
        s.push_str(&statement);
        s.push_str(";\n");
    }
    if variants.len() > 1 {
        s.push_str("\\endif\n");
    }
    Ok(s)
}

/// The service's statement for an order of `lines` lines, its comments left out and its
/// parameters replaced by SQL around pgbench's variables (see [`one_statement`]).
fn statement(lines: u64) -> anyhow::Result<String> {
    let each =
        |value: &dyn Fn(u64) -> String| format!("ARRAY[{}]", (1..=lines).map(value).collect::<Vec<_>>().join(", "));
    let sql: Vec<&str> =
        POSTGRES_ORDER_STATEMENTS[0].lines().filter(|line| !line.trim_start().starts_with("--")).collect();
    substitute(&sql.join("\n"), |parameter| {
        Some(match parameter {
            1 => each(&|i| ids::pg_product(&format!(":p{i}"))),
            2 => each(&|_| "1".to_owned()),
            3 => each(&|i| ids::sku(&format!("(:p{i})::bigint"))),
            4 => each(&|i| ids::name(&format!("(:p{i})::bigint"))),
            5 | 6 => each(&|i| format!("(:price{i})::bigint")),
            7 => ids::pg_customer(":u"),
            8 => ids::tier("(:u)::bigint"),
            9 => ids::pg_new_order().to_owned(),
            10 => "'USD'".to_owned(),
            11 => "(:subtotal)::bigint".to_owned(),
            12 => "(:discount)::bigint".to_owned(),
            13 => "(:total)::bigint".to_owned(),
            14 => "now()".to_owned(),
            15..=17 => "NULL".to_owned(),
            18 => "gen_random_uuid()".to_owned(),
            19 => each(&|_| "gen_random_uuid()".to_owned()),
            _ => return None,
        })
    })
}

/// `sql` with each `$n` replaced by `(value(n))`.
fn substitute(sql: &str, value: impl Fn(usize) -> Option<String>) -> anyhow::Result<String> {
    let mut out = String::with_capacity(sql.len() * 4);
    let mut rest = sql;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let digits = rest[dollar + 1..].bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            out.push('$');
        } else {
            let n: usize = rest[dollar + 1..dollar + 1 + digits].parse()?;
            let value = value(n).with_context(|| format!("the order statement's ${n} has no pgbench value"))?;
            out.push_str(&format!("({value})"));
        }
        rest = &rest[dollar + 1 + digits..];
    }
    out.push_str(rest);
    Ok(out)
}

/// How many variables pgbench binds into `sql`: a colon followed by a name's characters
/// is one (every occurrence apart), a run of colons followed by anything else none
/// (`::uuid`), as pgbench reads them.
fn pgbench_arguments(sql: &str) -> usize {
    let name = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
    let bytes = sql.as_bytes();
    let (mut count, mut i) = (0, 0);
    while i < bytes.len() {
        if bytes[i] != b':' {
            i += 1;
        } else if bytes.get(i + 1).copied().is_some_and(name) {
            count += 1;
            i += 1;
            while bytes.get(i).copied().is_some_and(name) {
                i += 1;
            }
        } else {
            while bytes.get(i) == Some(&b':') {
                i += 1;
            }
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mix(lines: Lines) -> Mix {
        Mix { lines, products: 1000, hot: None, customers: 300 }
    }

    #[test]
    fn every_parameter_of_the_statement_is_replaced() {
        let script = Script::OneStatement.text(mix(Lines::OneToThree)).unwrap();
        assert!(!script.contains('$'), "{script}");
        assert!(!script.contains("--"), "{script}");
        assert_eq!(script.matches("WITH key_lock AS MATERIALIZED").count(), 3);
        assert!(script.contains("\\elif :n = 3\n"), "{script}");
        assert!(script.contains("(ARRAY[1, 1, 1])::int8[]"), "{script}");
        assert!(script.contains("((NULL)::text IS NULL"), "{script}");
    }

    #[test]
    fn parameters_with_many_digits_are_read_whole() {
        let sql = substitute("$1, $15::text, $2$", |n| Some(format!("v{n}"))).unwrap();
        assert_eq!(sql, "(v1), (v15)::text, (v2)$");
        assert!(substitute("$18", |_| None).is_err());
    }

    #[test]
    fn arguments_are_counted_as_pgbench_counts_them() {
        assert_eq!(pgbench_arguments("SELECT :a::int, :a, ':'::text, x::uuid[] FROM t WHERE :b_1 = 1"), 3);
    }

    #[test]
    fn an_order_too_long_for_pgbench_is_refused_in_so_many_words() {
        assert!(Script::OneStatement.text(mix(Lines::Exactly(35))).is_ok());
        let error = Script::OneStatement.text(mix(Lines::Exactly(36))).unwrap_err().to_string();
        assert!(error.contains("more than the 255 pgbench accepts"), "{error}");
    }

    #[test]
    fn a_hot_product_is_one_line_of_it() {
        let script = Script::OneStatement.text(Mix { hot: Some(1), ..mix(Lines::OneToThree) }).unwrap();
        assert!(script.starts_with("\\set n 1\n"), "{script}");
        assert!(script.contains("\\set p1 1\n") && !script.contains("\\if"), "{script}");
    }
}
