//! `ordersctl`, the real binary, as an operator uses it: every command of API.md "The
//! binaries", what it prints, and how it refuses bad input with one sentence and a
//! non-zero exit status (1 refused, 2 bad input, 3 database trouble).

use orders_tests::cli::Ctl;
use orders_tests::server::{ServerOptions, TestServer};
use orders_tests::stores;
use serde_json::Value;

const REFUSED: i32 = 1;
const BAD_INPUT: i32 = 2;
const DATABASE: i32 = 3;

/// A database with an admin, a premium and a standard customer, and two products:
/// W-1 at 19.99 (10 in stock) and G-2 at 2.58 (2 in stock).
fn shop() -> Ctl {
    let ctl = Ctl::sqlite();
    ctl.run(&["users", "create", "--email", "admin@example.com", "--password", "admin-password", "--admin"]).ok();
    ctl.run(&["users", "create", "--email", "ada@example.com", "--password", "correct horse", "--premium"]).ok();
    ctl.run(&["users", "create", "--email", "bob@example.com", "--password", "battery staple"]).ok();
    ctl.run(&["products", "create", "--sku", "W-1", "--name", "Widget", "--price-cents", "1999", "--stock", "10"]).ok();
    ctl.run(&["products", "create", "--sku", "G-2", "--name", "Gadget", "--price-cents", "258", "--stock", "2"]).ok();
    ctl
}

/// Stock per sku, as `products list --json` shows it.
fn stock(ctl: &Ctl) -> Vec<(String, i64)> {
    let products = ctl.run(&["products", "list", "--json"]).ok().json();
    products
        .as_array()
        .expect("a JSON array of products")
        .iter()
        .map(|p| (p["sku"].as_str().unwrap().to_owned(), p["stock"].as_i64().unwrap()))
        .collect()
}

fn orders_of(ctl: &Ctl, email: &str) -> Vec<Value> {
    ctl.run(&["orders", "list", "--email", email, "--json"]).ok().json().as_array().expect("a JSON array").clone()
}

#[test]
fn migrate_brings_a_new_database_up_to_date_and_is_harmless_to_repeat() {
    let ctl = Ctl::sqlite();
    let first = ctl.run(&["migrate"]).ok();
    assert!(first.stdout.contains("up to date"), "{}", first.stdout);
    assert!(ctl.dir().join("orders.db").exists());
    ctl.run(&["migrate"]).ok();
    assert_eq!(ctl.run(&["migrate", "--json"]).ok().json()["status"], "up_to_date");
}

#[test]
fn without_a_database_url_the_data_goes_to_orders_db_in_the_working_directory() {
    let ctl = Ctl::sqlite();
    ctl.run_without_database_url(&[
        "products",
        "create",
        "--sku",
        "W-1",
        "--name",
        "Widget",
        "--price-cents",
        "1",
        "--stock",
        "1",
    ])
    .ok();
    assert!(ctl.dir().join("orders.db").exists(), "the default database is sqlite://orders.db?mode=rwc");
    assert_eq!(ctl.run_without_database_url(&["products", "list"]).ok().row("W-1")[1], "Widget");
}

#[test]
fn the_database_url_flag_wins_over_the_environment() {
    let ctl = Ctl::sqlite();
    let elsewhere = format!("sqlite://{}?mode=rwc", ctl.dir().join("elsewhere.db").display());
    ctl.run(&[
        "--database-url",
        &elsewhere,
        "products",
        "create",
        "--sku",
        "W-1",
        "--name",
        "W",
        "--price-cents",
        "1",
        "--stock",
        "1",
    ])
    .ok();
    assert!(ctl.dir().join("elsewhere.db").exists());
    assert_eq!(ctl.run(&["products", "list"]).ok().stdout, "No products yet.\n");
}

#[test]
fn memory_works_for_a_single_command() {
    let ctl = Ctl::with_url("memory://");
    assert_eq!(ctl.run(&["products", "list"]).ok().stdout, "No products yet.\n");
}

