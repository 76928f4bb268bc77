//! Users: who may log in, what they pay (their [`Tier`]) and what they may do (their
//! [`Role`]).

use super::ids::UserId;
use super::time::Timestamp;
use super::validation::{Invalid, char_count_within, displayable};
use std::fmt;
use unicode_normalization::UnicodeNormalization;

/// A syntactically valid e-mail address of at most 254 characters, stored lower-cased
/// so that addresses compare case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub const MAX_CHARS: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        char_count_within(raw, 1, Self::MAX_CHARS, "email")?;
        let lowered = raw.to_lowercase();
        if email_address::EmailAddress::is_valid(&lowered) {
            Ok(Self(lowered))
        } else {
            Err(Invalid::new("email is not a valid e-mail address"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A plaintext password of 8 to 128 characters, in Unicode normalisation form C, so
/// that one password typed on keyboards that compose characters differently (`é` as
/// one code point or as `e` and a combining accent) is one password; its length is
/// counted after normalising. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password {
    normalized: String,
    /// The text as given, when normalising changed it.
    given: Option<String>,
}

impl Password {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let normalized: String = raw.nfc().collect();
        char_count_within(&normalized, 8, 128, "password")?;
        let given = (normalized != raw).then(|| raw.to_owned());
        Ok(Self { normalized, given })
    }

    /// The password to hash and verify.
    pub fn expose(&self) -> &str {
        &self.normalized
    }

    /// The password exactly as given, when that is not its normal form: what a hash
    /// made before passwords were normalised was made from.
    pub fn as_given(&self) -> Option<Self> {
        self.given.as_ref().map(|given| Self { normalized: given.clone(), given: None })
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A password hash in PHC string form, as produced by the
/// [`PasswordHasher`](crate::ports::PasswordHasher) port.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn new(phc: impl Into<String>) -> Self {
        Self(phc.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

/// A person's name as they want it shown: at most 200 characters of
/// [`displayable`](super::validation::displayable) text, or none at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullName(String);

impl FullName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        char_count_within(raw, 0, 200, "full_name")?;
        if !raw.is_empty() {
            displayable(raw, "full_name")?;
        }
        Ok(Self(raw.to_owned()))
    }

    /// A name as stored, which may predate today's rules: shown as it is.
    pub fn stored(raw: &str) -> Self {
        Self(raw.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a user pays: premium users get a discount on every order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Tier {
    #[default]
    Standard,
    Premium,
}

/// What a user may do: admins manage products and users and see every order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Role {
    #[default]
    Customer,
    Admin,
}

macro_rules! wire_names {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// The lower-case name used on the wire and in storage.
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name),+ }
            }

            pub fn parse(raw: &str) -> Result<Self, Invalid> {
                match raw {
                    $($name => Ok(Self::$variant),)+
                    _ => Err(Invalid::new(format!(
                        "must be one of: {}",
                        [$($name),+].join(", ")
                    ))),
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_names!(Tier { Standard => "standard", Premium => "premium" });
wire_names!(Role { Customer => "customer", Admin => "admin" });

pub(crate) use wire_names;

/// A registered user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub password_hash: PasswordHash,
    pub full_name: Option<FullName>,
    pub tier: Tier,
    pub role: Role,
    pub created_at: Timestamp,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_lower_cased_so_addresses_compare_case_insensitively() {
        assert_eq!(Email::parse("Ada@Example.COM").unwrap(), Email::parse("ada@example.com").unwrap());
        assert_eq!(Email::parse("Ada@Example.COM").unwrap().as_str(), "ada@example.com");
    }

    #[test]
    fn email_refuses_what_is_not_an_address_or_too_long() {
        for bad in ["", "plain", "a@", "@b.c", "a b@c.d"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn password_length_is_counted_in_characters() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse(&"é".repeat(128)).is_ok());
        assert!(Password::parse(&"é".repeat(129)).is_err());
        assert_eq!(format!("{:?}", Password::parse("secret-password").unwrap()), "Password(<redacted>)");
    }

    #[test]
    fn passwords_are_one_whichever_way_their_characters_are_composed() {
        let composed = Password::parse("caf\u{e9}-au-lait").unwrap();
        let decomposed = Password::parse("cafe\u{301}-au-lait").unwrap();
        assert_eq!(composed.expose(), decomposed.expose());
        assert!(composed.as_given().is_none());
        assert_eq!(decomposed.as_given().unwrap().expose(), "cafe\u{301}-au-lait");
        // Eight characters once composed, although nine code points as given.
        assert!(Password::parse("1234567e\u{301}").is_ok());
        assert!(Password::parse("123456e\u{301}").is_err());
    }

    #[test]
    fn full_name_is_at_most_200_characters() {
        assert!(FullName::parse(&"x".repeat(200)).is_ok());
        assert!(FullName::parse(&"x".repeat(201)).is_err());
    }

    #[test]
    fn tier_and_role_round_trip_through_their_names() {
        for tier in [Tier::Standard, Tier::Premium] {
            assert_eq!(Tier::parse(tier.as_str()), Ok(tier));
        }
        for role in [Role::Customer, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert_eq!(Tier::parse("gold").unwrap_err().message(), "must be one of: standard, premium");
    }
}
