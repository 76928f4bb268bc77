//! `ordersctl orders`: the operator places an order on a user's behalf, naming
//! products by sku, and lists a user's orders. The rules are core's, as over HTTP.

use crate::cli::{ListOrders, OrdersCommand, PlaceOrder};
use crate::database::Database;
use crate::error::{self, Failure};
use crate::output::{self, Format};
use orders_core::domain::{Email, Limit, OrderItems, PageRequest, ProductId, Quantity, Sku};
use orders_core::usecases::Actor;

pub async fn run(command: OrdersCommand, database: &Database, format: Format) -> Result<String, Failure> {
    match command {
        OrdersCommand::Place(args) => place(args, database, format).await,
        OrdersCommand::List(args) => list(args, database, format).await,
    }
}

async fn place(args: PlaceOrder, database: &Database, format: Format) -> Result<String, Failure> {
    let email = Email::parse(&args.email).map_err(|invalid| error::invalid("--email", invalid))?;
    let requested = parse_items(&args.items)?;
    let service = database.service().await?;
    let customer = service.find_user(&Actor::Operator, &email).await.map_err(|e| error::find_user(e, &email))?;
    let mut named = Vec::with_capacity(requested.len());
    let mut lines = Vec::with_capacity(requested.len());
    for item in requested {
        let product = service.product_by_sku(&item.sku).await.map_err(|e| error::product_by_sku(e, &item.sku))?;
        lines.push((product.id, item.quantity));
        named.push((item.raw, product.id, item.sku));
    }
    let items = OrderItems::parse(&lines).map_err(|violations| error::order_items(&violations, &named))?;
    let sku_of = |id: ProductId| match named.iter().find(|(_, named_id, _)| *named_id == id) {
        Some((_, _, sku)) => sku.to_string(),
        None => id.to_string(),
    };
    let placed = service.place_order(customer.id, &items, None).await.map_err(|e| error::place_order(e, sku_of))?;
    Ok(output::placed_order(format, &placed.order, &customer))
}

/// One `--item SKU=QTY` as given, with its sku and quantity.
struct ItemArg {
    raw: String,
    sku: Sku,
    quantity: i64,
}

/// Every `--item`, checked with core's parsers before the database is opened; all
/// bad ones are named at once.
fn parse_items(raw_items: &[String]) -> Result<Vec<ItemArg>, Failure> {
    let mut items = Vec::with_capacity(raw_items.len());
    let mut problems = Vec::new();
    for raw in raw_items {
        let Some((sku, Ok(quantity))) = raw.split_once('=').map(|(sku, qty)| (sku.trim(), qty.trim().parse::<i64>()))
        else {
            problems.push(error::item_syntax(raw));
            continue;
        };
        match (Sku::parse(sku), Quantity::new(quantity)) {
            (Ok(sku), Ok(_)) => items.push(ItemArg { raw: raw.clone(), sku, quantity }),
            (Err(invalid), _) | (_, Err(invalid)) => problems.push(error::item_value(raw, &invalid)),
        }
    }
    if problems.is_empty() { Ok(items) } else { Err(error::invalid_items(&problems)) }
}

async fn list(args: ListOrders, database: &Database, format: Format) -> Result<String, Failure> {
    let email = Email::parse(&args.email).map_err(|invalid| error::invalid("--email", invalid))?;
    let service = database.service().await?;
    let customer = service.find_user(&Actor::Operator, &email).await.map_err(|e| error::find_user(e, &email))?;
    let mut orders = Vec::new();
    let mut request =
        PageRequest { limit: Limit::new(Limit::MAX.into()).expect("the maximum is a limit"), after: None };
    loop {
        let page =
            service.list_orders(&Actor::Operator, Some(customer.id), request).await.map_err(error::list_orders)?;
        orders.extend(page.items);
        match page.next_cursor {
            Some(cursor) => request.after = Some(cursor),
            None => break,
        }
    }
    Ok(output::orders(format, &orders, &customer))
}
