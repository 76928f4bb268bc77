//! What a command prints on success: aligned text for people, or with `--json`, one
//! JSON document for scripts whose fields match the HTTP API's.

use chrono::SecondsFormat;
use orders_core::domain::{Currency, Money, Order, Product, Timestamp, User};
use serde::Serialize;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

/// Writes `text` to stdout. A reader that went away (`| head`) is not an error.
pub fn print(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
}

pub fn migrated(format: Format) -> String {
    match format {
        Format::Text => "The database schema is up to date: every migration has been applied.\n".to_owned(),
        Format::Json => json(&serde_json::json!({ "status": "up_to_date" })),
    }
}

/// One user, under `heading` ("Created user").
pub fn user(format: Format, heading: &str, user: &User) -> String {
    match format {
        Format::Json => json(&UserJson::from(user)),
        Format::Text => {
            let mut rows = vec![
                row(["id", &user.id.to_string()]),
                row(["email", user.email.as_str()]),
                row(["role", user.role.as_str()]),
                row(["tier", user.tier.as_str()]),
                row(["created", &timestamp(user.created_at)]),
            ];
            if let Some(name) = &user.full_name {
                rows.insert(2, row(["name", name.as_str()]));
            }
            format!("{heading}\n{}", columns(&rows, &[Align::Left, Align::Left], "  "))
        }
    }
}

/// One product, under `heading` ("Created product").
pub fn product(format: Format, heading: &str, product: &Product, currency: Currency) -> String {
    match format {
        Format::Json => json(&ProductJson::from(product)),
        Format::Text => {
            let rows = [
                row(["id", &product.id.to_string()]),
                row(["sku", product.sku.as_str()]),
                row(["name", product.name.as_str()]),
                row(["price", &money_and_cents(product.price.money(), currency)]),
                row(["stock", &product.stock.units().to_string()]),
            ];
            format!("{heading}\n{}", columns(&rows, &[Align::Left, Align::Left], "  "))
        }
    }
}

pub fn products(format: Format, products: &[Product], currency: Currency) -> String {
    match format {
        Format::Json => json(&products.iter().map(ProductJson::from).collect::<Vec<_>>()),
        Format::Text if products.is_empty() => "No products yet.\n".to_owned(),
        Format::Text => {
            let mut rows = vec![row(["SKU", "NAME", "PRICE", "STOCK", "ID"])];
            rows.extend(products.iter().map(|p| {
                row([
                    p.sku.as_str(),
                    p.name.as_str(),
                    &money(p.price.money(), currency),
                    &p.stock.units().to_string(),
                    &p.id.to_string(),
                ])
            }));
            columns(&rows, &[Align::Left, Align::Left, Align::Right, Align::Right, Align::Left], "  ")
        }
    }
}

/// A just-placed order of `customer`'s: its lines, then its totals in money and in cents.
pub fn placed_order(format: Format, order: &Order, customer: &User) -> String {
    match format {
        Format::Json => json(&OrderJson::from(order)),
        Format::Text => {
            let currency = order.currency;
            let mut lines = vec![row(["SKU", "NAME", "QTY", "UNIT PRICE", "LINE TOTAL"])];
            lines.extend(order.lines.iter().map(|line| {
                row([
                    line.sku.as_str(),
                    line.name.as_str(),
                    &line.quantity.to_string(),
                    &money(line.unit_price.money(), currency),
                    &money(line.line_total, currency),
                ])
            }));
            let totals = [
                ("Subtotal", order.totals.subtotal),
                ("Discount", order.totals.discount),
                ("Total", order.totals.total),
            ]
            .map(|(label, amount)| row([label, &money(amount, currency), &format!("({} cents)", amount.cents())]));
            format!(
                "Placed order {} for {} ({})\n\n{}\n{}",
                order.id,
                customer.email,
                customer.tier,
                columns(&lines, &[Align::Left, Align::Left, Align::Right, Align::Right, Align::Right], "  "),
                columns(&totals, &[Align::Left, Align::Right, Align::Left], "  "),
            )
        }
    }
}

/// `customer`'s orders, newest first.
pub fn orders(format: Format, orders: &[Order], customer: &User) -> String {
    match format {
        Format::Json => json(&orders.iter().map(OrderJson::from).collect::<Vec<_>>()),
        Format::Text if orders.is_empty() => format!("{} has no orders.\n", customer.email),
        Format::Text => {
            let mut rows = vec![row(["ID", "STATUS", "PLACED", "LINES", "SUBTOTAL", "DISCOUNT", "TOTAL"])];
            rows.extend(orders.iter().map(|order| {
                let lines: Vec<String> =
                    order.lines.iter().map(|line| format!("{} x{}", line.sku, line.quantity)).collect();
                row([
                    &order.id.to_string(),
                    order.status.as_str(),
                    &timestamp(order.created_at),
                    &lines.join(", "),
                    &money(order.totals.subtotal, order.currency),
                    &money(order.totals.discount, order.currency),
                    &money(order.totals.total, order.currency),
                ])
            }));
            let align = [Align::Left, Align::Left, Align::Left, Align::Left, Align::Right, Align::Right, Align::Right];
            columns(&rows, &align, "  ")
        }
    }
}

