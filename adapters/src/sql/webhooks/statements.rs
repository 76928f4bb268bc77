//! The statements that change webhook state, built once with sea-query from the
//! entities' columns and run as they are on both databases: on SQLite by the writer
//! ([`super::sqlite`]), on PostgreSQL in a transaction ([`super::postgres`]). Leases
//! and claims pick their rows `FOR UPDATE SKIP LOCKED` (SQLite, where writers take
//! turns, leaves the clause out), so that two workers never take the same row.

use crate::sql::convert::millis;
use crate::sql::entities::{webhook, webhook_retry};
use chrono::{DateTime, Utc};
use orders_core::domain::{
    AttemptResult, DeliveryAttempt, FeedPosition, Timestamp, WebhookId, WebhookStatus, WorkerId,
};
use orders_core::ports::BackendError;
use orders_core::ports::{Lease, PendingRetry};
use sea_orm::sea_query::{
    Expr, ExprTrait, InsertStatement, LockBehavior, LockType, NullOrdering, OnConflict, Order, Query, ReturningClause,
    SelectStatement, UpdateStatement, Value,
};
use sea_orm::{DbBackend, Iterable, Statement};

/// Every column of `webhooks`, for `RETURNING`.
fn webhook_columns() -> ReturningClause {
    Query::returning().columns(webhook::Column::iter())
}

/// Every column of `webhook_retries`, for `RETURNING`.
fn retry_columns() -> ReturningClause {
    Query::returning().columns(webhook_retry::Column::iter())
}

/// The active endpoints whose cursor is before `head` and whose lease is over at `now`,
/// the one leased longest ago first.
pub(super) fn free_endpoints(head: FeedPosition, now: Timestamp) -> SelectStatement {
    use webhook::Column;
    let cursor = Expr::tuple([Expr::col(Column::CursorTxid), Expr::col(Column::CursorSeq)]);
    let head = Expr::tuple([Expr::value(head.group()), Expr::value(head.sequence())]);
    Query::select()
        .column(Column::Id)
        .from(webhook::Entity)
        .and_where(Expr::col(Column::Status).eq(WebhookStatus::Active.as_str()))
        .and_where(Expr::col(Column::LeaseHolder).is_null().or(Expr::col(Column::LeaseUntilMs).lt(millis(now))))
        .and_where(cursor.lt(head))
        .order_by_with_nulls(Column::LeaseUntilMs, Order::Asc, NullOrdering::First)
        .limit(1)
        .to_owned()
}

/// Leases to `lease.holder` the first of [`free_endpoints`]; returns its row.
pub(super) fn lease_fresh(head: FeedPosition, now: Timestamp, lease: Lease) -> UpdateStatement {
    use webhook::Column;
    let free = free_endpoints(head, now).lock_with_behavior(LockType::Update, LockBehavior::SkipLocked).to_owned();
    Query::update()
        .table(webhook::Entity)
        .value(Column::LeaseHolder, lease.holder.as_uuid())
        .value(Column::LeaseUntilMs, millis(lease.until))
        .and_where(Expr::col(Column::Id).in_subquery(free))
        .returning(webhook_columns())
        .to_owned()
}

/// Ends `holder`'s lease of `webhook`, its events delivered through `through`; changes
/// no row if the lease is someone else's now.
pub(super) fn end_lease(webhook: WebhookId, holder: WorkerId, through: FeedPosition) -> UpdateStatement {
    use webhook::Column;
    Query::update()
        .table(webhook::Entity)
        .value(Column::CursorTxid, through.group())
        .value(Column::CursorSeq, through.sequence())
        .value(Column::LeaseHolder, Option::<uuid::Uuid>::None)
        .and_where(Expr::col(Column::Id).eq(webhook.as_uuid()))
        .and_where(Expr::col(Column::LeaseHolder).eq(holder.as_uuid()))
        .to_owned()
}

/// The statement that records a round's attempts on PostgreSQL (SQLite's writer runs
/// a statement built once for each, [`super::sqlite`]).
pub const RECORD_ATTEMPTS: &str = include_str!("../postgres/record_attempts.sql");

