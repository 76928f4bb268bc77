//! The outbox and webhooks: `events`, written in the same transaction as each change;
//! `webhooks`, the endpoints with the feed position each was delivered up to and who
//! holds its lease; `webhook_retries`, deliveries to try again; `webhook_deliveries`,
//! every attempt.
//!
//! An event's feed position is `(txid, seq)`. On PostgreSQL `txid` is the writing
//! transaction's id (`pg_current_xact_id()`, by default), so that a reader can stop
//! before the oldest transaction still running and never skip an event that commits
//! after a later one (docs/adr/0009); on SQLite writers take turns, so `txid` is 0 and
//! `seq` alone is commit order (`AUTOINCREMENT`, so that no number is used twice, even
//! once every event is purged). Times compared in SQL are kept in milliseconds, so that
//! comparisons are numeric on both databases.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Events {
    Table,
    Seq,
    Txid,
    Id,
    EventType,
    OccurredAt,
    OrderId,
    ProductId,
    ProductSku,
    ProductName,
    ProductPriceCents,
    ProductStock,
    ProductCreatedAt,
    ProductUpdatedAt,
}

#[derive(DeriveIden)]
enum Webhooks {
    Table,
    Id,
    Url,
    Events,
    Secret,
    Status,
    CreatedAt,
    CursorTxid,
    CursorSeq,
    LeaseHolder,
    LeaseUntilMs,
}

#[derive(DeriveIden)]
enum WebhookRetries {
    Table,
    WebhookId,
    EventSeq,
    EventTxid,
    EventId,
    Failures,
    FirstAttemptAtMs,
    DueAtMs,
    Manual,
    LeaseHolder,
    LeaseUntilMs,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    WebhookId,
    EventId,
    EventType,
    EventTxid,
    EventSeq,
    AttemptedAt,
    StatusCode,
    Error,
    LatencyMs,
    NextRetryAt,
}

fn uuid(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).uuid().not_null().take()
}

fn text(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).string().not_null().take()
}

fn bigint(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().take()
}

fn timestamp(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).timestamp_with_time_zone().not_null().take()
}

/// The id of the transaction writing the row, on PostgreSQL; 0 on SQLite.
fn writing_transaction(backend: DbBackend) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => Expr::cust("(pg_current_xact_id()::text)::bigint"),
        _ => Expr::val(0),
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Events::Seq).big_integer().not_null().auto_increment().primary_key())
                    .col(bigint(Events::Txid).default(writing_transaction(backend)))
                    .col(uuid(Events::Id))
                    .col(text(Events::EventType))
                    .col(timestamp(Events::OccurredAt))
                    .col(ColumnDef::new(Events::OrderId).uuid())
                    .col(ColumnDef::new(Events::ProductId).uuid())
                    .col(ColumnDef::new(Events::ProductSku).string())
                    .col(ColumnDef::new(Events::ProductName).string())
                    .col(ColumnDef::new(Events::ProductPriceCents).big_integer())
                    .col(ColumnDef::new(Events::ProductStock).big_integer())
                    .col(ColumnDef::new(Events::ProductCreatedAt).timestamp_with_time_zone())
                    .col(ColumnDef::new(Events::ProductUpdatedAt).timestamp_with_time_zone())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("events_in_feed_order")
                    .table(Events::Table)
                    .col(Events::Txid)
                    .col(Events::Seq)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Webhooks::Table)
                    .if_not_exists()
                    .col(uuid(Webhooks::Id).primary_key())
                    .col(text(Webhooks::Url))
                    .col(text(Webhooks::Events))
                    .col(text(Webhooks::Secret))
                    .col(text(Webhooks::Status).check(Expr::col(Webhooks::Status).is_in(["active", "failing"])))
                    .col(timestamp(Webhooks::CreatedAt))
                    .col(bigint(Webhooks::CursorTxid))
                    .col(bigint(Webhooks::CursorSeq))
                    .col(ColumnDef::new(Webhooks::LeaseHolder).uuid())
                    .col(ColumnDef::new(Webhooks::LeaseUntilMs).big_integer())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookRetries::Table)
                    .if_not_exists()
                    .col(uuid(WebhookRetries::WebhookId))
                    .col(bigint(WebhookRetries::EventSeq))
                    .col(bigint(WebhookRetries::EventTxid))
                    .col(uuid(WebhookRetries::EventId))
                    .col(ColumnDef::new(WebhookRetries::Failures).integer().not_null())
                    .col(bigint(WebhookRetries::FirstAttemptAtMs))
                    .col(bigint(WebhookRetries::DueAtMs))
                    .col(ColumnDef::new(WebhookRetries::Manual).boolean().not_null())
                    .col(ColumnDef::new(WebhookRetries::LeaseHolder).uuid())
                    .col(ColumnDef::new(WebhookRetries::LeaseUntilMs).big_integer())
                    .primary_key(Index::create().col(WebhookRetries::WebhookId).col(WebhookRetries::EventSeq))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookRetries::Table, WebhookRetries::WebhookId)
                            .to(Webhooks::Table, Webhooks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_retries_by_due_time")
                    .table(WebhookRetries::Table)
                    .col(WebhookRetries::DueAtMs)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .if_not_exists()
                    .col(uuid(WebhookDeliveries::Id).primary_key())
                    .col(uuid(WebhookDeliveries::WebhookId))
                    .col(uuid(WebhookDeliveries::EventId))
                    .col(text(WebhookDeliveries::EventType))
                    .col(bigint(WebhookDeliveries::EventTxid))
                    .col(bigint(WebhookDeliveries::EventSeq))
                    .col(timestamp(WebhookDeliveries::AttemptedAt))
                    .col(ColumnDef::new(WebhookDeliveries::StatusCode).integer())
                    .col(ColumnDef::new(WebhookDeliveries::Error).string())
                    .col(bigint(WebhookDeliveries::LatencyMs))
                    .col(ColumnDef::new(WebhookDeliveries::NextRetryAt).timestamp_with_time_zone())
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookDeliveries::Table, WebhookDeliveries::WebhookId)
                            .to(Webhooks::Table, Webhooks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_deliveries_newest_first")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::WebhookId)
                    .col(WebhookDeliveries::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookDeliveries::Table.into_iden(),
            WebhookRetries::Table.into_iden(),
            Webhooks::Table.into_iden(),
            Events::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
