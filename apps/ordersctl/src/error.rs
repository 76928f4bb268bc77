//! Every way a command can fail, as one sentence and an exit status. Each use case's
//! errors are put into words here, and nowhere else.

use orders_adapters::OpenStoreError;
use orders_core::domain::{Email, Invalid, ProductId, Refusal, Sku, Violations};
use orders_core::ports::BackendError;
use orders_core::usecases::{
    CreateProductError, CreateUserError, FindUserError, GetProductError, ListOrdersError, PlaceOrderError,
    UpdateUserError,
};
use std::error::Error;
use std::fmt;
use std::process::ExitCode;

/// Why a command did nothing, in one sentence for stderr.
#[derive(Debug)]
pub enum Failure {
    /// Exit 1: the request was understood and refused (unknown, taken, out of stock).
    Refused(String),
    /// Exit 2: the command line holds a value that is not valid.
    Invalid(String),
    /// Exit 3: the database cannot be opened or failed; the request itself may be fine.
    Database(String),
}

impl Failure {
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Failure::Refused(_) => 1,
            Failure::Invalid(_) => 2,
            Failure::Database(_) => 3,
        })
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Refused(sentence) | Failure::Invalid(sentence) | Failure::Database(sentence) => {
                f.write_str(sentence)
            }
        }
    }
}

/// One flag's value was refused by core's parser.
pub fn invalid(flag: &str, invalid: Invalid) -> Failure {
    Failure::Invalid(format!("invalid {flag}: {invalid}"))
}

/// Some fields of a command were refused; `flag_of` names the flag each field came from.
pub fn violations(violations: &Violations, flag_of: impl Fn(&str) -> String) -> Failure {
    let phrases: Vec<String> = violations
        .fields()
        .iter()
        .map(|error| format!("invalid {}: {}", flag_of(&error.field), error.message))
        .collect();
    Failure::Invalid(phrases.join("; "))
}

/// Some `--item` values are not `SKU=QTY` with a valid sku and quantity.
pub fn invalid_items(phrases: &[String]) -> Failure {
    Failure::Invalid(phrases.join("; "))
}

pub fn item_syntax(raw: &str) -> String {
    format!("invalid --item {raw:?}: expected SKU=QTY, like W-1=3")
}

pub fn item_value(raw: &str, invalid: &Invalid) -> String {
    format!("invalid --item {raw:?}: {invalid}")
}

/// The order's lines were refused as a whole (a product named twice, too many lines).
/// `lines` are the `--item` values with the product each names, in the order given;
/// product ids in core's messages are shown as the skus they were given as.
pub fn order_items(violations: &Violations, lines: &[(String, ProductId, Sku)]) -> Failure {
    let phrases: Vec<String> = violations
        .fields()
        .iter()
        .map(|error| {
            let message = lines
                .iter()
                .fold(error.message.clone(), |message, (_, id, sku)| message.replace(&id.to_string(), sku.as_str()));
            let line = error
                .field
                .strip_prefix("items[")
                .and_then(|rest| rest.split_once(']'))
                .and_then(|(index, _)| index.parse::<usize>().ok())
                .and_then(|index| lines.get(index));
            match line {
                Some((raw, _, _)) => format!("invalid --item {raw:?}: {message}"),
                None => format!("invalid --item: {message}"),
            }
        })
        .collect();
    Failure::Invalid(phrases.join("; "))
}

pub fn open(error: OpenStoreError, url: &str) -> Failure {
    match error {
        OpenStoreError::UnsupportedUrl(_) => Failure::Invalid(format!(
            "unsupported database URL {:?}: use sqlite://PATH?mode=rwc, postgres://USER:PASSWORD@HOST/DB or memory://",
            redacted(url)
        )),
        OpenStoreError::Connect(error) => {
            Failure::Database(format!("cannot open the database {}: {}", redacted(url), root_cause(&error)))
        }
    }
}

pub fn backend(error: BackendError) -> Failure {
    match &error {
        BackendError::Unavailable(_) => {
            Failure::Database(format!("the database cannot be reached: {}", root_cause(&error)))
        }
        BackendError::Failed(_) => Failure::Database(format!("the database failed: {}", root_cause(&error))),
    }
}

