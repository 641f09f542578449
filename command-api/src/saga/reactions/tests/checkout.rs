//! Reactions to orders, stock and coupons.

use super::*;

#[test]
fn an_order_placed_reserves_every_line_until_the_ttl_runs_out() {
    let mut view = View::default();
    let reactions = when(&mut view, 1, placed(None));
    let sent = sends(&reactions);
    assert_eq!(sent.len(), 2);
    let expires_at = at() + chrono::Duration::minutes(15);
    assert_eq!(sent[0].stream, "inventory-SKU-A");
    assert_eq!(
        decoded::<InventoryCommand>(sent[0]),
        InventoryCommand::ReserveStock {
            order_id: ORDER,
            line: 1,
            quantity: 2,
            expires_at
        }
    );
    assert_eq!(sent[1].stream, "inventory-SKU-B");
    assert_eq!(
        decoded::<InventoryCommand>(sent[1]),
        InventoryCommand::ReserveStock {
            order_id: ORDER,
            line: 2,
            quantity: 1,
            expires_at
        }
    );
}

#[test]
fn an_order_placed_with_a_coupon_also_redeems_it_for_the_order_subtotal() {
    let mut view = View::default();
    let reactions = when(&mut view, 1, placed(Some("SAVE10")));
    let sent = sends(&reactions);
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[2].stream, "coupon-SAVE10");
    assert_eq!(
        decoded::<CouponCommand>(sent[2]),
        CouponCommand::RedeemCoupon {
            order_id: ORDER,
            customer_id: CUSTOMER,
            subtotal: eur(1500),
            now: at()
        }
    );
}

#[test]
fn command_ids_are_derived_from_the_cause_and_stable_across_redelivery() {
    let first = when(&mut View::default(), 1, placed(Some("SAVE10")));
    let again = when(&mut View::default(), 1, placed(Some("SAVE10")));
    let other_cause = when(&mut View::default(), 2, placed(Some("SAVE10")));
    let ids = |r: &[Reaction]| sends(r).iter().map(|e| e.command_id).collect::<Vec<_>>();
    assert_eq!(
        ids(&first),
        ids(&again),
        "the same event yields the same ids"
    );
    assert_ne!(ids(&first), ids(&other_cause));
    let mut unique = ids(&first);
    unique.dedup();
    assert_eq!(unique.len(), 3, "each purpose has its own id");
    let reserve = sends(&first)[0];
    assert_eq!(
        reserve.command_id,
        Uuid::new_v5(&cause(1).event_id, b"reserve-line-1")
    );
    assert_eq!(reserve.causation_id, cause(1).event_id);
    assert_eq!(reserve.correlation_id, CORRELATION);
    assert_eq!(reserve.actor, "system:checkout-saga");
    assert_eq!(reserve.issued_at, at());
    assert_eq!(reserve.request_hash, None);
}

#[test]
fn a_reserved_line_is_recorded_on_its_order() {
    let reactions = when(
        &mut View::default(),
        3,
        SagaEvent::Inventory(InventoryEvent::StockReserved {
            order_id: ORDER,
            line: 2,
            quantity: 1,
            expires_at: at(),
            on_hand: 5,
            reserved: 1,
        }),
    );
    let sent = only_send(&reactions);
    assert_eq!(sent.stream, format!("order-{ORDER}"));
    assert_eq!(
        decoded::<OrderCommand>(sent),
        OrderCommand::RecordLineReserved { line: 2 }
    );
}

#[test]
fn a_rejected_reservation_is_recorded_as_a_refused_line() {
    let reactions = when(
        &mut View::default(),
        3,
        SagaEvent::Inventory(InventoryEvent::StockReservationRejected {
            order_id: ORDER,
            line: 1,
            requested: 2,
            available: 0,
        }),
    );
    let sent = only_send(&reactions);
    assert_eq!(sent.stream, format!("order-{ORDER}"));
    assert_eq!(
        decoded::<OrderCommand>(sent),
        OrderCommand::RecordLineRefused { line: 1 }
    );
}

#[test]
fn a_redeemed_coupon_is_recorded_on_the_order_with_its_discount() {
    let reactions = when(
        &mut View::default(),
        4,
        SagaEvent::Coupon(CouponEvent::CouponRedeemed {
            order_id: ORDER,
            customer_id: CUSTOMER,
            subtotal: eur(1500),
            discount: eur(100),
        }),
    );
    assert_eq!(
        decoded::<OrderCommand>(only_send(&reactions)),
        OrderCommand::RecordCouponRedeemed { discount: eur(100) }
    );
}

#[test]
fn a_refused_coupon_rejects_the_order() {
    let reactions = when(
        &mut View::default(),
        4,
        SagaEvent::Coupon(CouponEvent::CouponRedemptionRefused {
            order_id: ORDER,
            customer_id: CUSTOMER,
            reason: RefusalReason::Expired,
        }),
    );
    let sent = only_send(&reactions);
    assert_eq!(sent.stream, format!("order-{ORDER}"));
    assert_eq!(
        decoded::<OrderCommand>(sent),
        OrderCommand::RejectOrder {
            reason: RejectReason::CouponRefused
        }
    );
}