#[test]
fn the_operator_creates_the_first_admin_and_customers() {
    let ctl = Ctl::sqlite();
    let admin =
        ctl.run(&["users", "create", "--email", "Admin@Example.com", "--password", "admin-password", "--admin"]).ok();
    assert_eq!(
        (admin.field("email"), admin.field("role"), admin.field("tier")),
        ("admin@example.com", "admin", "standard")
    );

    let customer = ctl.run(&["users", "create", "--email", "ada@example.com", "--password", "correct horse"]).ok();
    assert_eq!((customer.field("role"), customer.field("tier")), ("customer", "standard"));

    let args = ["users", "create", "--email", "eve@example.com", "--password", "pass-word", "--admin", "--premium"];
    let both = ctl.run(&[&args[..], &["--json"]].concat()).ok().json();
    assert_eq!((both["role"].as_str(), both["tier"].as_str()), (Some("admin"), Some("premium")));
    assert_eq!(both["email"], "eve@example.com");
}

#[test]
fn products_are_listed_in_a_table_oldest_first() {
    let ctl = shop();
    let list = ctl.run(&["products", "list"]).ok();
    let header = list.stdout.lines().next().unwrap();
    assert!(header.starts_with("SKU") && header.contains("PRICE") && header.contains("STOCK"), "{header}");
    let skus: Vec<&str> = list.stdout.lines().skip(1).map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(skus, ["W-1", "G-2"]);
    assert_eq!(list.row("W-1")[1..4], ["Widget", "19.99 USD", "10"]);
    assert_eq!(list.row("G-2")[1..4], ["Gadget", "2.58 USD", "2"]);
}

#[test]
fn a_premium_order_shows_its_totals_in_money_and_cents_and_takes_the_stock() {
    let ctl = shop();
    let placed = ctl.run(&["orders", "place", "--email", "ada@example.com", "--item", "W-1=3", "--item", "G-2=1"]).ok();
    // 3 x 19.99 + 2.58 = 62.55; 10% is 6.255, rounded half up to 6.26.
    assert_eq!(placed.row("W-1")[1..], ["Widget", "3", "19.99 USD", "59.97 USD"]);
    assert_eq!(placed.row("Subtotal")[1..], ["62.55 USD", "(6255 cents)"]);
    assert_eq!(placed.row("Discount")[1..], ["6.26 USD", "(626 cents)"]);
    assert_eq!(placed.row("Total")[1..], ["56.29 USD", "(5629 cents)"]);
    assert_eq!(stock(&ctl), [("W-1".to_owned(), 7), ("G-2".to_owned(), 1)]);
}

#[test]
fn a_standard_customer_pays_full_price_until_set_to_premium() {
    let ctl = shop();
    let full = ctl.run(&["orders", "place", "--email", "bob@example.com", "--item", "W-1=1", "--json"]).ok().json();
    assert_eq!((full["discount_cents"].as_i64(), full["total_cents"].as_i64()), (Some(0), Some(1999)));

    let updated = ctl.run(&["users", "set-tier", "--email", "bob@example.com", "--tier", "premium"]).ok();
    assert_eq!(updated.field("tier"), "premium");
    let discounted =
        ctl.run(&["orders", "place", "--email", "bob@example.com", "--item", "W-1=1", "--json"]).ok().json();
    assert_eq!((discounted["discount_cents"].as_i64(), discounted["total_cents"].as_i64()), (Some(200), Some(1799)));
}