pub fn create_user(error: CreateUserError, email: &Email) -> Failure {
    match error {
        CreateUserError::EmailTaken => Failure::Refused(format!("a user with the email {email} already exists")),
        CreateUserError::Forbidden => Failure::Refused(error.to_string()),
        CreateUserError::Backend(error) => backend(error),
    }
}

pub fn find_user(error: FindUserError, email: &Email) -> Failure {
    match error {
        FindUserError::NotFound => Failure::Refused(format!("no user has the email {email}")),
        FindUserError::Forbidden => Failure::Refused(error.to_string()),
        FindUserError::Backend(error) => backend(error),
    }
}

pub fn update_user(error: UpdateUserError, email: &Email) -> Failure {
    match error {
        UpdateUserError::NotFound => Failure::Refused(format!("no user has the email {email}")),
        UpdateUserError::Forbidden => Failure::Refused(error.to_string()),
        UpdateUserError::Backend(error) => backend(error),
    }
}

pub fn create_product(error: CreateProductError, sku: &Sku) -> Failure {
    match error {
        CreateProductError::SkuTaken => Failure::Refused(format!("a product with the sku {sku} already exists")),
        CreateProductError::Forbidden => Failure::Refused(error.to_string()),
        CreateProductError::Backend(error) => backend(error),
    }
}

pub fn product_by_sku(error: GetProductError, sku: &Sku) -> Failure {
    match error {
        GetProductError::NotFound => unknown_sku(sku.as_str()),
        GetProductError::Backend(error) => backend(error),
    }
}

/// `sku_of` names a product of the order by the sku it was given as.
pub fn place_order(error: PlaceOrderError, sku_of: impl Fn(ProductId) -> String) -> Failure {
    match error {
        PlaceOrderError::Refused { reason, .. } => match reason {
            Refusal::ProductNotFound { product_id } => unknown_sku(&sku_of(product_id)),
            Refusal::OutOfStock { product_id, requested, available } => Failure::Refused(format!(
                "not enough stock of {}: {requested} requested, {available} available; nothing was ordered",
                sku_of(product_id)
            )),
            Refusal::PriceOverflow(overflow) => Failure::Refused(format!("{overflow}; nothing was ordered")),
        },
        PlaceOrderError::IdempotencyKeyReused | PlaceOrderError::IdempotencyKeyInUse => {
            Failure::Refused(error.to_string())
        }
        PlaceOrderError::UnknownCustomer => {
            Failure::Refused("the customer no longer exists; nothing was ordered".into())
        }
        PlaceOrderError::Backend(error) => backend(error),
    }
}

pub fn list_orders(error: ListOrdersError) -> Failure {
    match error {
        ListOrdersError::Forbidden => Failure::Refused(error.to_string()),
        ListOrdersError::Backend(error) => backend(error),
    }
}

fn unknown_sku(sku: &str) -> Failure {
    Failure::Refused(format!("no product has the sku {sku}"))
}

/// The innermost cause: the most specific words for what went wrong.
fn root_cause(error: &(dyn Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// `url` with any password replaced by `***`, fit to be printed.
fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let before_query = rest.split('?').next().unwrap_or(rest);
    let Some(at) = before_query.rfind('@') else {
        return url.to_owned();
    };
    match rest[..at].split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***{}", &rest[at..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_a_database_url_is_never_printed() {
        assert_eq!(redacted("postgres://app:s3cret@db:5432/orders"), "postgres://app:***@db:5432/orders");
        assert_eq!(redacted("mysql://app:p@ss@db/x"), "mysql://app:***@db/x");
        assert_eq!(redacted("postgres://app@db/orders"), "postgres://app@db/orders");
        assert_eq!(redacted("sqlite://orders.db?mode=rwc"), "sqlite://orders.db?mode=rwc");
        assert_eq!(redacted("postgres://app:pa/ss@db/orders"), "postgres://app:***@db/orders");
        assert_eq!(redacted("orders.db"), "orders.db");
    }
}
