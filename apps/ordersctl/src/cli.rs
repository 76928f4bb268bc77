//! The command line, as clap types: exactly the commands and flags of API.md "The
//! binaries". Values arrive as written; core's parsers validate them.

use clap::{Args, Parser, Subcommand};

const EXIT_CODES: &str = "\
Exit status:
  0  done
  1  refused: unknown user or product, taken email or sku, not enough stock
  2  bad input: the command line or a value in it is invalid
  3  the database cannot be opened or failed";

/// Runs the order service's use cases straight against its database, with no HTTP server.
#[derive(Debug, Parser)]
#[command(name = "ordersctl", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// The database: sqlite://PATH?mode=rwc, postgres://USER:PASSWORD@HOST/DB or memory://.
    #[arg(long, env = "ORDERS_DATABASE_URL", default_value = "sqlite://orders.db?mode=rwc", global = true)]
    pub database_url: String,

    /// The ISO 4217 currency every price and order is in.
    #[arg(long, env = "ORDERS_CURRENCY", default_value = "USD", global = true)]
    pub currency: String,

    /// Print JSON for scripts instead of text for people.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Bring the database schema up to date (every other command does this first).
    Migrate,
    /// Create users and change their tier.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Add products to the catalogue and list it.
    #[command(subcommand)]
    Products(ProductsCommand),
    /// Place orders on a user's behalf and list them.
    #[command(subcommand)]
    Orders(OrdersCommand),
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a user: a standard customer unless --admin or --premium say otherwise.
    Create(CreateUser),
    /// Change what a user pays.
    SetTier(SetTier),
}

#[derive(Debug, Args)]
pub struct CreateUser {
    #[arg(long)]
    pub email: String,
    /// 8 to 128 characters.
    #[arg(long)]
    pub password: String,
    /// Give the user an admin's rights.
    #[arg(long)]
    pub admin: bool,
    /// Put the user on the premium tier (10% off every order).
    #[arg(long)]
    pub premium: bool,
}

#[derive(Debug, Args)]
pub struct SetTier {
    #[arg(long)]
    pub email: String,
    /// premium or standard.
    #[arg(long, value_name = "premium|standard")]
    pub tier: String,
}

#[derive(Debug, Subcommand)]
pub enum ProductsCommand {
    /// Add a product.
    Create(CreateProduct),
    /// List every product, oldest first.
    List,
}

#[derive(Debug, Args)]
pub struct CreateProduct {
    /// 1 to 64 characters of A-Z a-z 0-9 - _ .
    #[arg(long)]
    pub sku: String,
    #[arg(long)]
    pub name: String,
    /// The unit price in cents: 1999 is 19.99.
    #[arg(long, allow_negative_numbers = true)]
    pub price_cents: i64,
    /// Units on hand.
    #[arg(long, allow_negative_numbers = true)]
    pub stock: i64,
}

#[derive(Debug, Subcommand)]
pub enum OrdersCommand {
    /// Place an order for the user with this email.
    Place(PlaceOrder),
    /// List a user's orders, newest first.
    List(ListOrders),
}

#[derive(Debug, Args)]
pub struct PlaceOrder {
    #[arg(long)]
    pub email: String,
    /// A product and how many of it, like W-1=3; repeat for more lines.
    #[arg(long = "item", value_name = "SKU=QTY", required = true, allow_hyphen_values = true)]
    pub items: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ListOrders {
    #[arg(long)]
    pub email: String,
}
