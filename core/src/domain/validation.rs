//! Validation failures: [`Invalid`] says why one value was refused, [`Violations`]
//! collects them per field so a caller learns every problem of a request at once.

use std::fmt;

/// Why a single value was refused, in one sentence a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(String);

impl Invalid {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }

    pub fn message(&self) -> &str {
        &self.0
    }
}

/// One refused field of a request, named by its path (`items[0].quantity`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Every refused field of a request; never empty when returned as an error.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
pub struct Violations(Vec<FieldError>);

impl Violations {
    /// A single violation.
    pub fn one(field: impl Into<String>, invalid: Invalid) -> Self {
        let mut violations = Self::default();
        violations.push(field, invalid);
        violations
    }

    pub fn push(&mut self, field: impl Into<String>, invalid: Invalid) {
        self.0.push(FieldError { field: field.into(), message: invalid.0 });
    }

    /// The value if it is valid; otherwise records why under `field`.
    pub fn check<T>(&mut self, field: impl Into<String>, value: Result<T, Invalid>) -> Option<T> {
        value.map_err(|invalid| self.push(field, invalid)).ok()
    }

    /// Moves the violations of a nested value under `prefix` (`items[0]` + `.quantity`).
    pub fn extend_prefixed(&mut self, prefix: &str, nested: Violations) {
        self.0.extend(
            nested
                .0
                .into_iter()
                .map(|error| FieldError { field: format!("{prefix}{}", error.field), message: error.message }),
        );
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn fields(&self) -> &[FieldError] {
        &self.0
    }

    /// `Ok(value)` when nothing was refused, else these violations.
    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, Self> {
        if self.0.is_empty() { Ok(value()) } else { Err(self) }
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for error in &self.0 {
            if !first {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", error.field, error.message)?;
            first = false;
        }
        Ok(())
    }
}

/// The number of characters (not bytes) in `value` is within `min..=max`.
pub(crate) fn char_count_within(value: &str, min: usize, max: usize, what: &str) -> Result<(), Invalid> {
    let count = value.chars().count();
    if count < min {
        Err(Invalid::new(format!("{what} must have at least {min} characters")))
    } else if count > max {
        Err(Invalid::new(format!("{what} must have at most {max} characters")))
    } else {
        Ok(())
    }
}

/// Text that shows as what it says: no control characters (C0 and C1, NUL included),
/// no bidirectional overrides or isolates (U+202A-U+202E, U+2066-U+2069: they make
/// text display in another order than it is stored), and something visible, not only
/// white space or invisible characters. Joiners that scripts and emoji need are kept.
pub(crate) fn displayable(value: &str, what: &str) -> Result<(), Invalid> {
    if let Some(c) = value.chars().find(|&c| c.is_control()) {
        return Err(Invalid::new(format!("{what} must not contain control characters (found U+{:04X})", c as u32)));
    }
    if let Some(c) = value.chars().find(|c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')) {
        return Err(Invalid::new(format!(
            "{what} must not contain bidirectional overrides or isolates (found U+{:04X})",
            c as u32
        )));
    }
    let invisible = |c: char| c.is_whitespace() || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}');
    if value.chars().all(invisible) {
        return Err(Invalid::new(format!("{what} must contain visible characters, not only white space")));
    }
    Ok(())
}

/// `value` is within `min..=max`.
pub(crate) fn within(value: i64, min: i64, max: i64, what: &str) -> Result<i64, Invalid> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(Invalid::new(format!("{what} must be between {min} and {max}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_display_as_they_read_are_accepted() {
        for name in ["Widget", "Crème brûlée", "שלום", "👩‍💻 Dev kit", "می‌خواهم", "  padded  "]
        {
            assert_eq!(displayable(name, "name"), Ok(()), "{name:?}");
        }
    }

    #[test]
    fn control_characters_bidi_controls_and_blank_names_are_refused_naming_the_field() {
        for name in [
            "a\0b",
            "tab\there",
            "line\nbreak",
            "c1\u{85}",
            "evil\u{202E}txt",
            "iso\u{2066}late",
            "   ",
            "\u{200B}\u{FEFF}",
            "\u{3000}",
        ] {
            let refused = displayable(name, "name").expect_err(name);
            assert!(refused.message().starts_with("name must"), "{refused}");
        }
    }
}
