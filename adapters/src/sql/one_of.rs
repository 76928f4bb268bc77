//! "`column` is one of these values", written so that PostgreSQL prepares it once.

use sea_orm::sea_query::{Expr, ExprTrait, PgFunc, SimpleExpr, Value};
use sea_orm::{ColumnTrait, DbBackend};

/// `column` is one of `values`. On PostgreSQL `= ANY($1)` with the values as one array:
/// one statement text whatever their number, so one prepared statement on a direct
/// connection where `IN ($1, …, $n)` made one per length. Elsewhere `IN (...)`.
pub(super) fn one_of<V>(backend: DbBackend, column: impl ColumnTrait, values: Vec<V>) -> SimpleExpr
where
    V: Into<Value>,
    Vec<V>: Into<Value>,
{
    match backend {
        DbBackend::Postgres => Expr::col((column.entity_name(), column)).eq(PgFunc::any(Expr::val(values))),
        _ => column.is_in(values),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::entities::{event, order};
    use sea_orm::{EntityTrait, QueryFilter, QueryTrait};
    use uuid::Uuid;

    #[test]
    fn on_postgres_values_are_one_array_parameter_whatever_their_number() {
        for count in [1, 3, 200] {
            let ids = (0..count).map(|_| Uuid::now_v7()).collect();
            let built = order::Entity::find()
                .filter(one_of(DbBackend::Postgres, order::Column::Id, ids))
                .build(DbBackend::Postgres);
            assert!(built.sql.ends_with(r#"WHERE "orders"."id" = ANY($1)"#), "{}", built.sql);
            assert_eq!(built.values.map(|values| values.0.len()), Some(1));
        }
        let numbers = event::Entity::find()
            .filter(one_of(DbBackend::Postgres, event::Column::Seq, vec![1_i64, 2, 3]))
            .build(DbBackend::Postgres);
        assert!(numbers.sql.ends_with(r#"WHERE "events"."seq" = ANY($1)"#), "{}", numbers.sql);
        let listed = order::Entity::find()
            .filter(one_of(DbBackend::Sqlite, order::Column::Id, vec![Uuid::now_v7(), Uuid::now_v7()]))
            .build(DbBackend::Sqlite);
        assert!(listed.sql.ends_with(r#"WHERE "orders"."id" IN (?, ?)"#), "{}", listed.sql);
    }
}
