//! Fixtures for the use-case tests: a [`MockPorts`] bundle whose mocks refuse any call
//! not expected, a fixed clock, and sample users, products and orders.

use super::{Ports, Service, Settings};
use crate::domain::{
    Currency, Email, Order, OrderId, OrderItems, OrderLine, OrderStatus, PasswordHash, Price, Product, ProductId,
    ProductName, Quantity, Role, Sku, Stock, Tier, Timestamp, User, UserId, pricing,
};
use crate::ports::*;
use chrono::TimeZone;
use std::sync::Arc;

pub fn fixed_now() -> Timestamp {
    chrono::Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

/// One mock per port; set expectations on the fields, then call [`MockPorts::service`].
pub struct MockPorts {
    pub users: MockUserStore,
    pub products: MockProductStore,
    pub orders: MockOrderStore,
    pub idempotency: MockIdempotencyStore,
    pub login_attempts: MockLoginAttempts,
    pub events: MockEventFeed,
    pub webhooks: MockWebhookStore,
    pub webhook_sender: MockWebhookSender,
    pub passwords: MockPasswordHasher,
    pub tokens: MockTokenIssuer,
}

impl MockPorts {
    pub fn new() -> Self {
        Self {
            users: MockUserStore::new(),
            products: MockProductStore::new(),
            orders: MockOrderStore::new(),
            idempotency: MockIdempotencyStore::new(),
            login_attempts: MockLoginAttempts::new(),
            events: MockEventFeed::new(),
            webhooks: MockWebhookStore::new(),
            webhook_sender: MockWebhookSender::new(),
            passwords: MockPasswordHasher::new(),
            tokens: MockTokenIssuer::new(),
        }
    }

    pub fn service(self) -> Service {
        let mut clock = MockClock::new();
        clock.expect_now().returning(fixed_now);
        let products = Arc::new(self.products);
        let ports = Ports {
            users: Arc::new(self.users),
            catalogue: products.clone(),
            products,
            orders: Arc::new(self.orders),
            idempotency: Arc::new(self.idempotency),
            login_attempts: Arc::new(self.login_attempts),
            events: Arc::new(self.events),
            webhooks: Arc::new(self.webhooks),
            webhook_sender: Arc::new(self.webhook_sender),
            passwords: Arc::new(self.passwords),
            tokens: Arc::new(self.tokens),
            clock: Arc::new(clock),
        };
        Service::new(ports, Settings { currency: Currency::parse("EUR").unwrap(), ..Settings::default() })
    }
}

pub fn user(tier: Tier, role: Role) -> User {
    let id = UserId::generate();
    User {
        id,
        email: Email::parse(&format!("{id}@example.com")).unwrap(),
        password_hash: PasswordHash::new("$argon2id$stored"),
        full_name: None,
        tier,
        role,
        created_at: fixed_now(),
    }
}

pub fn product(sku: &str, price_cents: i64, stock: i64) -> Product {
    Product {
        id: ProductId::generate(),
        sku: Sku::parse(sku).unwrap(),
        name: ProductName::parse(&format!("Product {sku}")).unwrap(),
        price: Price::from_cents(price_cents).unwrap(),
        stock: Stock::new(stock).unwrap(),
        created_at: fixed_now(),
        updated_at: fixed_now(),
    }
}

pub fn items(lines: &[(&Product, i64)]) -> OrderItems {
    let raw: Vec<_> = lines.iter().map(|(p, q)| (p.id, *q)).collect();
    OrderItems::parse(&raw).unwrap()
}

/// A placed order of `owner` for `lines` (product, quantity), priced at standard tier.
pub fn order_of(owner: &User, lines: &[(Product, i64)]) -> Order {
    let lines: Vec<OrderLine> = lines
        .iter()
        .map(|(p, q)| {
            let quantity = Quantity::new(*q).unwrap();
            OrderLine {
                product_id: p.id,
                sku: p.sku.clone(),
                name: p.name.clone(),
                quantity,
                unit_price: p.price,
                line_total: pricing::line_total(p.price.money(), quantity).unwrap(),
            }
        })
        .collect();
    let totals = pricing::totals(lines.iter().map(|l| l.line_total), Tier::Standard).unwrap();
    Order {
        id: OrderId::generate(),
        user_id: owner.id,
        status: OrderStatus::Placed,
        currency: Currency::parse("EUR").unwrap(),
        lines,
        totals,
        created_at: fixed_now(),
        cancelled_at: None,
    }
}
