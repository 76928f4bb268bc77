//! [`UserStore`] on SQL.

use super::SqlStore;
use super::convert;
use super::entities::user;
use super::errors::{db_error, is_unique_violation};
use async_trait::async_trait;
use orders_core::domain::{Email, PasswordHash, User, UserId};
use orders_core::ports::{AccessChange, BackendError, InsertUserError, UserStore};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

#[async_trait]
impl UserStore for SqlStore {
    #[tracing::instrument(level = "debug", name = "UserStore::insert", skip_all)]
    async fn insert(&self, user: &User) -> Result<(), InsertUserError> {
        let _turn = self.write_turn().await?;
        user::Entity::insert(convert::user_row(user)).exec_without_returning(&self.db).await.map_err(|error| {
            if is_unique_violation(&error) {
                InsertUserError::EmailTaken
            } else {
                InsertUserError::Backend(db_error(error))
            }
        })?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", name = "UserStore::by_id", skip_all)]
    async fn by_id(&self, id: UserId) -> Result<Option<User>, BackendError> {
        user::Entity::find_by_id(id.as_uuid()).one(&self.db).await.map_err(db_error)?.map(convert::user).transpose()
    }

    #[tracing::instrument(level = "debug", name = "UserStore::by_email", skip_all)]
    async fn by_email(&self, email: &Email) -> Result<Option<User>, BackendError> {
        user::Entity::find()
            .filter(user::Column::Email.eq(email.as_str()))
            .one(&self.db)
            .await
            .map_err(db_error)?
            .map(convert::user)
            .transpose()
    }

    #[tracing::instrument(level = "debug", name = "UserStore::change_access", skip_all)]
    async fn change_access(&self, id: UserId, change: AccessChange) -> Result<Option<User>, BackendError> {
        let _turn = self.write_turn().await?;
        if change == AccessChange::default() {
            return self.by_id(id).await;
        }
        let mut update = user::Entity::update_many().filter(user::Column::Id.eq(id.as_uuid()));
        if let Some(tier) = change.tier {
            update = update.col_expr(user::Column::Tier, Expr::value(tier.as_str()));
        }
        if let Some(role) = change.role {
            update = update.col_expr(user::Column::Role, Expr::value(role.as_str()));
        }
        let updated = update.exec_with_returning(&self.db).await.map_err(db_error)?;
        self.terms.forget_customer(id);
        updated.into_iter().next().map(convert::user).transpose()
    }

    #[tracing::instrument(level = "debug", name = "UserStore::replace_password_hash", skip_all)]
    async fn replace_password_hash(
        &self,
        id: UserId,
        old: &PasswordHash,
        new: &PasswordHash,
    ) -> Result<(), BackendError> {
        let _turn = self.write_turn().await?;
        user::Entity::update_many()
            .col_expr(user::Column::PasswordHash, Expr::value(new.as_str()))
            .filter(user::Column::Id.eq(id.as_uuid()))
            .filter(user::Column::PasswordHash.eq(old.as_str()))
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
