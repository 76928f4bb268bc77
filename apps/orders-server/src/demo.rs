//! `--demo`: an admin, a premium customer and a few products, created through core's use
//! cases as the operator, each only if it is missing, so a restart changes nothing.

use anyhow::Context;
use orders_core::domain::{Role, Tier};
use orders_core::ports::AccessChange;
use orders_core::usecases::{Actor, CreateProductError, CreateUserError, NewProduct, Registration, Service};

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "admin-password";
pub const CUSTOMER_EMAIL: &str = "customer@example.com";
pub const CUSTOMER_PASSWORD: &str = "customer-password";

const PRODUCTS: [(&str, &str, i64, i64); 4] = [
    ("DEMO-MUG", "Enamel mug", 1_250, 40),
    ("DEMO-TEE", "Cotton T-shirt", 1_999, 25),
    ("DEMO-LAMP", "Desk lamp", 4_500, 10),
    ("DEMO-PEN", "Fountain pen", 3_200, 3),
];

/// Creates whatever of the demo data is missing.
pub async fn seed(service: &Service) -> anyhow::Result<()> {
    create_user(
        service,
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
        "Demo Admin",
        AccessChange { tier: None, role: Some(Role::Admin) },
    )
    .await?;
    create_user(
        service,
        CUSTOMER_EMAIL,
        CUSTOMER_PASSWORD,
        "Demo Customer",
        AccessChange { tier: Some(Tier::Premium), role: None },
    )
    .await?;
    for (sku, name, price_cents, stock) in PRODUCTS {
        let product = NewProduct::parse(sku, name, price_cents, stock).map_err(anyhow::Error::msg)?;
        match service.create_product(&Actor::Operator, product).await {
            Ok(_) | Err(CreateProductError::SkuTaken) => {}
            Err(error) => return Err(error).with_context(|| format!("cannot create the demo product {sku}")),
        }
    }
    Ok(())
}

async fn create_user(
    service: &Service,
    email: &str,
    password: &str,
    full_name: &str,
    access: AccessChange,
) -> anyhow::Result<()> {
    let registration = Registration::parse(email, password, Some(full_name)).map_err(anyhow::Error::msg)?;
    match service.create_user(&Actor::Operator, registration, access).await {
        Ok(_) | Err(CreateUserError::EmailTaken) => Ok(()),
        Err(error) => Err(error).with_context(|| format!("cannot create the demo user {email}")),
    }
}

/// What to tell a person who started the server with `--demo`.
pub fn instructions(base_url: &str) -> String {
    format!(
        "Demo data is ready.\n\
         \x20 Swagger UI: {base_url}/docs  (click Authorize, then log in with a username and password below)\n\
         \x20 admin:    {ADMIN_EMAIL} / {ADMIN_PASSWORD}\n\
         \x20 customer: {CUSTOMER_EMAIL} / {CUSTOMER_PASSWORD}  (premium: 10% off)\n\
         \x20 or: curl -d username={CUSTOMER_EMAIL} -d password={CUSTOMER_PASSWORD} {base_url}/v1/auth/token"
    )
}
