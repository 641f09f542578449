//! Reactions to a staff refund recorded on an order.

use domain::{
    coupon::{self, CouponCommand},
    inventory::{self, InventoryCommand},
    order,
    values::Money,
};
use uuid::Uuid;

use super::{Escalation, Reaction, payments, send, unknown_order};
use crate::saga::view::{Cause, View};

/// A refund recorded on a paid order: the money goes back through the payment that paid it
/// (under the order's refund id), and once everything paid is refunded the goods count as
/// returned: each line's committed stock is restocked and the coupon redemption released.
pub(super) fn on_refund(
    cause: &Cause,
    order_id: Uuid,
    refund_id: Uuid,
    amount: Money,
    total_refunded: Money,
    view: &View,
) -> Vec<Reaction> {
    let order_stream = order::stream_id(order_id);
    let Some(order) = view.order(order_id) else {
        return vec![unknown_order(order_id, &order_stream)];
    };
    let mut reactions = Vec::new();
    let paying = order.paid_by.and_then(|payment_id| {
        Some((
            payment_id,
            view.payment(payment_id)?.provider_reference.clone()?,
        ))
    });
    match paying {
        Some((payment_id, reference)) => reactions.push(payments::refund_as(
            cause, payment_id, reference, refund_id, amount,
        )),
        None => reactions.push(Reaction::Escalate(Escalation {
            order_id: Some(order_id),
            stream: order_stream.clone(),
            reason: "refund_without_payment",
            detail: format!("refund {refund_id} recorded but no captured payment paid the order"),
        })),
    }
    let Some(placed) = order.order.placed() else {
        return reactions;
    };
    if total_refunded.amount_minor >= placed.total.amount_minor {
        for line in &placed.lines {
            reactions.push(send(
                cause,
                &format!("restock-line-{}", line.line),
                inventory::stream_id(&line.sku),
                &InventoryCommand::RestockReturn {
                    order_id,
                    line: line.line,
                    quantity: line.quantity,
                },
            ));
        }
        if let Some(code) = &placed.coupon_code {
            reactions.push(send(
                cause,
                "release-coupon-after-refund",
                coupon::stream_id(code),
                &CouponCommand::ReleaseRedemption { order_id },
            ));
        }
    }
    reactions
}
