//! Stock keeping unit codes.

use std::fmt;

use schemars::{JsonSchema, r#gen::SchemaGenerator, schema::Schema};
use serde::{Deserialize, Serialize};

/// The longest SKU accepted, in characters.
pub const SKU_MAX_LEN: usize = 64;

/// A stock keeping unit: 1..=64 characters of ASCII letters, digits and `-`, stored uppercase.
///
/// Lowercase input is accepted and normalized, so `abc-1` and `ABC-1` are the same SKU (and the
/// same inventory stream).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sku(String);

/// Why a string is not a SKU.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkuError {
    /// Empty, or longer than [`SKU_MAX_LEN`].
    #[error("a SKU must be 1 to {SKU_MAX_LEN} characters long")]
    Length,
    /// Contains something other than ASCII letters, digits or `-`.
    #[error("a SKU may only contain ASCII letters, digits and '-'")]
    Character,
}

impl Sku {
    /// Validates and normalizes (uppercases) a SKU.
    pub fn parse(raw: &str) -> Result<Self, SkuError> {
        if raw.is_empty() || raw.len() > SKU_MAX_LEN {
            return Err(SkuError::Length);
        }
        if !raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(SkuError::Character);
        }
        Ok(Self(raw.to_ascii_uppercase()))
    }

    /// The normalized code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Sku {
    type Error = SkuError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl TryFrom<&str> for Sku {
    type Error = SkuError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<Sku> for String {
    fn from(value: Sku) -> Self {
        value.0
    }
}

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Sku {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl JsonSchema for Sku {
    fn schema_name() -> String {
        "Sku".to_owned()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        // The wire form is always the normalized (uppercase) one.
        super::schema::string_schema(1, 64, Some("^[A-Z0-9-]{1,64}$"), None)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (team rule)
mod tests {
    use super::*;

    #[test]
    fn lowercase_sku_is_normalized_to_uppercase() {
        assert_eq!(
            Sku::parse("abc-1").map(String::from),
            Ok("ABC-1".to_owned())
        );
    }

    #[test]
    fn empty_or_too_long_sku_is_refused() {
        assert_eq!(Sku::parse(""), Err(SkuError::Length));
        assert_eq!(Sku::parse(&"A".repeat(65)), Err(SkuError::Length));
        assert!(Sku::parse(&"A".repeat(64)).is_ok());
    }

    #[test]
    fn sku_with_spaces_or_unicode_is_refused() {
        assert_eq!(Sku::parse("AB C"), Err(SkuError::Character));
        assert_eq!(Sku::parse("ÄBC"), Err(SkuError::Character));
        assert_eq!(Sku::parse("AB_C"), Err(SkuError::Character));
    }

    #[test]
    fn bad_sku_on_the_wire_cannot_be_deserialized() {
        assert!(serde_json::from_str::<Sku>("\"no spaces\"").is_err());
        assert_eq!(
            serde_json::from_str::<Sku>("\"abc-1\"")
                .ok()
                .map(String::from),
            Some("ABC-1".to_owned())
        );
    }
}
