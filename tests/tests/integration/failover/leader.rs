//! The failover test's checks on the leader once the clients have stopped: nothing
//! acknowledged lost, nothing placed twice for a key, stock conserved.

use super::STOCK;
use super::load::Answer;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use std::collections::{HashMap, HashSet};

/// On the leader: every acknowledged order with its lines, no order that was not
/// acknowledged (every request was retried until answered, so an order without an
/// acknowledgement would be a second one for its key), every key naming its order, and
/// the stock taken equal to the units ordered.
pub(super) async fn check_on_the_leader(leader: &DatabaseConnection, answers: &[Answer], products: &[String]) {
    let acknowledged: HashMap<&str, &Answer> = answers
        .iter()
        .filter(|a| a.status == 201)
        .map(|a| (a.body.as_ref().and_then(|b| b["id"].as_str()).expect("a 201 names its order"), a))
        .collect();
    let keys: HashSet<(usize, &str)> = answers.iter().map(|a| (a.client, a.key.as_str())).collect();
    assert_eq!(acknowledged.len(), keys.len(), "every key got one order, acknowledged once or replayed");

    let rows = query(
        leader,
        "SELECT order_id::text, product_id::text, quantity::int8 FROM order_lines ORDER BY order_id, line_no",
    )
    .await;
    let mut stored: HashMap<String, Vec<(String, i64)>> = HashMap::new();
    for row in &rows {
        let order: String = row.try_get_by_index(0).unwrap();
        stored.entry(order).or_default().push((row.try_get_by_index(1).unwrap(), row.try_get_by_index(2).unwrap()));
    }
    let orders: HashSet<String> = query(leader, "SELECT id::text FROM orders WHERE status = 'placed'")
        .await
        .iter()
        .map(|r| r.try_get_by_index(0).unwrap())
        .collect();
    for (id, answer) in &acknowledged {
        assert!(orders.contains(*id), "acknowledged order {id} (key {}) is on the leader", answer.key);
        assert_eq!(stored.get(*id), Some(&answer.lines), "order {id} has the lines asked for");
    }
    let unacknowledged: Vec<_> = orders.iter().filter(|id| !acknowledged.contains_key(id.as_str())).collect();
    assert!(unacknowledged.is_empty(), "orders no client was answered: {unacknowledged:?}");
    let placed_keys = query(leader, "SELECT key, order_id::text FROM idempotency_keys WHERE outcome = 'placed'").await;
    assert_eq!(placed_keys.len(), acknowledged.len(), "one key per order");
    for row in &placed_keys {
        let (key, order): (String, String) = (row.try_get_by_index(0).unwrap(), row.try_get_by_index(1).unwrap());
        assert_eq!(acknowledged.get(order.as_str()).map(|a| a.key.as_str()), Some(key.as_str()), "key {key}");
    }

    let stock: HashMap<String, i64> = query(leader, "SELECT id::text, stock::int8 FROM products")
        .await
        .iter()
        .map(|r| (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap()))
        .collect();
    let mut units = 0;
    for product in products {
        let ordered: i64 = stored.values().flatten().filter(|(id, _)| id == product).map(|(_, q)| q).sum();
        assert_eq!(STOCK, stock[product] + ordered, "stock of {product} is conserved");
        units += ordered;
    }
    println!(
        "on the leader: {} orders, every acknowledged one with its lines, {} keys, {units} units taken = ordered",
        orders.len(),
        placed_keys.len()
    );
}

async fn query(db: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    db.query_all_raw(Statement::from_string(DbBackend::Postgres, sql)).await.expect("the leader answers")
}
