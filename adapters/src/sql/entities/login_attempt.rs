//! The `login_attempts` table: per (lower-cased) email, the window of counted logins.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub email: String,
    /// When the window began, in milliseconds since the Unix epoch.
    pub window_started_at_ms: i64,
    /// Logins counted since then.
    pub attempts: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
