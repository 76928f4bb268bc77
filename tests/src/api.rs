//! Typed request helpers over the API, however it is reached: the application called
//! in this process ([`TestApp`](crate::app::TestApp)) or a real `orders-server` over
//! TCP ([`TestServer`](crate::server::TestServer)). A test written against [`Api`]
//! reads the same either way; both sign tokens with [`JWT_SECRET`] and seed the demo
//! admin, so admin operations can be called.

use poem::Endpoint;
use poem::endpoint::BoxEndpoint;
use poem::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// The demo admin that `--demo` creates.
pub const DEMO_ADMIN: (&str, &str) = ("admin@example.com", "admin-password");
/// The demo (premium) customer that `--demo` creates.
pub const DEMO_CUSTOMER: (&str, &str) = ("customer@example.com", "customer-password");
/// The secret test servers sign tokens with, so that tokens survive a restart.
pub const JWT_SECRET: &str = "end-to-end-test-secret";

/// The API, reached in process or over HTTP. Cheap to clone into concurrent tasks.
#[derive(Clone)]
pub struct Api {
    transport: Transport,
}

#[derive(Clone)]
enum Transport {
    /// The application's endpoint, called directly.
    InProcess(Arc<BoxEndpoint<'static>>),
    /// A server listening at `base_url`.
    Http { client: reqwest::Client, base_url: String },
}

/// A response, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    /// The body as JSON, `Value::Null` when it is empty or not JSON.
    pub body: Value,
}

impl Answer {
    pub(crate) fn new(status: StatusCode, headers: HeaderMap, bytes: &[u8]) -> Self {
        let text = String::from_utf8_lossy(bytes).into_owned();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self { status, headers, text, body }
    }

    /// The body less its `instance`, which names the request it answered: what two
    /// answers to different requests may share.
    pub fn body_but_instance(&self) -> Value {
        let mut body = self.body.clone();
        if let Some(members) = body.as_object_mut() {
            members.remove("instance");
        }
        body
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Asserts this is a problem response with `status` and `code`, and returns its body.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.text);
        assert_eq!(self.header("content-type"), Some("application/problem+json"), "body: {}", self.text);
        let request_id = self.header("x-request-id").expect("every answer names its request in X-Request-Id");
        assert_eq!(self.body["instance"], format!("urn:request:{request_id}"), "body: {}", self.text);
        assert_eq!(self.body["code"], code, "body: {}", self.text);
        assert_eq!(self.body["status"], status, "body: {}", self.text);
        assert!(self.body["title"].is_string() && self.body["detail"].is_string(), "body: {}", self.text);
        assert_eq!(self.body["type"], "about:blank");
        &self.body
    }

    /// Asserts a `422 validation_failed` naming exactly `fields`, in this order.
    #[track_caller]
    pub fn assert_invalid_fields(&self, fields: &[&str]) {
        let body = self.assert_problem(422, "validation_failed");
        let named: Vec<&str> =
            body["errors"].as_array().expect("errors is a list").iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(named, fields, "body: {}", self.text);
    }

    /// Asserts `status` and returns the JSON body.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.text);
        &self.body
    }
}

/// A request being built: headers and a body, then [`Call::send`].
pub struct Call {
    api: Api,
    method: Method,
    path: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Vec<u8>,
}

impl Call {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("a valid header name");
        self.headers.push((name, HeaderValue::from_str(value).expect("a valid header value")));
        self
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// `body` as `application/json`.
    pub fn json(self, body: &Value) -> Self {
        self.body(Some("application/json"), body.to_string())
    }

    /// `fields` as an `application/x-www-form-urlencoded` form.
    pub fn form(self, fields: &[(&str, &str)]) -> Self {
        let encoded = serde_urlencoded::to_string(fields).expect("a form encodes");
        self.body(Some("application/x-www-form-urlencoded"), encoded)
    }

    /// `bytes` as the body, with `Content-Type: content_type` if given.
    pub fn body(mut self, content_type: Option<&str>, bytes: impl Into<Vec<u8>>) -> Self {
        if let Some(content_type) = content_type {
            self = self.header("content-type", content_type);
        }
        self.body = bytes.into();
        self
    }

    pub async fn send(self) -> Answer {
        match &self.api.transport {
            Transport::InProcess(endpoint) => {
                let mut request = poem::Request::builder().method(self.method).uri_str(&self.path);
                for (name, value) in self.headers {
                    request = request.header(name, value);
                }
                let response = endpoint.get_response(request.body(self.body)).await;
                let (status, headers) = (response.status(), response.headers().clone());
                let bytes = response.into_body().into_vec().await.expect("the body can be read");
                Answer::new(status, headers, &bytes)
            }
            Transport::Http { client, base_url } => {
                let mut request = client.request(self.method, format!("{base_url}{}", self.path));
                for (name, value) in self.headers {
                    request = request.header(name, value);
                }
                let response = request.body(self.body).send().await.expect("the server answers");
                let (status, headers) = (response.status(), response.headers().clone());
                let bytes = response.bytes().await.expect("the body can be read");
                Answer::new(status, headers, &bytes)
            }
        }
    }
}

