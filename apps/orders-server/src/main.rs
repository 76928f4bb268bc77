//! `orders-server`: reads its settings, then serves the API until SIGINT or SIGTERM.

use orders_server::api::errors::cause_chain;
use orders_server::config::Config;
use orders_server::{startup, telemetry};
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let config = Config::from_args_or_exit();
    let telemetry = match telemetry::init(config.log_format, config.otlp_endpoint.as_deref()) {
        Ok(telemetry) => telemetry,
        Err(error) => return fail(error),
    };
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(config.worker_threads()).enable_all().build();
    let served = runtime.map_err(anyhow::Error::from).and_then(|runtime| {
        let served = runtime.block_on(startup::run(config));
        drop(runtime);
        served
    });
    telemetry.shutdown();
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(error),
    }
}

fn fail(error: anyhow::Error) -> ExitCode {
    eprintln!("orders-server: {}", cause_chain(error.as_ref()));
    ExitCode::FAILURE
}
