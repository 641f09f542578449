//! E-mail addresses.

use std::fmt;

use schemars::{JsonSchema, r#gen::SchemaGenerator, schema::Schema};
use serde::{Deserialize, Serialize};

/// The longest address accepted (RFC 5321 path limit).
pub const EMAIL_MAX_LEN: usize = 254;

/// An e-mail address, trimmed and lowercased, with a basic shape check.
///
/// Lowercasing the whole address (not only the domain) is a deliberate choice: one account per
/// person matters more here than the rare mailbox whose local part is case sensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

/// Why a string is not an e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Empty, or longer than [`EMAIL_MAX_LEN`].
    #[error("an e-mail address must be 1 to {EMAIL_MAX_LEN} characters long")]
    Length,
    /// Not of the form `local@domain.tld`.
    #[error("not a valid e-mail address")]
    Shape,
}

impl Email {
    /// Validates and normalizes (trims, lowercases) an address.
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let normalized = raw.trim().to_lowercase();
        if normalized.is_empty() || normalized.len() > EMAIL_MAX_LEN {
            return Err(EmailError::Length);
        }
        let Some((local, domain)) = normalized.split_once('@') else {
            return Err(EmailError::Shape);
        };
        let labels_ok = domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && c != '@');
        if !local_ok || !labels_ok || !domain.contains('.') {
            return Err(EmailError::Shape);
        }
        Ok(Self(normalized))
    }

    /// The normalized address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = EmailError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl TryFrom<&str> for Email {
    type Error = EmailError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl JsonSchema for Email {
    fn schema_name() -> String {
        "Email".to_owned()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        super::schema::string_schema(3, 254, None, Some("email"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (team rule)
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_and_lowercased() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").map(String::from),
            Ok("ada@example.com".to_owned())
        );
    }

    #[test]
    fn address_without_at_or_domain_dot_is_refused() {
        for bad in [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "ada@ex..com",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError::Shape), "{bad}");
        }
        assert_eq!(Email::parse("   "), Err(EmailError::Length));
    }

    #[test]
    fn bad_email_on_the_wire_cannot_be_deserialized() {
        assert!(serde_json::from_str::<Email>("\"nobody\"").is_err());
    }
}
