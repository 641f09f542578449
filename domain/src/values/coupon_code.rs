//! Coupon codes.

use std::fmt;

use schemars::{JsonSchema, r#gen::SchemaGenerator, schema::Schema};
use serde::{Deserialize, Serialize};

/// The longest coupon code accepted, in characters.
pub const COUPON_CODE_MAX_LEN: usize = 32;

/// A coupon code: 1..=32 ASCII letters, digits, `-` or `_`, stored uppercase, so codes are
/// matched case-insensitively (`summer-10` redeems `SUMMER-10`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CouponCode(String);

/// Why a string is not a coupon code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a coupon code is 1 to {COUPON_CODE_MAX_LEN} ASCII letters, digits, '-' or '_'")]
pub struct CouponCodeError;

impl CouponCode {
    /// Validates and normalizes (trims, uppercases) a code.
    pub fn parse(raw: &str) -> Result<Self, CouponCodeError> {
        let raw = raw.trim();
        let ok = !raw.is_empty()
            && raw.len() <= COUPON_CODE_MAX_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(raw.to_ascii_uppercase()))
        } else {
            Err(CouponCodeError)
        }
    }

    /// The normalized code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CouponCode {
    type Error = CouponCodeError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl TryFrom<&str> for CouponCode {
    type Error = CouponCodeError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<CouponCode> for String {
    fn from(value: CouponCode) -> Self {
        value.0
    }
}

impl fmt::Display for CouponCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for CouponCode {
    fn schema_name() -> String {
        "CouponCode".to_owned()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        super::schema::string_schema(1, 32, Some("^[A-Z0-9_-]{1,32}$"), None)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (team rule)
mod tests {
    use super::*;

    #[test]
    fn coupon_code_is_trimmed_and_uppercased() {
        assert_eq!(
            CouponCode::parse(" summer_10 ").unwrap().as_str(),
            "SUMMER_10"
        );
    }

    #[test]
    fn empty_long_or_spaced_coupon_code_is_refused() {
        assert_eq!(CouponCode::parse(""), Err(CouponCodeError));
        assert_eq!(CouponCode::parse(&"A".repeat(33)), Err(CouponCodeError));
        assert_eq!(CouponCode::parse("SUMMER 10"), Err(CouponCodeError));
    }
}
