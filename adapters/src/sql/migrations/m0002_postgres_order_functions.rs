//! PostgreSQL's functions that place and cancel an order in one statement
//! (`postgres_orders.sql`). SQLite has no such functions: its store runs the same checks
//! as statements on its one writer.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The functions' definitions. The tests check every column they name against the
/// migrated schema.
pub const POSTGRES_ORDERS_SQL: &str = include_str!("postgres_orders.sql");

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        manager.get_connection().execute_unprepared(POSTGRES_ORDERS_SQL).await.map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        let drop = "DROP FUNCTION IF EXISTS orders_place, orders_cancel, orders_claim_key";
        manager.get_connection().execute_unprepared(drop).await.map(|_| ())
    }
}