/// [`RECORD_ATTEMPTS`] for `attempts`, with their values bound.
pub(super) fn record_attempts(attempts: &[DeliveryAttempt]) -> Statement {
    fn array<T>(attempts: &[DeliveryAttempt], value: impl Fn(&DeliveryAttempt) -> T) -> Value
    where
        Vec<T>: Into<Value>,
    {
        attempts.iter().map(value).collect::<Vec<T>>().into()
    }
    let none_at = DateTime::<Utc>::UNIX_EPOCH;
    let values = vec![
        array(attempts, |a| a.id.as_uuid()),
        array(attempts, |a| a.webhook.as_uuid()),
        array(attempts, |a| a.event_id.as_uuid()),
        array(attempts, |a| a.event_type.as_str().to_owned()),
        array(attempts, |a| a.position.group()),
        array(attempts, |a| a.position.sequence()),
        array(attempts, |a| a.attempted_at),
        array(attempts, |a| a.result.status().map_or(0, i32::from)),
        array(attempts, |a| match &a.result {
            AttemptResult::Failed { error } => error.clone(),
            _ => String::new(),
        }),
        array(attempts, |a| i64::try_from(a.latency.as_millis()).unwrap_or(i64::MAX)),
        array(attempts, |a| a.next_retry_at.unwrap_or(none_at)),
    ];
    Statement::from_sql_and_values(DbBackend::Postgres, RECORD_ATTEMPTS, values)
}

/// Adds `retries`, unless one of the same event and endpoint is pending,
/// `per_statement` rows per statement (SQLite's writer takes one row a statement, so
/// that the statement's text, and its preparation, is always the same).
pub(super) fn insert_retries(
    retries: &[PendingRetry],
    per_statement: usize,
) -> Result<Vec<InsertStatement>, BackendError> {
    retries.chunks(per_statement.max(1)).map(insert_retry_rows).collect()
}

fn insert_retry_rows(retries: &[PendingRetry]) -> Result<InsertStatement, BackendError> {
    use webhook_retry::Column;
    let mut insert = Query::insert();
    insert.into_table(webhook_retry::Entity).columns(Column::iter());
    for retry in retries {
        let values: [Value; 10] = [
            retry.webhook.as_uuid().into(),
            retry.position.sequence().into(),
            retry.position.group().into(),
            retry.event_id.as_uuid().into(),
            i32::try_from(retry.failures).unwrap_or(i32::MAX).into(),
            millis(retry.first_attempt_at).into(),
            millis(retry.due_at).into(),
            false.into(),
            Option::<uuid::Uuid>::None.into(),
            Option::<i64>::None.into(),
        ];
        insert.values(values.map(Into::into)).map_err(BackendError::failed)?;
    }
    insert.on_conflict(OnConflict::columns([Column::WebhookId, Column::EventSeq]).do_nothing().to_owned());
    Ok(insert)
}

/// Has the event at `position` sent to `webhook` again from `at`: a pending retry
/// becomes due then; otherwise a retry of one attempt (`manual`) is added.
pub(super) fn schedule_retry(
    webhook: WebhookId,
    position: FeedPosition,
    event_id: uuid::Uuid,
    at: Timestamp,
) -> Result<InsertStatement, BackendError> {
    use webhook_retry::Column;
    let values: [Value; 10] = [
        webhook.as_uuid().into(),
        position.sequence().into(),
        position.group().into(),
        event_id.into(),
        0_i32.into(),
        millis(at).into(),
        millis(at).into(),
        true.into(),
        Option::<uuid::Uuid>::None.into(),
        Option::<i64>::None.into(),
    ];
    Ok(Query::insert()
        .into_table(webhook_retry::Entity)
        .columns(Column::iter())
        .values(values.map(Into::into))
        .map_err(BackendError::failed)?
        .on_conflict(
            OnConflict::columns([Column::WebhookId, Column::EventSeq]).update_column(Column::DueAtMs).to_owned(),
        )
        .to_owned())
}

