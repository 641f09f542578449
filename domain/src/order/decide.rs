//! The order decision function.

use uuid::Uuid;

use super::place::{self, Placement};
use super::{
    CancelReason, Order, OrderCommand, OrderError, OrderEvent, OrderStatus, PlacedOrder,
    RejectReason,
};
use crate::values::Money;

type Decision = Result<Vec<OrderEvent>, OrderError>;

fn refuse(order: &Order, action: &'static str) -> Decision {
    Err(OrderError::InvalidTransition {
        from: order.status,
        action,
    })
}

pub(super) fn decide(order: &Order, command: OrderCommand) -> Decision {
    use OrderCommand as C;
    let Some(placed) = &order.placed else {
        return match command {
            C::PlaceOrder {
                order_id,
                customer_id,
                lines,
                subtotal,
                discount,
                total,
                coupon_code,
                shipping_address,
            } => {
                place::validate(&Placement {
                    lines: &lines,
                    subtotal,
                    discount,
                    total,
                    coupon_code: coupon_code.as_ref(),
                    shipping_address: &shipping_address,
                })?;
                Ok(vec![OrderEvent::OrderPlaced {
                    order_id,
                    customer_id,
                    lines,
                    subtotal,
                    discount,
                    total,
                    coupon_code,
                    shipping_address,
                }])
            }
            _ => Err(OrderError::NotFound),
        };
    };
    match command {
        C::PlaceOrder { .. } => Err(OrderError::AlreadyExists),
        C::RecordLineReserved { line } => line_reserved(order, placed, line),
        C::RecordLineRefused { line } => line_refused(order, placed, line),
        C::RecordCouponRedeemed { discount } => coupon_redeemed(order, placed, discount),
        C::RejectOrder { reason } => match order.status {
            OrderStatus::Placed => Ok(vec![OrderEvent::OrderRejected { reason }]),
            OrderStatus::Rejected => Ok(vec![]),
            _ => refuse(order, "reject"),
        },
        C::MarkOrderPaid { payment_id, amount } => pay(order, placed, payment_id, amount),
        C::CancelOrder { reason } => cancel(order, placed, reason),
        C::ShipOrder {
            carrier,
            tracking_number,
        } => {
            if carrier.trim().is_empty() || tracking_number.trim().is_empty() {
                return Err(OrderError::InvalidShipment);
            }
            if order.status != OrderStatus::Paid {
                return refuse(order, "ship");
            }
            Ok(vec![OrderEvent::OrderShipped {
                carrier,
                tracking_number,
            }])
        }
        C::DeliverOrder {} => match order.status {
            OrderStatus::Shipped => Ok(vec![OrderEvent::OrderDelivered {}]),
            _ => refuse(order, "deliver"),
        },
        C::RefundOrder {
            refund_id,
            amount,
            reason,
        } => refund(order, placed, refund_id, amount, reason),
    }
}

/// Appends `OrderConfirmed` when, with `reserved_line` and `coupon_now` counted, every line
/// and the coupon (if any) are secured.
fn confirm_if_complete(
    order: &Order,
    placed: &PlacedOrder,
    reserved_line: Option<u32>,
    coupon_now: bool,
    events: &mut Vec<OrderEvent>,
) {
    let lines_done = placed
        .lines
        .iter()
        .all(|l| order.reserved_lines.contains(&l.line) || reserved_line == Some(l.line));
    let coupon_done = placed.coupon_code.is_none() || order.coupon_redeemed || coupon_now;
    if lines_done && coupon_done {
        events.push(OrderEvent::OrderConfirmed {});
    }
}

fn line_reserved(order: &Order, placed: &PlacedOrder, line: u32) -> Decision {
    let Some(order_line) = placed.lines.iter().find(|l| l.line == line) else {
        return Err(OrderError::UnknownLine { line });
    };
    if order.reserved_lines.contains(&line) {
        return Ok(vec![]);
    }
    match order.status {
        OrderStatus::Placed => {
            let mut events = vec![OrderEvent::OrderLineReserved { line }];
            confirm_if_complete(order, placed, Some(line), false, &mut events);
            Ok(events)
        }
        // The stock arrived after the order closed: tell the saga to give it back.
        OrderStatus::Rejected | OrderStatus::Cancelled => {
            if order.late_lines.contains(&line) {
                Ok(vec![])
            } else {
                Ok(vec![OrderEvent::LateReservationRecorded {
                    line,
                    sku: order_line.sku.clone(),
                }])
            }
        }
        _ => refuse(order, "reserve a line of"),
    }
}

