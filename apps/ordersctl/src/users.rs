//! `ordersctl users`: the operator creates users (the first admin among them) and
//! changes their tier.

use crate::cli::{CreateUser, SetTier, UsersCommand};
use crate::database::Database;
use crate::error::{self, Failure};
use crate::output::{self, Format};
use orders_core::domain::{Email, Role, Tier};
use orders_core::ports::AccessChange;
use orders_core::usecases::{Actor, Registration};

pub async fn run(command: UsersCommand, database: &Database, format: Format) -> Result<String, Failure> {
    match command {
        UsersCommand::Create(args) => create(args, database, format).await,
        UsersCommand::SetTier(args) => set_tier(args, database, format).await,
    }
}

async fn create(args: CreateUser, database: &Database, format: Format) -> Result<String, Failure> {
    let registration = Registration::parse(&args.email, &args.password, None)
        .map_err(|violations| error::violations(&violations, |field| format!("--{field}")))?;
    let access = AccessChange { tier: args.premium.then_some(Tier::Premium), role: args.admin.then_some(Role::Admin) };
    let email = registration.email.clone();
    let service = database.service().await?;
    let user =
        service.create_user(&Actor::Operator, registration, access).await.map_err(|e| error::create_user(e, &email))?;
    Ok(output::user(format, "Created user", &user))
}

async fn set_tier(args: SetTier, database: &Database, format: Format) -> Result<String, Failure> {
    let email = Email::parse(&args.email).map_err(|invalid| error::invalid("--email", invalid))?;
    let tier = Tier::parse(&args.tier).map_err(|invalid| error::invalid("--tier", invalid))?;
    let service = database.service().await?;
    let user = service.find_user(&Actor::Operator, &email).await.map_err(|e| error::find_user(e, &email))?;
    let change = AccessChange { tier: Some(tier), role: None };
    let user =
        service.update_user(&Actor::Operator, user.id, change).await.map_err(|e| error::update_user(e, &email))?;
    Ok(output::user(format, "Updated user", &user))
}
