//! Placing and cancelling an order on PostgreSQL, one statement each
//! (`postgres/place.sql`, `postgres/cancel.sql`, and `postgres/claim_key.sql` for a
//! refusal's key), with every value bound, each recording its events as
//! [`Event`](orders_core::domain::Event)'s constructors say. In autocommit one statement is one
//! transaction: an order is placed (or found stale) and committed in one round trip,
//! and answered only once committed. A key held by another request in flight is waited
//! for by trying again, for at most [`KEY_WAIT`].

use super::KEY_WAIT;
use super::convert::{self};
use super::entities::idempotency_key;
use super::errors::db_error;
use orders_core::domain::{EventId, Order, OrderContext, Tier, Timestamp};
use orders_core::ports::{BackendError, Claim, KeyClaim, Placement};
use sea_orm::sea_query::Value;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, QueryResult, Statement};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The statements, as the tests check them against the migrated schema.
pub const STATEMENTS: [&str; 3] = [PLACE, CANCEL, CLAIM_KEY];

const PLACE: &str = include_str!("postgres/place.sql");
const CANCEL: &str = include_str!("postgres/cancel.sql");
const CLAIM_KEY: &str = include_str!("postgres/claim_key.sql");

/// How long to wait before trying again for a key another request holds.
const KEY_POLL: Duration = Duration::from_millis(20);

/// Places `order` for a customer of `tier` (see [`OrderStore::place`](orders_core::ports::OrderStore::place)).
pub(super) async fn place(
    db: &impl ConnectionTrait,
    order: &Order,
    tier: Tier,
    claim: Option<&KeyClaim>,
) -> Result<Placement, BackendError> {
    let rows = match until_the_key_is_free(db, || place_statement(order, tier, claim)).await? {
        Some(rows) => rows,
        None => return Ok(Placement::KeyInUse),
    };
    let first = rows.first().ok_or_else(|| BackendError::failed("placing an order answered no row"))?;
    if flag(first, "placed")? {
        return Ok(Placement::Placed);
    }
    if flag(first, "key_used")? {
        let claim = claim.ok_or_else(|| BackendError::failed("a key was used, but none was given"))?;
        return recorded(db, claim.user.as_uuid(), claim.key.as_str()).await.map(Placement::KeyUsed);
    }
    let tier = first.try_get::<Option<String>>("", "tier").map_err(db_error)?;
    let products = rows
        .iter()
        .filter_map(|row| row.try_get::<Option<Uuid>>("", "product_id").transpose().map(|id| (row, id)))
        .map(|(row, id)| {
            let text = |column: &str| row.try_get::<String>("", column).map_err(db_error);
            let number = |column: &str| row.try_get::<i64>("", column).map_err(db_error);
            let id = id.map_err(db_error)?;
            convert::product_state(id, &text("sku")?, &text("name")?, number("price_cents")?, Some(number("stock")?))
        })
        .collect::<Result<_, _>>()?;
    Ok(Placement::Stale(OrderContext { tier: tier.as_deref().map(convert::tier).transpose()?, products }))
}

/// `PLACE` for `order`, with its values bound.
fn place_statement(order: &Order, tier: Tier, claim: Option<&KeyClaim>) -> Statement {
    let lines = &order.lines;
    let values: Vec<Value> = vec![
        lines.iter().map(|l| l.product_id.as_uuid()).collect::<Vec<_>>().into(),
        lines.iter().map(|l| l.quantity.units()).collect::<Vec<_>>().into(),
        lines.iter().map(|l| l.sku.as_str().to_owned()).collect::<Vec<_>>().into(),
        lines.iter().map(|l| l.name.as_str().to_owned()).collect::<Vec<_>>().into(),
        lines.iter().map(|l| l.unit_price.cents()).collect::<Vec<_>>().into(),
        lines.iter().map(|l| l.line_total.cents()).collect::<Vec<_>>().into(),
        order.user_id.as_uuid().into(),
        tier.as_str().into(),
        order.id.as_uuid().into(),
        order.currency.as_str().into(),
        order.totals.subtotal.cents().into(),
        order.totals.discount.cents().into(),
        order.totals.total.cents().into(),
        order.created_at.into(),
        claim.map(|c| c.key.as_str().to_owned()).into(),
        claim.map(|c| c.fingerprint.as_str().to_owned()).into(),
        claim.map(|c| convert::millis(c.at)).into(),
        EventId::generate().as_uuid().into(),
        lines.iter().map(|_| EventId::generate().as_uuid()).collect::<Vec<_>>().into(),
    ];
    Statement::from_sql_and_values(DbBackend::Postgres, PLACE, values)
}