fn line_refused(order: &Order, placed: &PlacedOrder, line: u32) -> Decision {
    if !placed.lines.iter().any(|l| l.line == line) {
        return Err(OrderError::UnknownLine { line });
    }
    match order.status {
        OrderStatus::Placed => Ok(vec![
            OrderEvent::OrderLineRefused { line },
            OrderEvent::OrderRejected {
                reason: RejectReason::OutOfStock,
            },
        ]),
        // Nothing is held for a refused line, so a closed order has nothing to undo.
        OrderStatus::Rejected | OrderStatus::Cancelled => Ok(vec![]),
        _ => refuse(order, "refuse a line of"),
    }
}

fn coupon_redeemed(order: &Order, placed: &PlacedOrder, discount: Money) -> Decision {
    let Some(code) = &placed.coupon_code else {
        return Err(OrderError::InvalidDiscount);
    };
    if order.coupon_redeemed {
        return Ok(vec![]);
    }
    match order.status {
        OrderStatus::Placed if discount != placed.discount => {
            // The order was priced with another discount than the coupon grants now; the
            // saga releases the redemption along with the stock.
            Ok(vec![OrderEvent::OrderRejected {
                reason: RejectReason::CouponRefused,
            }])
        }
        OrderStatus::Placed => {
            let mut events = vec![OrderEvent::OrderCouponRedeemed { discount }];
            confirm_if_complete(order, placed, None, true, &mut events);
            Ok(events)
        }
        OrderStatus::Rejected | OrderStatus::Cancelled => {
            if order.late_coupon {
                Ok(vec![])
            } else {
                Ok(vec![OrderEvent::LateCouponRedemptionRecorded {
                    code: code.clone(),
                }])
            }
        }
        _ => refuse(order, "redeem a coupon for"),
    }
}

fn pay(order: &Order, placed: &PlacedOrder, payment_id: Uuid, amount: Money) -> Decision {
    if order.payment_id == Some(payment_id) {
        return Ok(vec![]);
    }
    if order.payment_id.is_some() {
        return Err(OrderError::AlreadyPaid);
    }
    if order.status != OrderStatus::Confirmed {
        return refuse(order, "pay");
    }
    if amount != placed.total {
        return Err(OrderError::PaymentAmountMismatch {
            expected: placed.total,
            actual: amount,
        });
    }
    Ok(vec![OrderEvent::OrderPaid { payment_id, amount }])
}

fn cancel(order: &Order, placed: &PlacedOrder, reason: CancelReason) -> Decision {
    let currency = placed.total.currency;
    match (order.status, reason) {
        (OrderStatus::Placed | OrderStatus::Confirmed, _) => Ok(vec![OrderEvent::OrderCancelled {
            reason,
            refund_due: Money::zero(currency),
        }]),
        (OrderStatus::Paid, CancelReason::Customer) => {
            let paid = order.paid.unwrap_or(Money::zero(currency));
            Ok(vec![OrderEvent::OrderCancelled {
                reason,
                refund_due: Money::new(paid.amount_minor - order.refunded_minor, currency),
            }])
        }
        (OrderStatus::Cancelled, _) => Ok(vec![]),
        _ => refuse(order, "cancel"),
    }
}

fn refund(
    order: &Order,
    placed: &PlacedOrder,
    refund_id: Uuid,
    amount: Money,
    reason: String,
) -> Decision {
    if order.refund_ids.contains(&refund_id) {
        return Ok(vec![]);
    }
    if amount.amount_minor <= 0 || amount.currency != placed.total.currency {
        return Err(OrderError::InvalidRefundAmount);
    }
    let Some(paid) = order.paid else {
        return Err(OrderError::NotPaid);
    };
    let refundable = Money::new(paid.amount_minor - order.refunded_minor, paid.currency);
    if amount.amount_minor > refundable.amount_minor {
        return Err(OrderError::RefundExceedsPaid { refundable });
    }
    let total_refunded = Money::new(order.refunded_minor + amount.amount_minor, paid.currency);
    Ok(vec![OrderEvent::OrderRefunded {
        refund_id,
        amount,
        total_refunded,
        reason,
    }])
}
