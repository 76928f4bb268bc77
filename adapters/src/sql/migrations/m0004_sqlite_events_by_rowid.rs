//! SQLite only: `events` numbered by its row id alone. On SQLite `txid` is always 0 and
//! `seq` alone is commit order, so the index on `(txid, seq)` that m0003 made (for
//! PostgreSQL, where `txid` orders the feed) was one more b-tree to write for every
//! event, and `AUTOINCREMENT` one more table (`sqlite_sequence`) to update: together
//! about a tenth of the SQLite writer's time per order. The table is rebuilt with
//! `seq INTEGER PRIMARY KEY` (the row id, numbered one past the highest row) and no
//! other index; the feed reads it by `seq`, and a purge always keeps the newest event,
//! so that no number is ever given twice. PostgreSQL is left as it is.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
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

/// The table the rows move to, then renamed `events`.
#[derive(DeriveIden)]
enum EventsByRowid {
    Table,
}

#[derive(DeriveIden)]
enum SqliteSequence {
    Table,
    Name,
}

/// Every column but `seq`, in the table's order.
const COLUMNS: [Events; 12] = [
    Events::Txid,
    Events::Id,
    Events::EventType,
    Events::OccurredAt,
    Events::OrderId,
    Events::ProductId,
    Events::ProductSku,
    Events::ProductName,
    Events::ProductPriceCents,
    Events::ProductStock,
    Events::ProductCreatedAt,
    Events::ProductUpdatedAt,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        let not_null = |name: Events| ColumnDef::new(name).not_null().take();
        manager
            .create_table(
                Table::create()
                    .table(EventsByRowid::Table)
                    .col(ColumnDef::new(Events::Seq).integer().not_null().primary_key())
                    .col(not_null(Events::Txid).big_integer().default(0))
                    .col(not_null(Events::Id).uuid())
                    .col(not_null(Events::EventType).string())
                    .col(not_null(Events::OccurredAt).timestamp_with_time_zone())
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
        let all = std::iter::once(Events::Seq).chain(COLUMNS);
        let rows = Query::select().columns(all.clone()).from(Events::Table).to_owned();
        let mut copy = Query::insert();
        copy.into_table(EventsByRowid::Table)
            .columns(all)
            .select_from(rows)
            .map_err(|e| DbErr::Migration(format!("cannot copy the events: {e}")))?;
        manager.exec_stmt(copy).await?;
        manager.drop_table(Table::drop().table(Events::Table).to_owned()).await?;
        manager.rename_table(Table::rename().table(EventsByRowid::Table, Events::Table).to_owned()).await?;
        let numbered = Query::delete()
            .from_table(SqliteSequence::Table)
            .and_where(Expr::col(SqliteSequence::Name).eq("events"))
            .to_owned();
        manager.exec_stmt(numbered).await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::Migrator;
    use sea_orm_migration::MigratorTrait;
    use sea_orm_migration::sea_orm::{ConnectionTrait, Database, DbBackend, Statement};

    #[tokio::test]
    async fn events_keep_their_numbers_and_lose_autoincrement_and_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::sql::sqlite_test_url(&dir.path().join("old.db"));
        let db = Database::connect(&url).await.unwrap();
        Migrator::up(&db, Some(3)).await.unwrap();
        let sql = |text: &str| Statement::from_string(DbBackend::Sqlite, text.to_owned());
        let insert = "INSERT INTO events (id, event_type, occurred_at) VALUES (x'01', 'product.created', '2026-12-06T00:00:00+00:00')";
        for _ in 0..3 {
            db.execute_raw(sql(insert)).await.unwrap();
        }
        db.execute_raw(sql("DELETE FROM events WHERE seq = 3")).await.unwrap();

        Migrator::up(&db, None).await.unwrap();
        let count = |text: &'static str| {
            let db = &db;
            async move { db.query_one_raw(sql(text)).await.unwrap().unwrap().try_get_by_index::<i64>(0).unwrap() }
        };
        assert_eq!(count("SELECT count(*) FROM events WHERE seq IN (1, 2)").await, 2, "the rows keep their numbers");
        let schema = "SELECT count(*) FROM sqlite_master WHERE tbl_name = 'events' AND (type = 'index' OR sql LIKE '%AUTOINCREMENT%')";
        assert_eq!(count(schema).await, 0, "no index and no AUTOINCREMENT");
        db.execute_raw(sql(insert)).await.unwrap();
        assert_eq!(count("SELECT max(seq) FROM events").await, 3, "numbered one past the highest");
    }
}
