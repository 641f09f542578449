//! Reactions to inventory and coupon events: recording their answers on the order.

use domain::{
    coupon::CouponEvent,
    inventory::InventoryEvent,
    order::{self, CancelReason, OrderCommand, OrderStatus, RejectReason},
};

use super::{Escalation, Reaction, send};
use crate::saga::view::{Cause, View};

pub(super) fn on_inventory(cause: &Cause, event: &InventoryEvent, view: &View) -> Vec<Reaction> {
    match event {
        InventoryEvent::StockReserved { order_id, line, .. } => vec![send(
            cause,
            "record-line-reserved",
            order::stream_id(*order_id),
            &OrderCommand::RecordLineReserved { line: *line },
        )],
        InventoryEvent::StockReservationRejected { order_id, line, .. } => vec![send(
            cause,
            "record-line-refused",
            order::stream_id(*order_id),
            &OrderCommand::RecordLineRefused { line: *line },
        )],
        InventoryEvent::ReservationExpired { order_id, line, .. } => {
            let mut reactions = vec![send(
                cause,
                "cancel-expired",
                order::stream_id(*order_id),
                &OrderCommand::CancelOrder {
                    reason: CancelReason::PaymentTimeout,
                },
            )];
            let paid = view.order(*order_id).is_some_and(|o| {
                matches!(
                    o.order.status(),
                    OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered
                )
            });
            if paid {
                // The order refuses the cancellation; its stock is gone, so people decide.
                reactions.push(Reaction::Escalate(Escalation {
                    order_id: Some(*order_id),
                    stream: order::stream_id(*order_id),
                    reason: "paid_order_reservation_expired",
                    detail: format!("the reservation of line {line} expired after payment"),
                }));
            }
            reactions
        }
        _ => Vec::new(),
    }
}

pub(super) fn on_coupon(cause: &Cause, event: &CouponEvent) -> Vec<Reaction> {
    match event {
        CouponEvent::CouponRedeemed {
            order_id, discount, ..
        } => vec![send(
            cause,
            "record-coupon-redeemed",
            order::stream_id(*order_id),
            &OrderCommand::RecordCouponRedeemed {
                discount: *discount,
            },
        )],
        CouponEvent::CouponRedemptionRefused { order_id, .. } => vec![send(
            cause,
            "reject-coupon-refused",
            order::stream_id(*order_id),
            &OrderCommand::RejectOrder {
                reason: RejectReason::CouponRefused,
            },
        )],
        _ => Vec::new(),
    }
}
