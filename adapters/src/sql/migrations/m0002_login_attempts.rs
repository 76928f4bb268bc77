//! Login attempts counted per email in one row, so that counting and checking the
//! limit are one atomic upsert; replaces `login_failures`, a row per failure, which
//! could only be counted, then written.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LoginAttempts {
    Table,
    Email,
    WindowStartedAtMs,
    Attempts,
}

#[derive(DeriveIden)]
enum LoginFailures {
    Table,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LoginAttempts::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(LoginAttempts::Email).string().not_null().primary_key())
                    .col(ColumnDef::new(LoginAttempts::WindowStartedAtMs).big_integer().not_null())
                    .col(
                        ColumnDef::new(LoginAttempts::Attempts)
                            .integer()
                            .not_null()
                            .check(Expr::col(LoginAttempts::Attempts).gte(0)),
                    )
                    .to_owned(),
            )
            .await?;
        manager.drop_table(Table::drop().table(LoginFailures::Table).if_exists().to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(LoginAttempts::Table).if_exists().to_owned()).await
    }
}
