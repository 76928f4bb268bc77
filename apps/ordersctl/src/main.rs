//! `ordersctl`: runs one command of the order service against its database and prints
//! the result, or one sentence on stderr and a non-zero exit status.

mod cli;
mod database;
mod error;
mod orders;
mod output;
mod products;
mod users;

use clap::Parser;
use cli::{Cli, Command};
use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|panic| eprintln!("error: ordersctl failed unexpectedly ({panic})")));
    let cli = Cli::parse();
    let format = if cli.json { output::Format::Json } else { output::Format::Text };
    match run(cli, format).await {
        Ok(text) => {
            output::print(&text);
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("error: {failure}");
            failure.exit_code()
        }
    }
}

async fn run(cli: Cli, format: output::Format) -> Result<String, error::Failure> {
    let database = database::Database::new(&cli.database_url, &cli.currency)?;
    match cli.command {
        Command::Migrate => database.migrate().await.map(|_| output::migrated(format)),
        Command::Users(command) => users::run(command, &database, format).await,
        Command::Products(command) => products::run(command, &database, format).await,
        Command::Orders(command) => orders::run(command, &database, format).await,
    }
}
