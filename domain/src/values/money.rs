//! Money as integer minor units plus a currency, never floats.
//!
//! Rounding rule (the only place the domain rounds): [`Money::basis_points`] rounds half up
//! (half away from zero) to the minor unit. Callers that compute discounts then cap the result at
//! the amount it is taken from, so a discount never exceeds the subtotal.

use std::fmt;

use schemars::{JsonSchema, r#gen::SchemaGenerator, schema::Schema};
use serde::{Deserialize, Serialize};

/// An ISO 4217-shaped currency code: exactly three ASCII uppercase letters (e.g. `EUR`).
///
/// Lowercase input is normalized. The domain does not keep a list of real currencies: it only
/// refuses to mix different ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

/// Why a string is not a currency code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a currency is three ASCII letters, e.g. EUR")]
pub struct CurrencyError;

impl Currency {
    /// Validates and normalizes (uppercases) a currency code.
    pub fn parse(raw: &str) -> Result<Self, CurrencyError> {
        match raw.as_bytes() {
            [a, b, c] if raw.bytes().all(|x| x.is_ascii_alphabetic()) => Ok(Self([
                a.to_ascii_uppercase(),
                b.to_ascii_uppercase(),
                c.to_ascii_uppercase(),
            ])),
            _ => Err(CurrencyError),
        }
    }

    /// The three-letter code.
    pub fn as_str(&self) -> &str {
        // The bytes are ASCII letters by construction, so they are always valid UTF-8.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl TryFrom<String> for Currency {
    type Error = CurrencyError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl TryFrom<&str> for Currency {
    type Error = CurrencyError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.as_str().to_owned()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl JsonSchema for Currency {
    fn schema_name() -> String {
        "Currency".to_owned()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        super::schema::string_schema(3, 3, Some("^[A-Z]{3}$"), None)
    }
}

/// An amount of money in minor units (cents for EUR) of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Money {
    /// Amount in the currency's minor unit; may be negative only where a rule says so.
    pub amount_minor: i64,
    /// The currency of the amount.
    pub currency: Currency,
}

/// Why an arithmetic operation on money was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The operands are in different currencies.
    #[error("cannot combine {left} with {right}")]
    CurrencyMismatch {
        /// Currency of the left operand.
        left: Currency,
        /// Currency of the right operand.
        right: Currency,
    },
    /// The result does not fit in 64-bit minor units.
    #[error("amount overflow")]
    Overflow,
}

impl Money {
    /// `amount_minor` units of `currency`.
    pub const fn new(amount_minor: i64, currency: Currency) -> Self {
        Self {
            amount_minor,
            currency,
        }
    }

    /// Zero in `currency`.
    pub const fn zero(currency: Currency) -> Self {
        Self::new(0, currency)
    }

    /// True when the amount is below zero.
    pub const fn is_negative(&self) -> bool {
        self.amount_minor < 0
    }

    /// True when the amount is zero.
    pub const fn is_zero(&self) -> bool {
        self.amount_minor == 0
    }

    fn same_currency(&self, other: &Self) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            })
        }
    }

    /// `self + other`, refusing mixed currencies and overflow.
    pub fn checked_add(self, other: Self) -> Result<Self, MoneyError> {
        self.same_currency(&other)?;
        let amount = self
            .amount_minor
            .checked_add(other.amount_minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(amount, self.currency))
    }

    /// `self - other`, refusing mixed currencies and overflow.
    pub fn checked_sub(self, other: Self) -> Result<Self, MoneyError> {
        self.same_currency(&other)?;
        let amount = self
            .amount_minor
            .checked_sub(other.amount_minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(amount, self.currency))
    }

    /// `self × quantity` (a line total), refusing overflow.
    pub fn checked_mul(self, quantity: u32) -> Result<Self, MoneyError> {
        let amount = self
            .amount_minor
            .checked_mul(i64::from(quantity))
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(amount, self.currency))
    }

    /// `basis_points / 10 000` of `self`, rounded half up (away from zero) to the minor unit.
    ///
    /// 1 000 bp of 0.05 EUR is 0.005 EUR, which rounds to 0.01 EUR. Intermediate results are
    /// computed in 128 bits, so only a result outside `i64` overflows.
    pub fn basis_points(self, basis_points: u32) -> Result<Self, MoneyError> {
        let product = i128::from(self.amount_minor) * i128::from(basis_points);
        let magnitude = (product.abs() + 5_000) / 10_000;
        let rounded = if product < 0 { -magnitude } else { magnitude };
        let amount = i64::try_from(rounded).map_err(|_| MoneyError::Overflow)?;
        Ok(Self::new(amount, self.currency))
    }

    /// The smaller of two amounts of the same currency.
    pub fn checked_min(self, other: Self) -> Result<Self, MoneyError> {
        self.same_currency(&other)?;
        Ok(if other.amount_minor < self.amount_minor {
            other
        } else {
            self
        })
    }

    /// Compares two amounts of the same currency.
    pub fn checked_cmp(&self, other: &Self) -> Result<std::cmp::Ordering, MoneyError> {
        self.same_currency(other)?;
        Ok(self.amount_minor.cmp(&other.amount_minor))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} (minor units)", self.amount_minor, self.currency)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (team rule)