#[derive(Serialize)]
struct UserJson<'a> {
    id: String,
    email: &'a str,
    full_name: Option<&'a str>,
    tier: &'static str,
    role: &'static str,
    created_at: String,
}

impl<'a> From<&'a User> for UserJson<'a> {
    fn from(user: &'a User) -> Self {
        Self {
            id: user.id.to_string(),
            email: user.email.as_str(),
            full_name: user.full_name.as_ref().map(|name| name.as_str()),
            tier: user.tier.as_str(),
            role: user.role.as_str(),
            created_at: timestamp(user.created_at),
        }
    }
}

#[derive(Serialize)]
struct ProductJson<'a> {
    id: String,
    sku: &'a str,
    name: &'a str,
    price_cents: i64,
    stock: i64,
    created_at: String,
    updated_at: String,
}

impl<'a> From<&'a Product> for ProductJson<'a> {
    fn from(product: &'a Product) -> Self {
        Self {
            id: product.id.to_string(),
            sku: product.sku.as_str(),
            name: product.name.as_str(),
            price_cents: product.price.cents(),
            stock: product.stock.units(),
            created_at: timestamp(product.created_at),
            updated_at: timestamp(product.updated_at),
        }
    }
}

#[derive(Serialize)]
struct OrderJson<'a> {
    id: String,
    user_id: String,
    status: &'static str,
    currency: &'a str,
    items: Vec<OrderLineJson<'a>>,
    subtotal_cents: i64,
    discount_cents: i64,
    total_cents: i64,
    created_at: String,
    cancelled_at: Option<String>,
}

#[derive(Serialize)]
struct OrderLineJson<'a> {
    product_id: String,
    sku: &'a str,
    name: &'a str,
    quantity: i64,
    unit_price_cents: i64,
    line_total_cents: i64,
}

impl<'a> From<&'a Order> for OrderJson<'a> {
    fn from(order: &'a Order) -> Self {
        Self {
            id: order.id.to_string(),
            user_id: order.user_id.to_string(),
            status: order.status.as_str(),
            currency: order.currency.as_str(),
            items: order
                .lines
                .iter()
                .map(|line| OrderLineJson {
                    product_id: line.product_id.to_string(),
                    sku: line.sku.as_str(),
                    name: line.name.as_str(),
                    quantity: line.quantity.units(),
                    unit_price_cents: line.unit_price.cents(),
                    line_total_cents: line.line_total.cents(),
                })
                .collect(),
            subtotal_cents: order.totals.subtotal.cents(),
            discount_cents: order.totals.discount.cents(),
            total_cents: order.totals.total.cents(),
            created_at: timestamp(order.created_at),
            cancelled_at: order.cancelled_at.map(timestamp),
        }
    }
}

fn json(value: &impl Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("output structs serialize");
    text.push('\n');
    text
}

/// `12.34 USD`.
fn money(amount: Money, currency: Currency) -> String {
    format!("{amount} {currency}")
}

/// `12.34 USD (1234 cents)`.
fn money_and_cents(amount: Money, currency: Currency) -> String {
    format!("{} ({} cents)", money(amount, currency), amount.cents())
}

fn timestamp(at: Timestamp) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[derive(Debug, Clone, Copy)]
enum Align {
    Left,
    Right,
}

fn row<const N: usize>(cells: [&str; N]) -> Vec<String> {
    cells.iter().map(|cell| (*cell).to_owned()).collect()
}

/// `rows` as columns padded to their widest cell, one line each, without trailing spaces.
fn columns(rows: &[Vec<String>], align: &[Align], gap: &str) -> String {
    let width = |column: usize| rows.iter().map(|r| r.get(column).map_or(0, |c| c.chars().count())).max();
    let widths: Vec<usize> = (0..align.len()).map(|column| width(column).unwrap_or(0)).collect();
    let mut text = String::new();
    for cells in rows {
        let line: Vec<String> = cells
            .iter()
            .zip(widths.iter().zip(align))
            .map(|(cell, (&width, align))| match align {
                Align::Left => format!("{cell:<width$}"),
                Align::Right => format!("{cell:>width$}"),
            })
            .collect();
        text.push_str(line.join(gap).trim_end());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_and_numbers_align_right() {
        let rows = [row(["SKU", "PRICE"]), row(["W-1", "19.99 USD"]), row(["GADGET-22", "2.50 USD"])];
        assert_eq!(
            columns(&rows, &[Align::Left, Align::Right], "  "),
            "SKU            PRICE\nW-1        19.99 USD\nGADGET-22   2.50 USD\n"
        );
    }
}
