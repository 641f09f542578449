//! Money as the read models store it: integer minor units plus an ISO 4217 currency code.

use async_graphql::SimpleObject;

/// An amount of money.
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject)]
pub struct Money {
    /// Amount in the currency's minor unit (cents for EUR, yen for JPY).
    pub amount_minor: i64,
    /// ISO 4217 code, e.g. `EUR`.
    pub currency: String,
    /// Display form, locale-neutral: `12.34 EUR`, `1500 JPY`.
    pub formatted: String,
}

impl Money {
    /// `amount_minor` of `currency`.
    pub fn new(amount_minor: i64, currency: &str) -> Self {
        Self {
            amount_minor,
            currency: currency.to_string(),
            formatted: format_minor(amount_minor, currency),
        }
    }
}

/// Lowest and highest price of a product's active variants.
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject)]
pub struct PriceRange {
    /// Cheapest active variant.
    pub min: Money,
    /// Dearest active variant.
    pub max: Money,
}

/// Digits after the decimal point of a currency's minor unit (ISO 4217); 2 unless listed.
fn minor_digits(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// `1234` EUR → `12.34 EUR`; integer arithmetic only, never floats.
pub fn format_minor(amount_minor: i64, currency: &str) -> String {
    let digits = minor_digits(currency);
    let sign = if amount_minor < 0 { "-" } else { "" };
    let magnitude = amount_minor.unsigned_abs();
    if digits == 0 {
        return format!("{sign}{magnitude} {currency}");
    }
    let scale = 10u64.pow(digits);
    let (major, minor) = (magnitude / scale, magnitude % scale);
    format!(
        "{sign}{major}.{minor:0width$} {currency}",
        width = digits as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_formatted_with_the_currencys_minor_digits() {
        assert_eq!(format_minor(1234, "EUR"), "12.34 EUR");
        assert_eq!(format_minor(5, "USD"), "0.05 USD");
        assert_eq!(format_minor(1500, "JPY"), "1500 JPY");
        assert_eq!(format_minor(1234, "KWD"), "1.234 KWD");
        assert_eq!(format_minor(-250, "EUR"), "-2.50 EUR");
        assert_eq!(format_minor(i64::MIN, "EUR"), "-92233720368547758.08 EUR");
    }
}
