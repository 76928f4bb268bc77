//! What an order of the run looks like, shared by the HTTP load, pgbench and the SQLite
//! ceiling so that all three do the same work: `k` distinct products, one from each of
//! `k` equal bands of the product numbers (so they come out in id order, and every
//! product is equally likely), quantity 1, for a random customer.

use crate::ids;
use crate::load::{MakeRequest, Request};
use rand::Rng;
use rand::rngs::StdRng;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

/// How many lines an order has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// 1, 2 or 3, equally likely.
    OneToThree,
    Exactly(u64),
}

/// The orders of a run.
#[derive(Debug, Clone, Copy)]
pub struct Mix {
    pub lines: Lines,
    /// Products are numbered 1..=products.
    pub products: u64,
    /// Every order is for this one product (contention), instead of random ones.
    pub hot: Option<u64>,
    /// Customers are numbered 1..=customers.
    pub customers: u64,
}

impl Mix {
    /// The product numbers of the next order, ascending.
    pub fn pick(&self, rng: &mut StdRng) -> Vec<u64> {
        if let Some(hot) = self.hot {
            return vec![hot];
        }
        let k = match self.lines {
            Lines::OneToThree => rng.gen_range(1..=3),
            Lines::Exactly(k) => k,
        };
        let band = self.products / k;
        (0..k).map(|i| i * band + rng.gen_range(1..=band)).collect()
    }

    pub fn customer(&self, rng: &mut StdRng) -> u64 {
        rng.gen_range(1..=self.customers)
    }
}

/// `POST /v1/orders` for the orders of `mix`, each with the token of its customer
/// (`tokens[n - 1]` is customer `n`'s).
pub fn place_orders(address: SocketAddr, mix: Mix, tokens: Arc<Vec<String>>) -> MakeRequest {
    let bearers: Vec<String> = tokens.iter().map(|token| format!("Bearer {token}")).collect();
    Arc::new(move |rng| {
        let products = mix.pick(rng);
        let mut body = String::with_capacity(16 + products.len() * 64);
        body.push_str("{\"items\":[");
        for (i, n) in products.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            let _ = write!(body, "{{\"product_id\":\"{}\",\"quantity\":1}}", ids::product(*n));
        }
        body.push_str("]}");
        let bearer = &bearers[mix.customer(rng) as usize - 1];
        let headers = [("authorization", bearer.as_str()), ("content-type", "application/json")];
        Request::new("POST", "/v1/orders", address, &headers, body.as_bytes())
    })
}

/// `GET path_of(rng)`, anonymous unless `bearer` is given.
pub fn get(
    address: SocketAddr,
    bearer: Option<&str>,
    path_of: impl Fn(&mut StdRng) -> String + Send + Sync + 'static,
) -> MakeRequest {
    let bearer = bearer.map(|token| format!("Bearer {token}"));
    Arc::new(move |rng| {
        let headers: Vec<(&str, &str)> = bearer.iter().map(|b| ("authorization", b.as_str())).collect();
        Request::new("GET", &path_of(rng), address, &headers, &[])
    })
}
