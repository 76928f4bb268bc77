//! The Rust client generated from the committed spec (`orders-client`), pointed at a
//! [`TestServer`]: anonymous or logged in, plus the few helpers the client tests (`tests/integration/client/`) share.

use crate::api::{DEMO_ADMIN, unique_email};
use crate::server::TestServer;
use orders_client::reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use orders_client::types::{NewProduct, Problem, Product, Registration, TokenRequest, User};
use orders_client::{Client, Error, ResponseValue};
use std::time::Duration;

/// The password of every customer these helpers register.
pub const CUSTOMER_PASSWORD: &str = "customer-password";

/// A client of `server` that sends no token.
pub fn anonymous(server: &TestServer) -> Client {
    Client::new_with_client(&server.base_url, http_client(HeaderMap::new()))
}

/// A client of `server` that sends `token` as `Authorization: Bearer`.
pub fn with_token(server: &TestServer, token: &str) -> Client {
    let mut headers = HeaderMap::new();
    let value = HeaderValue::from_str(&format!("Bearer {token}")).expect("a token is a valid header value");
    headers.insert(AUTHORIZATION, value);
    Client::new_with_client(&server.base_url, http_client(headers))
}

fn http_client(headers: HeaderMap) -> orders_client::reqwest::Client {
    orders_client::reqwest::Client::builder()
        .default_headers(headers)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}

/// Logs in through `issueToken` and returns a client that sends the token.
pub async fn logged_in(server: &TestServer, email: &str, password: &str) -> Client {
    let login = TokenRequest::builder().username(email).password(password).grant_type("password".to_owned());
    let token = anonymous(server).issue_token().body(login).send().await.expect("the login succeeds");
    with_token(server, &token.access_token)
}

/// The demo admin, logged in.
pub async fn admin(server: &TestServer) -> Client {
    logged_in(server, DEMO_ADMIN.0, DEMO_ADMIN.1).await
}

/// A new customer of its own, registered through `registerUser`: the user, logged in.
pub async fn customer(server: &TestServer) -> (User, Client) {
    let email = unique_email("client");
    let registration = Registration::builder().email(email.clone()).password(CUSTOMER_PASSWORD);
    let user = anonymous(server).register_user().body(registration).send().await.expect("the sign-up succeeds");
    (user.into_inner(), logged_in(server, &email, CUSTOMER_PASSWORD).await)
}

/// A new product of its own (unique sku), added by `admin`.
pub async fn product(admin: &Client, price_cents: i64, stock: i64) -> Product {
    let sku = format!("C-{}", uuid::Uuid::now_v7().simple());
    let new = NewProduct::builder().name(format!("Product {sku}")).sku(sku).price_cents(price_cents).stock(stock);
    admin.create_product().body(new).send().await.expect("the admin adds the product").into_inner()
}

/// The product's stock now, read anonymously.
pub async fn stock(client: &Client, product: &Product) -> i64 {
    client.get_product().id(product.id).send().await.expect("the product exists").stock
}

/// The typed problem of a call that must have failed with `status`; panics on success or
/// on any failure that is not a documented error response.
#[track_caller]
pub fn problem<T: std::fmt::Debug>(result: Result<ResponseValue<T>, Error<Problem>>, status: u16) -> Problem {
    match result {
        Err(Error::ErrorResponse(answer)) => {
            assert_eq!(answer.status().as_u16(), status, "problem: {:?}", *answer);
            let problem = answer.into_inner();
            assert_eq!((problem.status, problem.type_.as_str()), (i32::from(status), "about:blank"));
            problem
        }
        other => panic!("expected a {status} problem, got {other:?}"),
    }
}

/// The fields a `422 validation_failed` problem names, in order.
pub fn refused_fields(problem: &Problem) -> Vec<&str> {
    assert_eq!(problem.code, "validation_failed", "{problem:?}");
    problem.errors.iter().map(|error| error.field.as_str()).collect()
}
