//! Postal addresses, shared by customers' address books and orders' shipping addresses.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A postal address. Build it freely; [`Address::validate`] checks it before a command uses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Address {
    /// Who receives the parcel.
    pub recipient: String,
    /// Street and number.
    pub line1: String,
    /// Extra line (apartment, company), may be empty.
    #[serde(default)]
    pub line2: String,
    /// City.
    pub city: String,
    /// Postal code, may be empty where countries have none.
    #[serde(default)]
    pub postal_code: String,
    /// Region or state, may be empty.
    #[serde(default)]
    pub region: String,
    /// ISO 3166-1 alpha-2 country code, uppercase (e.g. `DE`).
    pub country: String,
}

/// The first field of an address that breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("address field {field} is invalid")]
pub struct AddressError {
    /// Field name, e.g. `country`.
    pub field: &'static str,
}

/// Longest accepted field, in characters.
const FIELD_MAX: usize = 200;

impl Address {
    /// Checks required fields are present, fields are not over-long and the country is two
    /// uppercase letters.
    pub fn validate(&self) -> Result<(), AddressError> {
        let required = [
            ("recipient", &self.recipient),
            ("line1", &self.line1),
            ("city", &self.city),
        ];
        for (field, value) in required {
            if value.trim().is_empty() {
                return Err(AddressError { field });
            }
        }
        let all = [
            ("recipient", &self.recipient),
            ("line1", &self.line1),
            ("line2", &self.line2),
            ("city", &self.city),
            ("postal_code", &self.postal_code),
            ("region", &self.region),
        ];
        for (field, value) in all {
            if value.chars().count() > FIELD_MAX {
                return Err(AddressError { field });
            }
        }
        let country_ok =
            self.country.len() == 2 && self.country.bytes().all(|b| b.is_ascii_uppercase());
        if !country_ok {
            return Err(AddressError { field: "country" });
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::Address;

    /// A valid address for tests.
    pub(crate) fn address() -> Address {
        Address {
            recipient: "Ada Lovelace".into(),
            line1: "1 Analytical Way".into(),
            line2: String::new(),
            city: "London".into(),
            postal_code: "N1 1AA".into(),
            region: String::new(),
            country: "GB".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_complete_address_is_valid() {
        assert_eq!(fixtures::address().validate(), Ok(()));
    }

    #[test]
    fn missing_city_or_lowercase_country_is_refused() {
        let mut a = fixtures::address();
        a.city = " ".into();
        assert_eq!(a.validate(), Err(AddressError { field: "city" }));
        let mut a = fixtures::address();
        a.country = "gb".into();
        assert_eq!(a.validate(), Err(AddressError { field: "country" }));
    }
}
