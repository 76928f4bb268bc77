//! The HTTP application in this process: the `Route` and middleware that
//! `orders-server` serves, prepared by its own startup code from the same flags, and
//! called without a socket. The contract's cases run here, each over a fresh database;
//! what only a real process or socket shows runs on a [`TestServer`](crate::server::TestServer).

use crate::api::{Api, JWT_SECRET};
use crate::server::{DATABASE, fresh_database_url};
use clap::Parser;
use orders_server::config::Config;
use orders_server::{app, startup};
use poem::EndpointExt;
use std::ops::Deref;
use tempfile::TempDir;

/// The application over a fresh database of its own, with the demo data.
pub struct TestApp {
    api: Api,
    _dir: TempDir,
}

impl TestApp {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = fresh_database_url(DATABASE, dir.path());
        let flags = ["orders-server", "--database-url", &url, "--jwt-secret", JWT_SECRET, "--demo"];
        let config = Config::try_parse_from(flags).expect("the flags are valid");
        let (store, service) = startup::prepare(&config).await.expect("the application starts");
        let endpoint = app::build(service, store).map_to_response().boxed();
        Self { api: Api::in_process(endpoint), _dir: dir }
    }
}

impl Deref for TestApp {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}
