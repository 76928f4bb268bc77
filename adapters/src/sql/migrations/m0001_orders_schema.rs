//! The first schema: users, products, orders and their lines, idempotency keys and
//! failed logins. Constraints back the rules the store must never break: unique
//! emails and skus, stock and prices never negative.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    PasswordHash,
    FullName,
    Tier,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    Sku,
    Name,
    PriceCents,
    Stock,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    UserId,
    Status,
    Currency,
    SubtotalCents,
    DiscountCents,
    TotalCents,
    CreatedAt,
    CancelledAt,
}

#[derive(DeriveIden)]
enum OrderLines {
    Table,
    OrderId,
    LineNo,
    ProductId,
    Sku,
    Name,
    Quantity,
    UnitPriceCents,
    LineTotalCents,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    UserId,
    Key,
    Fingerprint,
    Outcome,
    OrderId,
    ProductId,
    Requested,
    Available,
    CreatedAtMs,
}

#[derive(DeriveIden)]
enum LoginFailures {
    Table,
    Id,
    Email,
    FailedAtMs,
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(uuid(Users::Id).primary_key())
                    .col(text(Users::Email).unique_key())
                    .col(text(Users::PasswordHash))
                    .col(ColumnDef::new(Users::FullName).string())
                    .col(text(Users::Tier).check(Expr::col(Users::Tier).is_in(["standard", "premium"])))
                    .col(text(Users::Role).check(Expr::col(Users::Role).is_in(["customer", "admin"])))
                    .col(timestamp(Users::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .if_not_exists()
                    .col(uuid(Products::Id).primary_key())
                    .col(text(Products::Sku).unique_key())
                    .col(text(Products::Name))
                    .col(bigint(Products::PriceCents).check(Expr::col(Products::PriceCents).gte(0)))
                    .col(bigint(Products::Stock).check(Expr::col(Products::Stock).gte(0)))
                    .col(timestamp(Products::CreatedAt))
                    .col(timestamp(Products::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .if_not_exists()
                    .col(uuid(Orders::Id).primary_key())
                    .col(uuid(Orders::UserId))
                    .col(text(Orders::Status).check(Expr::col(Orders::Status).is_in(["placed", "cancelled"])))
                    .col(text(Orders::Currency))
                    .col(bigint(Orders::SubtotalCents))
                    .col(bigint(Orders::DiscountCents))
                    .col(bigint(Orders::TotalCents))
                    .col(timestamp(Orders::CreatedAt))
                    .col(ColumnDef::new(Orders::CancelledAt).timestamp_with_time_zone())
                    .foreign_key(ForeignKey::create().from(Orders::Table, Orders::UserId).to(Users::Table, Users::Id))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("orders_by_user_newest_first")
                    .table(Orders::Table)
                    .col(Orders::UserId)
                    .col(Orders::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OrderLines::Table)
                    .if_not_exists()
                    .col(uuid(OrderLines::OrderId))
                    .col(ColumnDef::new(OrderLines::LineNo).integer().not_null())
                    .col(uuid(OrderLines::ProductId))
                    .col(text(OrderLines::Sku))
                    .col(text(OrderLines::Name))
                    .col(bigint(OrderLines::Quantity).check(Expr::col(OrderLines::Quantity).gt(0)))
                    .col(bigint(OrderLines::UnitPriceCents))
                    .col(bigint(OrderLines::LineTotalCents))
                    .primary_key(Index::create().col(OrderLines::OrderId).col(OrderLines::LineNo))
                    .foreign_key(
                        ForeignKey::create().from(OrderLines::Table, OrderLines::OrderId).to(Orders::Table, Orders::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrderLines::Table, OrderLines::ProductId)
                            .to(Products::Table, Products::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .if_not_exists()
                    .col(uuid(IdempotencyKeys::UserId))
                    .col(text(IdempotencyKeys::Key))
                    .col(text(IdempotencyKeys::Fingerprint))
                    .col(text(IdempotencyKeys::Outcome))
                    .col(ColumnDef::new(IdempotencyKeys::OrderId).uuid())
                    .col(ColumnDef::new(IdempotencyKeys::ProductId).uuid())
                    .col(ColumnDef::new(IdempotencyKeys::Requested).big_integer())
                    .col(ColumnDef::new(IdempotencyKeys::Available).big_integer())
                    .col(bigint(IdempotencyKeys::CreatedAtMs))
                    .primary_key(Index::create().col(IdempotencyKeys::UserId).col(IdempotencyKeys::Key))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idempotency_keys_by_age")
                    .table(IdempotencyKeys::Table)
                    .col(IdempotencyKeys::CreatedAtMs)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LoginFailures::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(LoginFailures::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(text(LoginFailures::Email))
                    .col(bigint(LoginFailures::FailedAtMs))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("login_failures_by_email")
                    .table(LoginFailures::Table)
                    .col(LoginFailures::Email)
                    .col(LoginFailures::FailedAtMs)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LoginFailures::Table.into_iden(),
            IdempotencyKeys::Table.into_iden(),
            OrderLines::Table.into_iden(),
            Orders::Table.into_iden(),
            Products::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