#[test]
fn a_rejected_order_releases_every_line_and_its_coupon() {
    let mut view = given(&[placed(Some("SAVE10"))]);
    let reactions = when(
        &mut view,
        5,
        order(OrderEvent::OrderRejected {
            reason: RejectReason::OutOfStock,
        }),
    );
    let sent = sends(&reactions);
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[0].stream, "inventory-SKU-A");
    assert_eq!(
        decoded::<InventoryCommand>(sent[0]),
        InventoryCommand::ReleaseStock {
            order_id: ORDER,
            line: 1
        }
    );
    assert_eq!(sent[1].stream, "inventory-SKU-B");
    assert_eq!(
        decoded::<InventoryCommand>(sent[1]),
        InventoryCommand::ReleaseStock {
            order_id: ORDER,
            line: 2
        }
    );
    assert_eq!(sent[2].stream, "coupon-SAVE10");
    assert_eq!(
        decoded::<CouponCommand>(sent[2]),
        CouponCommand::ReleaseRedemption { order_id: ORDER }
    );
}

#[test]
fn a_late_reservation_is_released() {
    let reactions = when(
        &mut given(&[placed(None)]),
        6,
        order(OrderEvent::LateReservationRecorded {
            line: 2,
            sku: Sku::parse("SKU-B").unwrap(),
        }),
    );
    let sent = only_send(&reactions);
    assert_eq!(sent.stream, "inventory-SKU-B");
    assert_eq!(
        decoded::<InventoryCommand>(sent),
        InventoryCommand::ReleaseStock {
            order_id: ORDER,
            line: 2
        }
    );
}

#[test]
fn a_late_coupon_redemption_is_released() {
    let reactions = when(
        &mut given(&[placed(Some("SAVE10"))]),
        6,
        order(OrderEvent::LateCouponRedemptionRecorded {
            code: CouponCode::parse("SAVE10").unwrap(),
        }),
    );
    let sent = only_send(&reactions);
    assert_eq!(sent.stream, "coupon-SAVE10");
    assert_eq!(
        decoded::<CouponCommand>(sent),
        CouponCommand::ReleaseRedemption { order_id: ORDER }
    );
}

#[test]
fn a_paid_order_commits_the_stock_of_every_line() {
    let mut view = given(&[placed(None)]);
    let reactions = when(
        &mut view,
        10,
        order(OrderEvent::OrderPaid {
            payment_id: PAYMENT,
            amount: eur(1500),
        }),
    );
    let sent = sends(&reactions);
    assert_eq!(sent.len(), 2);
    assert_eq!(
        decoded::<InventoryCommand>(sent[0]),
        InventoryCommand::CommitStock {
            order_id: ORDER,
            line: 1
        }
    );
    assert_eq!(sent[1].stream, "inventory-SKU-B");
    assert_eq!(
        decoded::<InventoryCommand>(sent[1]),
        InventoryCommand::CommitStock {
            order_id: ORDER,
            line: 2
        }
    );
}

#[test]
fn a_paid_order_whose_reservation_expired_commits_nothing_for_that_line_and_escalates() {
    let mut view = given(&[placed(None), expired(2)]);
    let reactions = when(
        &mut view,
        10,
        order(OrderEvent::OrderPaid {
            payment_id: PAYMENT,
            amount: eur(1500),
        }),
    );
    let sent = only_send(&reactions);
    assert_eq!(
        sent.stream, "inventory-SKU-A",
        "only the held line is committed"
    );
    let escalated = escalations(&reactions);
    assert_eq!(escalated.len(), 1);
    assert_eq!(escalated[0].reason, "paid_order_reservation_expired");
}

#[test]
fn an_expired_reservation_cancels_its_order_for_payment_timeout() {
    let mut view = given(&[placed(None)]);
    let reactions = when(&mut view, 11, expired(1));
    let sent = only_send(&reactions);
    assert_eq!(sent.stream, format!("order-{ORDER}"));
    assert_eq!(
        decoded::<OrderCommand>(sent),
        OrderCommand::CancelOrder {
            reason: CancelReason::PaymentTimeout
        }
    );
    assert!(escalations(&reactions).is_empty());
}

#[test]
fn an_expired_reservation_of_a_paid_order_escalates() {
    let mut view = given(&[
        placed(None),
        order(OrderEvent::OrderConfirmed {}),
        order(OrderEvent::OrderPaid {
            payment_id: PAYMENT,
            amount: eur(1500),
        }),
    ]);
    let reactions = when(&mut view, 11, expired(1));
    assert_eq!(escalations(&reactions).len(), 1);
}

#[test]
fn events_that_need_nothing_cause_nothing() {
    let mut view = given(&[placed(None), initiated(APPROVE_CARD)]);
    for (n, event) in [
        order(OrderEvent::OrderConfirmed {}),
        order(OrderEvent::OrderLineReserved { line: 1 }),
        payment(PaymentEvent::PaymentDeclined {
            reason: "card_declined".into(),
        }),
        payment(PaymentEvent::PaymentFailed {
            reason: "provider_unavailable".into(),
        }),
        SagaEvent::Inventory(InventoryEvent::StockReceived {
            quantity: 3,
            on_hand: 3,
            reserved: 0,
        }),
    ]
    .into_iter()
    .enumerate()
    {
        let reactions = when(&mut view, 20 + n as u128, event.clone());
        assert!(reactions.is_empty(), "{event:?} caused {reactions:?}");
    }
}