impl Api {
    /// The application `endpoint`, called in this process.
    pub fn in_process(endpoint: BoxEndpoint<'static>) -> Self {
        Self { transport: Transport::InProcess(Arc::new(endpoint)) }
    }

    /// The server at `base_url`, over HTTP.
    pub fn over_http(base_url: &str) -> Self {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("an HTTP client");
        Self { transport: Transport::Http { client, base_url: base_url.to_owned() } }
    }

    /// A request of `method` to `path` (and query), to build on.
    pub fn request(&self, method: Method, path: &str) -> Call {
        Call { api: self.clone(), method, path: path.to_owned(), headers: Vec::new(), body: Vec::new() }
    }

    /// Sends a request; `token` as a bearer token, `body` as JSON.
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<&Value>) -> Answer {
        let mut call = self.request(method, path);
        if let Some(token) = token {
            call = call.bearer(token);
        }
        if let Some(body) = body {
            call = call.json(body);
        }
        call.send().await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        self.call(Method::PATCH, path, token, Some(body)).await
    }

    /// `POST /v1/users`.
    pub async fn register(&self, email: &str, password: &str) -> Answer {
        self.post("/v1/users", None, &json!({"email": email, "password": password})).await
    }

    /// `POST /v1/auth/token` with the OAuth2 password grant form.
    pub async fn request_token(&self, username: &str, password: &str) -> Answer {
        let form = [("grant_type", "password"), ("username", username), ("password", password)];
        self.request(Method::POST, "/v1/auth/token").form(&form).send().await
    }

    /// A token for this user, who must exist.
    pub async fn token(&self, email: &str, password: &str) -> String {
        let answer = self.request_token(email, password).await;
        answer.expect(200)["access_token"].as_str().expect("access_token is a string").to_owned()
    }

    /// A new customer of its own: their user and a token.
    pub async fn customer(&self) -> (Value, String) {
        let email = unique_email("customer");
        let user = self.register(&email, "customer-password").await.expect(201).clone();
        let token = self.token(&email, "customer-password").await;
        (user, token)
    }

    /// A token of the demo admin.
    pub async fn admin_token(&self) -> String {
        self.token(DEMO_ADMIN.0, DEMO_ADMIN.1).await
    }

    /// A new product of its own (unique sku), added by the admin: its JSON.
    pub async fn product(&self, admin: &str, price_cents: i64, stock: i64) -> Value {
        let sku = format!("T-{}", uuid::Uuid::now_v7().simple());
        let body = json!({"sku": sku, "name": format!("Product {sku}"), "price_cents": price_cents, "stock": stock});
        self.post("/v1/products", Some(admin), &body).await.expect(201).clone()
    }

    /// A customer who is premium: their user and a token.
    pub async fn premium_customer(&self, admin: &str) -> (Value, String) {
        let (user, token) = self.customer().await;
        let path = format!("/v1/users/{}", user["id"].as_str().unwrap());
        let user = self.patch(&path, Some(admin), &json!({"tier": "premium"})).await.expect(200).clone();
        (user, token)
    }

    /// A token this API accepts, for a user it has never had.
    pub fn token_of_nobody(&self) -> String {
        use orders_core::ports::TokenIssuer as _;
        let issuer = orders_adapters::tokens::JwtIssuer::new(JWT_SECRET.as_bytes(), chrono::TimeDelta::hours(1));
        issuer.issue(orders_core::domain::UserId::generate(), chrono::Utc::now()).expect("a token").token
    }

    /// `POST /v1/orders` of `items` (`(product, quantity)`), with an optional key.
    pub async fn place_order(&self, token: &str, items: &[(&Value, i64)], key: Option<&str>) -> Answer {
        let items: Vec<Value> = items
            .iter()
            .map(|(product, quantity)| json!({"product_id": product["id"], "quantity": quantity}))
            .collect();
        let mut call = self.request(Method::POST, "/v1/orders").bearer(token).json(&json!({"items": items}));
        if let Some(key) = key {
            call = call.header("Idempotency-Key", key);
        }
        call.send().await
    }

    /// The product's stock now.
    pub async fn stock(&self, product: &Value) -> i64 {
        let path = format!("/v1/products/{}", product["id"].as_str().unwrap());
        self.get(&path, None).await.expect(200)["stock"].as_i64().expect("stock is an integer")
    }
}

/// An e-mail address no other test uses.
pub fn unique_email(prefix: &str) -> String {
    format!("{prefix}-{}@example.com", uuid::Uuid::now_v7().simple())
}