/// Cancels `order` at `at` (see [`OrderStore::cancel`](orders_core::ports::OrderStore::cancel)).
pub(super) async fn cancel(db: &impl ConnectionTrait, order: &Order, at: Timestamp) -> Result<bool, BackendError> {
    let values = [order.id.as_uuid().into(), at.into(), EventId::generate().as_uuid().into()];
    let statement = Statement::from_sql_and_values(DbBackend::Postgres, CANCEL, values);
    let row = db.query_one_raw(statement).await.map_err(db_error)?;
    flag(&row.ok_or_else(|| BackendError::failed("cancelling an order answered no row"))?, "cancelled")
}

/// Remembers `row` under its key unless the key is taken: `Claimed`; else what is
/// recorded under it, or `InUse` while another request holds it past [`KEY_WAIT`].
pub(super) async fn claim_key(db: &impl ConnectionTrait, row: idempotency_key::Model) -> Result<Claim, BackendError> {
    let statement = || {
        let values: [Value; 9] = [
            row.user_id.into(),
            row.key.clone().into(),
            row.fingerprint.clone().into(),
            row.outcome.clone().into(),
            row.order_id.into(),
            row.product_id.into(),
            row.requested.into(),
            row.available.into(),
            row.created_at_ms.into(),
        ];
        Statement::from_sql_and_values(DbBackend::Postgres, CLAIM_KEY, values)
    };
    let Some(rows) = until_the_key_is_free(db, statement).await? else { return Ok(Claim::InUse) };
    let first = rows.first().ok_or_else(|| BackendError::failed("claiming a key answered no row"))?;
    if flag(first, "claimed")? {
        return Ok(Claim::Claimed);
    }
    recorded(db, row.user_id, &row.key).await.map(Claim::Existing)
}

/// Runs the statement `statement` makes until its `key_free` column says it got the
/// key, or [`KEY_WAIT`] passes (`None`).
async fn until_the_key_is_free(
    db: &impl ConnectionTrait,
    statement: impl Fn() -> Statement,
) -> Result<Option<Vec<QueryResult>>, BackendError> {
    let deadline = Instant::now() + KEY_WAIT;
    loop {
        let rows = db.query_all_raw(statement()).await.map_err(db_error)?;
        if rows.first().map(|row| flag(row, "key_free")).transpose()?.unwrap_or(true) {
            return Ok(Some(rows));
        }
        let Some(left) = deadline.checked_duration_since(Instant::now()).filter(|left| !left.is_zero()) else {
            return Ok(None);
        };
        tokio::time::sleep(left.min(KEY_POLL)).await;
    }
}

/// What is recorded under `user`'s `key`, which a statement found taken (and
/// committed, so this later statement sees it).
async fn recorded(
    db: &impl ConnectionTrait,
    user: Uuid,
    key: &str,
) -> Result<orders_core::domain::IdempotencyRecord, BackendError> {
    let row = idempotency_key::Entity::find_by_id((user, key.to_owned())).one(db).await.map_err(db_error)?;
    let row = row.ok_or_else(|| BackendError::failed("an idempotency key was taken but cannot be read"))?;
    convert::idempotency_record(row)
}

fn flag(row: &QueryResult, column: &str) -> Result<bool, BackendError> {
    row.try_get("", column).map_err(db_error)
}
