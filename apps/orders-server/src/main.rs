//! `orders-server`: reads its settings, then serves the API until SIGINT or SIGTERM.

use orders_server::config::Config;
use orders_server::{startup, telemetry};
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::from_args_or_exit();
    telemetry::init(config.log_format);
    match startup::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("orders-server: {}", orders_server::api::errors::cause_chain(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}
