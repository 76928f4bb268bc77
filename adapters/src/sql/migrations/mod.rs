//! The schema's migrations, applied in order by [`Migrator`]. A migration once released
//! is never edited: changes come as new migrations.

mod m0001_orders_schema;
mod m0002_login_attempts;
mod m0003_events;
mod m0004_sqlite_events_by_rowid;

use sea_orm_migration::{MigrationTrait, MigratorTrait};

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_orders_schema::Migration),
            Box::new(m0002_login_attempts::Migration),
            Box::new(m0003_events::Migration),
            Box::new(m0004_sqlite_events_by_rowid::Migration),
        ]
    }
}
