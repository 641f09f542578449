//! Stream ids: `<KIND>-<id>`, the routing key of commands and events.
//!
//! Kinds never contain `-`, so the first `-` separates kind from id even when the id has
//! dashes of its own (UUIDs, SKUs like `ABC-1`).

/// Every aggregate kind, i.e. every stream prefix.
pub const KINDS: &[&str] = &[
    crate::cart::KIND,
    crate::coupon::KIND,
    crate::customer::KIND,
    crate::email_claim::KIND,
    crate::inventory::KIND,
    crate::order::KIND,
    crate::payment::KIND,
    crate::product::KIND,
];

/// Splits `inventory-ABC-1` into `("inventory", "ABC-1")`; `None` without a dash or with an
/// empty part.
pub fn split(stream: &str) -> Option<(&str, &str)> {
    let (kind, id) = stream.split_once('-')?;
    (!kind.is_empty() && !id.is_empty()).then_some((kind, id))
}

/// The kind of a stream id, if it is a known one.
pub fn kind_of(stream: &str) -> Option<&'static str> {
    let (kind, _) = split(stream)?;
    KINDS.iter().copied().find(|k| *k == kind)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (team rule)
mod tests {
    use super::*;
    use crate::values::Sku;

    #[test]
    fn a_stream_id_splits_at_the_first_dash() {
        assert_eq!(split("inventory-ABC-1"), Some(("inventory", "ABC-1")));
        assert_eq!(split("inventory"), None);
        assert_eq!(split("-x"), None);
    }

    #[test]
    fn every_stream_id_helper_produces_a_known_kind() {
        let id = uuid::Uuid::from_u128(5);
        let sku = Sku::parse("ABC-1").unwrap();
        let email = crate::values::Email::parse("a@b.co").unwrap();
        let code = crate::values::CouponCode::parse("X").unwrap();
        let streams = [
            crate::cart::stream_id(id),
            crate::coupon::stream_id(&code),
            crate::customer::stream_id(id),
            crate::email_claim::stream_id(&email),
            crate::inventory::stream_id(&sku),
            crate::order::stream_id(id),
            crate::payment::stream_id(id),
            crate::product::stream_id(id),
        ];
        let kinds: Vec<_> = streams.iter().map(|s| kind_of(s)).collect();
        assert_eq!(kinds, KINDS.iter().map(|k| Some(*k)).collect::<Vec<_>>());
        assert!(KINDS.iter().all(|k| !k.contains('-')));
    }
}
