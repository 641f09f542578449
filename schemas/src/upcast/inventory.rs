//! Upcasters for inventory events.

use serde_json::Value;

use super::{Step, into_object, take_field};

/// What a v1 `StockAdjusted` becomes when it did not say why.
pub const UNRECORDED_REASON: &str = "unspecified";

/// `StockAdjusted` v1 → v2.
///
/// v1 carried the signed change as `quantity` and no reason; v2 calls the change `delta` (so it
/// is not mistaken for an absolute count, as `quantity` is in every other inventory event) and
/// requires a `reason`. Old adjustments get [`UNRECORDED_REASON`]: inventing a cause would be
/// worse than admitting there was none.
pub const STOCK_ADJUSTED_V1: Step = Step {
    event_type: "StockAdjusted",
    from: 1,
    apply: stock_adjusted_v1_to_v2,
};

fn stock_adjusted_v1_to_v2(data: Value) -> Result<Value, String> {
    let mut object = into_object(data)?;
    let quantity = take_field(&mut object, "quantity")?;
    if !quantity.is_i64() {
        return Err(format!(
            "`quantity` must be a signed integer, found {quantity}"
        ));
    }
    object.insert("delta".into(), quantity);
    object.insert("reason".into(), Value::String(UNRECORDED_REASON.into()));
    Ok(Value::Object(object))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_v1_adjustment_keeps_its_signed_change_as_delta_with_an_unspecified_reason() {
        let v1 = json!({"quantity": -3, "on_hand": 7, "reserved": 2});
        assert_eq!(
            stock_adjusted_v1_to_v2(v1),
            Ok(json!({"delta": -3, "reason": "unspecified", "on_hand": 7, "reserved": 2}))
        );
    }

    #[test]
    fn a_v1_adjustment_without_quantity_is_reported_as_malformed() {
        let err = stock_adjusted_v1_to_v2(json!({"on_hand": 7, "reserved": 2}));
        assert_eq!(err, Err("missing field `quantity`".to_owned()));
    }

    #[test]
    fn a_v1_adjustment_with_a_fractional_quantity_is_refused() {
        let err = stock_adjusted_v1_to_v2(json!({"quantity": 1.5, "on_hand": 7, "reserved": 2}));
        assert!(err.is_err());
    }
}