#[test]
fn orders_are_listed_newest_first_with_status_lines_and_totals() {
    let ctl = shop();
    let first = ctl.run(&["orders", "place", "--email", "ada@example.com", "--item", "W-1=1", "--json"]).ok().json();
    let second = ctl
        .run(&["orders", "place", "--email", "ada@example.com", "--item", "G-2=2", "--item", "W-1=2", "--json"])
        .ok()
        .json();
    let list = ctl.run(&["orders", "list", "--email", "ada@example.com"]).ok();
    let ids: Vec<&str> = list.stdout.lines().skip(1).map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(ids, [second["id"].as_str().unwrap(), first["id"].as_str().unwrap()]);
    let row = list.row(second["id"].as_str().unwrap());
    // 2 x 2.58 + 2 x 19.99 = 45.14; 10% is 4.514, rounded to 4.51.
    assert_eq!(row[1], "placed");
    assert_eq!(row[3..], ["G-2 x2, W-1 x2", "45.14 USD", "4.51 USD", "40.63 USD"]);

    assert_eq!(
        ctl.run(&["orders", "list", "--email", "bob@example.com"]).ok().stdout,
        "bob@example.com has no orders.\n"
    );
}

#[test]
fn an_order_beyond_the_stock_is_refused_and_nothing_changes() {
    let ctl = shop();
    let sentence = ctl
        .run(&["orders", "place", "--email", "ada@example.com", "--item", "W-1=1", "--item", "G-2=5"])
        .fails_with(REFUSED);
    assert_eq!(sentence, "not enough stock of G-2: 5 requested, 2 available; nothing was ordered");
    assert_eq!(stock(&ctl), [("W-1".to_owned(), 10), ("G-2".to_owned(), 2)], "W-1's line was not taken either");
    assert!(orders_of(&ctl, "ada@example.com").is_empty());
}

#[test]
fn unknown_skus_and_emails_are_refused_by_name() {
    let ctl = shop();
    let unknown_sku = ctl
        .run(&["orders", "place", "--email", "ada@example.com", "--item", "W-1=1", "--item", "NOPE-9=1"])
        .fails_with(REFUSED);
    assert_eq!(unknown_sku, "no product has the sku NOPE-9");

    let unknown_email =
        ctl.run(&["orders", "place", "--email", "zed@example.com", "--item", "W-1=1"]).fails_with(REFUSED);
    assert_eq!(unknown_email, "no user has the email zed@example.com");
    assert_eq!(
        ctl.run(&["orders", "list", "--email", "zed@example.com"]).fails_with(REFUSED),
        "no user has the email zed@example.com"
    );
    assert_eq!(
        ctl.run(&["users", "set-tier", "--email", "zed@example.com", "--tier", "premium"]).fails_with(REFUSED),
        "no user has the email zed@example.com"
    );
    assert_eq!(stock(&ctl), [("W-1".to_owned(), 10), ("G-2".to_owned(), 2)]);
}

#[test]
fn taken_emails_and_skus_are_refused() {
    let ctl = shop();
    let email = ctl
        .run(&["users", "create", "--email", "ADA@example.com", "--password", "another password"])
        .fails_with(REFUSED);
    assert_eq!(email, "a user with the email ada@example.com already exists");
    let sku = ctl
        .run(&["products", "create", "--sku", "W-1", "--name", "Another", "--price-cents", "1", "--stock", "1"])
        .fails_with(REFUSED);
    assert_eq!(sku, "a product with the sku W-1 already exists");
    assert_eq!(ctl.run(&["products", "list"]).ok().row("W-1")[1], "Widget");
}

#[test]
fn invalid_values_are_named_and_nothing_is_opened() {
    let ctl = Ctl::sqlite();
    let email =
        ctl.run(&["users", "create", "--email", "not-an-email", "--password", "long enough"]).fails_with(BAD_INPUT);
    assert_eq!(email, "invalid --email: email is not a valid e-mail address");
    let both = ctl.run(&["users", "create", "--email", "a@", "--password", "short"]).fails_with(BAD_INPUT);
    assert!(both.contains("invalid --email") && both.contains("invalid --password"), "{both}");
    let product = ctl
        .run(&["products", "create", "--sku", "W 1", "--name", "Widget", "--price-cents", "-1", "--stock", "1"])
        .fails_with(BAD_INPUT);
    assert!(product.contains("invalid --sku") && product.contains("invalid --price-cents"), "{product}");
    let tier = ctl.run(&["users", "set-tier", "--email", "ada@example.com", "--tier", "gold"]).fails_with(BAD_INPUT);
    assert_eq!(tier, "invalid --tier: must be one of: standard, premium");
    let currency = ctl.run(&["--currency", "usd", "products", "list"]).fails_with(BAD_INPUT);
    assert!(currency.starts_with("invalid --currency"), "{currency}");
    assert!(!ctl.dir().join("orders.db").exists(), "bad input created the database");
}