/// Up to `fetch` retries due at `now`, not claimed by anyone now, of active endpoints or
/// asked for by an admin, the earliest due first.
pub(super) fn due_retries(now: Timestamp, fetch: u32) -> SelectStatement {
    use webhook_retry::Column;
    let active = Query::select()
        .column(webhook::Column::Id)
        .from(webhook::Entity)
        .and_where(Expr::col(webhook::Column::Status).eq(WebhookStatus::Active.as_str()))
        .to_owned();
    Query::select()
        .columns([Column::WebhookId, Column::EventSeq])
        .from(webhook_retry::Entity)
        .and_where(Expr::col(Column::DueAtMs).lte(millis(now)))
        .and_where(Expr::col(Column::LeaseHolder).is_null().or(Expr::col(Column::LeaseUntilMs).lt(millis(now))))
        .and_where(Expr::col(Column::Manual).eq(true).or(Expr::col(Column::WebhookId).in_subquery(active)))
        .order_by(Column::DueAtMs, Order::Asc)
        .limit(u64::from(fetch))
        .to_owned()
}

/// Claims for `lease` the [`due_retries`]; returns their rows.
pub(super) fn claim_retries(now: Timestamp, lease: Lease, fetch: u32) -> UpdateStatement {
    use webhook_retry::Column;
    let due = due_retries(now, fetch).lock_with_behavior(LockType::Update, LockBehavior::SkipLocked).to_owned();
    Query::update()
        .table(webhook_retry::Entity)
        .value(Column::LeaseHolder, lease.holder.as_uuid())
        .value(Column::LeaseUntilMs, millis(lease.until))
        .and_where(Expr::tuple([Expr::col(Column::WebhookId), Expr::col(Column::EventSeq)]).in_subquery(due))
        .returning(retry_columns())
        .to_owned()
}

/// The retry of `webhook` at `position`, if `holder` holds it.
fn held_retry(update: &mut UpdateStatement, webhook: WebhookId, position: FeedPosition, holder: WorkerId) {
    use webhook_retry::Column;
    update
        .and_where(Expr::col(Column::WebhookId).eq(webhook.as_uuid()))
        .and_where(Expr::col(Column::EventSeq).eq(position.sequence()))
        .and_where(Expr::col(Column::LeaseHolder).eq(holder.as_uuid()));
}

/// Removes the retry of `webhook` at `position`, if `holder` holds it.
pub(super) fn drop_retry(
    webhook: WebhookId,
    position: FeedPosition,
    holder: WorkerId,
) -> sea_orm::sea_query::DeleteStatement {
    use webhook_retry::Column;
    Query::delete()
        .from_table(webhook_retry::Entity)
        .and_where(Expr::col(Column::WebhookId).eq(webhook.as_uuid()))
        .and_where(Expr::col(Column::EventSeq).eq(position.sequence()))
        .and_where(Expr::col(Column::LeaseHolder).eq(holder.as_uuid()))
        .to_owned()
}

/// Has the retry of `webhook` at `position`, if `holder` holds it, tried again at `at`,
/// one failure more, released.
pub(super) fn reschedule(
    webhook: WebhookId,
    position: FeedPosition,
    holder: WorkerId,
    at: Timestamp,
) -> UpdateStatement {
    use webhook_retry::Column;
    let mut update = Query::update()
        .table(webhook_retry::Entity)
        .value(Column::Failures, Expr::col(Column::Failures).add(1))
        .value(Column::DueAtMs, millis(at))
        .value(Column::LeaseHolder, Option::<uuid::Uuid>::None)
        .to_owned();
    held_retry(&mut update, webhook, position, holder);
    update
}

/// Sets `webhook`'s status.
pub(super) fn set_status(webhook: WebhookId, status: WebhookStatus) -> UpdateStatement {
    use webhook::Column;
    Query::update()
        .table(webhook::Entity)
        .value(Column::Status, status.as_str())
        .and_where(Expr::col(Column::Id).eq(webhook.as_uuid()))
        .and_where(Expr::col(Column::Status).ne(status.as_str()))
        .to_owned()
}
