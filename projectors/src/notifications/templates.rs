//! Subjects and bodies of the e-mails, from the facts of the causing events only.
//!
//! Rendering happens once, when the reactor decides a notification, and the text is stored
//! with it: the sent log shows exactly what was (or will be) sent, and nothing depends on read
//! models that may be behind. Subjects hold only ids and fixed words (event text such as a
//! carrier name goes in the body); bodies are short ASCII lines apart from the names customers
//! and staff typed.

use domain::{order::CancelReason, values::Money};
use uuid::Uuid;

/// One e-mail's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

const SIGNATURE: &str = "\nThe Agora team\n";

/// Money as a customer reads it: `12.50 EUR`.
///
/// Assumes two minor-unit digits, true of every currency the shop sells in today; a currency
/// with another exponent (JPY, BHD) would need the exponent in `domain::values::Currency`.
pub fn format_money(money: Money) -> String {
    let sign = if money.amount_minor < 0 { "-" } else { "" };
    let units = money.amount_minor.unsigned_abs();
    format!(
        "{sign}{}.{:02} {}",
        units / 100,
        units % 100,
        money.currency
    )
}

/// Welcome mail after registration.
pub fn welcome(display_name: &str) -> Message {
    Message {
        subject: "Welcome to Agora".into(),
        body: format!(
            "Hello {display_name},\n\nyour Agora account is ready. You can sign in with this \
             e-mail address.\n{SIGNATURE}"
        ),
    }
}

/// Every line of the order is reserved; `total` when the order's placement is known.
pub fn order_confirmed(order_id: Uuid, total: Option<Money>) -> Message {
    let total = total
        .map(|total| format!("Total: {}\n", format_money(total)))
        .unwrap_or_default();
    Message {
        subject: format!("Your order {order_id} is confirmed"),
        body: format!(
            "Hello,\n\nwe have confirmed your order {order_id}.\n{total}\nWe will write again \
             when it ships.\n{SIGNATURE}"
        ),
    }
}

/// The order left the warehouse.
pub fn order_shipped(order_id: Uuid, carrier: &str, tracking_number: &str) -> Message {
    Message {
        subject: format!("Your order {order_id} has shipped"),
        body: format!(
            "Hello,\n\nyour order {order_id} is on its way.\nCarrier: {carrier}\nTracking \
             number: {tracking_number}\n{SIGNATURE}"
        ),
    }
}

/// The order was cancelled; mentions the refund when something was paid.
pub fn order_cancelled(order_id: Uuid, reason: CancelReason, refund_due: Money) -> Message {
    let why = match reason {
        CancelReason::Customer => "as you asked",
        CancelReason::PaymentTimeout => "because payment did not arrive in time",
    };
    let refund = if refund_due.amount_minor > 0 {
        format!(
            "The {} you paid will be refunded to your payment method.\n",
            format_money(refund_due)
        )
    } else {
        String::new()
    };
    Message {
        subject: format!("Your order {order_id} was cancelled"),
        body: format!("Hello,\n\nyour order {order_id} was cancelled {why}.\n{refund}{SIGNATURE}"),
    }
}

/// Money went back to the customer's payment method.
pub fn refund(order_id: Option<Uuid>, amount: Money) -> Message {
    let (subject, about) = match order_id {
        Some(order_id) => (
            format!("Refund for your order {order_id}"),
            format!(" for your order {order_id}"),
        ),
        None => ("Your refund".to_string(), String::new()),
    };
    Message {
        subject,
        body: format!(
            "Hello,\n\nwe have refunded {}{about} to your payment method. Depending on your \
             bank it can take a few days to appear.\n{SIGNATURE}",
            format_money(amount)
        ),
    }
}

/// A SKU's available stock fell to its threshold (to staff).
pub fn low_stock(sku: &str, available: u64, threshold: u32) -> Message {
    Message {
        subject: format!("Low stock: {sku}"),
        body: format!(
            "SKU {sku} is low on stock: {available} available, threshold {threshold}.\n\
             Consider receiving more.\n\n-- agora-projector (notifications)\n"
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use domain::values::Currency;

    use super::*;

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::parse("EUR").unwrap())
    }

    #[test]
    fn money_reads_with_two_decimals_and_its_currency() {
        assert_eq!(format_money(eur(1250)), "12.50 EUR");
        assert_eq!(format_money(eur(5)), "0.05 EUR");
        assert_eq!(format_money(eur(-300)), "-3.00 EUR");
    }

    #[test]
    fn a_cancellation_mentions_a_refund_only_when_something_was_paid() {
        let id = Uuid::nil();
        let unpaid = order_cancelled(id, CancelReason::PaymentTimeout, eur(0));
        assert!(!unpaid.body.contains("refunded"));
        assert!(unpaid.body.contains("did not arrive in time"));
        let paid = order_cancelled(id, CancelReason::Customer, eur(4200));
        assert!(
            paid.body
                .contains("The 42.00 EUR you paid will be refunded")
        );
        assert_eq!(paid.subject, format!("Your order {id} was cancelled"));
    }

    #[test]
    fn event_text_stays_out_of_subjects() {
        let shipped = order_shipped(Uuid::nil(), "Carrier\r\nBcc: x@y.z", "T-1");
        assert!(!shipped.subject.contains("Carrier"));
        assert!(shipped.body.contains("Tracking number: T-1"));
    }

    #[test]
    fn a_confirmation_shows_the_total_when_known() {
        let known = order_confirmed(Uuid::nil(), Some(eur(3000)));
        assert!(known.body.contains("Total: 30.00 EUR"));
        let unknown = order_confirmed(Uuid::nil(), None);
        assert!(!unknown.body.contains("Total"));
    }
}