mod tests {
    use super::*;

    fn eur(amount: i64) -> Money {
        Money::new(amount, Currency::parse("EUR").unwrap())
    }

    fn usd(amount: i64) -> Money {
        Money::new(amount, Currency::parse("usd").unwrap())
    }

    #[test]
    fn currency_is_three_letters_normalized_to_uppercase() {
        assert_eq!(
            Currency::parse("eur").map(String::from),
            Ok("EUR".to_owned())
        );
        assert_eq!(Currency::parse("EU"), Err(CurrencyError));
        assert_eq!(Currency::parse("EU1"), Err(CurrencyError));
        assert_eq!(Currency::parse("EURO"), Err(CurrencyError));
    }

    #[test]
    fn adding_different_currencies_is_refused() {
        assert!(matches!(
            eur(1).checked_add(usd(1)),
            Err(MoneyError::CurrencyMismatch { .. })
        ));
        assert_eq!(eur(150).checked_add(eur(50)), Ok(eur(200)));
        assert_eq!(eur(150).checked_sub(eur(200)), Ok(eur(-50)));
    }

    #[test]
    fn overflowing_arithmetic_is_refused() {
        assert_eq!(eur(i64::MAX).checked_add(eur(1)), Err(MoneyError::Overflow));
        assert_eq!(eur(i64::MIN).checked_sub(eur(1)), Err(MoneyError::Overflow));
        assert_eq!(eur(i64::MAX).checked_mul(2), Err(MoneyError::Overflow));
        assert_eq!(
            eur(i64::MAX).basis_points(20_000),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn basis_points_round_half_up_to_the_minor_unit() {
        assert_eq!(eur(5).basis_points(1_000), Ok(eur(1))); // 0.5 -> 1
        assert_eq!(eur(4).basis_points(1_000), Ok(eur(0))); // 0.4 -> 0
        assert_eq!(eur(1_999).basis_points(1_500), Ok(eur(300))); // 299.85 -> 300
        assert_eq!(eur(-5).basis_points(1_000), Ok(eur(-1)));
        assert_eq!(eur(12_345).basis_points(10_000), Ok(eur(12_345)));
    }

    #[test]
    fn money_serializes_as_minor_units_and_code() {
        let json = serde_json::to_value(eur(1_250)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"amount_minor": 1250, "currency": "EUR"})
        );
        assert!(serde_json::from_str::<Money>(r#"{"amount_minor":1,"currency":"E"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount_minor":1.5,"currency":"EUR"}"#).is_err());
    }
}