#[test]
fn bad_items_are_refused_naming_each_one() {
    let ctl = shop();
    let place = |items: &[&str]| {
        let mut args = vec!["orders", "place", "--email", "ada@example.com"];
        for item in items {
            args.extend(["--item", item]);
        }
        ctl.run(&args).fails_with(BAD_INPUT)
    };
    assert_eq!(place(&["W-1"]), r#"invalid --item "W-1": expected SKU=QTY, like W-1=3"#);
    assert_eq!(place(&["W-1=three"]), r#"invalid --item "W-1=three": expected SKU=QTY, like W-1=3"#);
    assert_eq!(place(&["W-1=0"]), r#"invalid --item "W-1=0": quantity must be between 1 and 10000"#);
    let two = place(&["W-1=1", "=2", "G-2=-1"]);
    assert!(two.contains(r#"--item "=2""#) && two.contains(r#"--item "G-2=-1""#) && !two.contains("W-1=1"), "{two}");
    assert_eq!(
        place(&["W-1=1", "G-2=1", "W-1=2"]),
        r#"invalid --item "W-1=2": product W-1 appears more than once; order it on one line"#
    );
    assert_eq!(stock(&ctl), [("W-1".to_owned(), 10), ("G-2".to_owned(), 2)]);
}

#[test]
fn a_missing_argument_is_a_usage_error() {
    let run = Ctl::sqlite().run(&["orders", "place", "--email", "ada@example.com"]);
    assert_eq!(run.code, Some(BAD_INPUT));
    assert!(run.stderr.starts_with("error: ") && run.stderr.contains("--item"), "{}", run.stderr);
}

#[test]
fn a_database_that_cannot_be_opened_is_one_sentence_and_exit_3() {
    let ctl = Ctl::sqlite();
    let missing_dir = format!("sqlite://{}", ctl.dir().join("missing").join("orders.db").display());
    let sqlite = Ctl::with_url(&missing_dir).run(&["products", "list"]).fails_with(DATABASE);
    assert!(sqlite.starts_with(&format!("cannot open the database {missing_dir}")), "{sqlite}");

    let postgres = Ctl::with_url("postgres://app:s3cret@127.0.0.1:1/orders").run(&["migrate"]).fails_with(DATABASE);
    assert!(postgres.starts_with("cannot open the database postgres://app:***@127.0.0.1:1/orders"), "{postgres}");
}

#[test]
fn an_unsupported_database_url_is_bad_input_and_hides_its_password() {
    let sentence = Ctl::with_url("mysql://app:s3cret@localhost/orders").run(&["migrate"]).fails_with(BAD_INPUT);
    assert!(sentence.starts_with(r#"unsupported database URL "mysql://app:***@localhost/orders""#), "{sentence}");
}

#[test]
fn json_output_gives_scripts_the_apis_fields() {
    let ctl = Ctl::sqlite();
    let user = ctl.run(&["users", "create", "--email", "ada@example.com", "--password", "correct horse", "--json"]);
    let user = user.ok().json();
    assert_eq!((user["tier"].as_str(), user["role"].as_str()), (Some("standard"), Some("customer")));
    assert!(user["id"].as_str().is_some_and(|id| uuid::Uuid::parse_str(id).is_ok()), "{user}");
    assert!(user.get("password_hash").is_none() && !user.to_string().contains("argon2"), "{user}");

    let args = ["products", "create", "--sku", "W-1", "--name", "Widget", "--price-cents", "1999", "--stock", "5"];
    let product = ctl.run(&[&["--json"], &args[..]].concat()).ok().json();
    assert_eq!((product["price_cents"].as_i64(), product["stock"].as_i64()), (Some(1999), Some(5)));

    let order = ctl.run(&["orders", "place", "--email", "ada@example.com", "--item", "W-1=2", "--json"]).ok().json();
    assert_eq!(order["status"], "placed");
    assert_eq!(order["currency"], "USD");
    assert_eq!(order["user_id"], user["id"]);
    let line = &order["items"][0];
    assert_eq!((line["sku"].as_str(), line["quantity"].as_i64()), (Some("W-1"), Some(2)));
    assert_eq!((line["unit_price_cents"].as_i64(), line["line_total_cents"].as_i64()), (Some(1999), Some(3998)));
    assert_eq!(
        (order["subtotal_cents"].as_i64(), order["discount_cents"].as_i64(), order["total_cents"].as_i64()),
        (Some(3998), Some(0), Some(3998))
    );
    assert_eq!(orders_of(&ctl, "ada@example.com"), [order]);
}

#[test]
fn the_currency_setting_prices_orders() {
    let ctl = shop();
    let order =
        ctl.run(&["--currency", "EUR", "orders", "place", "--email", "bob@example.com", "--item", "G-2=1"]).ok();
    assert_eq!(order.row("Total")[1], "2.58 EUR");
}

/// The same commands on PostgreSQL.
#[cfg_attr(not(postgres_server), ignore = "needs a PostgreSQL server: set ORDERS_TEST_POSTGRES_URL")]
#[tokio::test]
async fn postgres_places_orders_and_refuses_overselling_as_sqlite_does() {
    let database = stores::postgres().await;
    let ctl = Ctl::with_url(&database.url);
    ctl.run(&["users", "create", "--email", "ada@example.com", "--password", "correct horse", "--premium"]).ok();
    ctl.run(&["products", "create", "--sku", "W-1", "--name", "Widget", "--price-cents", "1999", "--stock", "3"]).ok();
    let order = ctl.run(&["orders", "place", "--email", "ada@example.com", "--item", "W-1=2", "--json"]).ok().json();
    assert_eq!((order["subtotal_cents"].as_i64(), order["total_cents"].as_i64()), (Some(3998), Some(3598)));
    let refused = ctl.run(&["orders", "place", "--email", "ada@example.com", "--item", "W-1=2"]).fails_with(REFUSED);
    assert_eq!(refused, "not enough stock of W-1: 2 requested, 1 available; nothing was ordered");
    assert_eq!(stock(&ctl), [("W-1".to_owned(), 1)]);
    assert_eq!(orders_of(&ctl, "ada@example.com").len(), 1);
}

/// The issue's cross-check: what the CLI wrote, the HTTP server serves, with the same
/// totals, because both run the same use cases on the same database.
#[tokio::test]
async fn an_order_placed_by_the_cli_is_visible_over_http_with_the_same_totals() {
    let ctl = shop();
    let placed = ctl
        .run(&["orders", "place", "--email", "ada@example.com", "--item", "W-1=3", "--item", "G-2=1", "--json"])
        .ok()
        .json();

    let options =
        ServerOptions { database_url: Some(ctl.database_url().to_owned()), demo: false, ..Default::default() };
    let server = TestServer::start_with(options).await;
    let token = server.token("ada@example.com", "correct horse").await;
    let orders = server.get("/v1/orders", Some(&token)).await.expect(200).clone();
    let served = &orders["items"][0];
    assert_eq!(orders["items"].as_array().map(Vec::len), Some(1), "{orders}");
    for field in ["id", "user_id", "subtotal_cents", "discount_cents", "total_cents", "currency", "status"] {
        assert_eq!(served[field], placed[field], "{field} differs between CLI and HTTP");
    }
    assert_eq!(served["total_cents"], 5629);
}
