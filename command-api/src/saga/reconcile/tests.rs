//! Reconciliation as sentences: given a log a saga reacted to up to some point (its commands
//! answered) and what happened since without it, then exactly the commands still due, with the
//! ids the live saga would have used.

use chrono::{DateTime, TimeZone, Utc};
use domain::{
    inventory::InventoryEvent,
    order::{CancelReason, OrderEvent, OrderLine},
    payment::{PaymentEvent, PaymentMethod},
    values::{Address, Currency, Money, Sku},
};
use runtime::log::Counted;
use schemas::{Rejection, RejectionReason};
use uuid::Uuid;

use super::*;
use crate::saga::provider::{APPROVE_CARD, ProviderRequest, SimulatedProvider};

const ORDER: Uuid = Uuid::from_u128(0x0a);
const PAYMENT: Uuid = Uuid::from_u128(0x0b);

fn eur(minor: i64) -> Money {
    Money {
        amount_minor: minor,
        currency: Currency::parse("EUR").unwrap(),
    }
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

fn rules() -> Rules {
    Rules {
        reservation_ttl: chrono::Duration::minutes(15),
    }
}

fn line(line: u32, sku: &str) -> OrderLine {
    OrderLine {
        line,
        sku: Sku::parse(sku).unwrap(),
        product_id: Uuid::from_u128(0x9),
        quantity: 1,
        unit_price: eur(500),
    }
}

fn placed() -> SagaEvent {
    order(OrderEvent::OrderPlaced {
        order_id: ORDER,
        customer_id: Uuid::from_u128(0x0c),
        lines: vec![line(1, "SKU-A"), line(2, "SKU-B")],
        subtotal: eur(1000),
        discount: eur(0),
        total: eur(1000),
        coupon_code: None,
        shipping_address: Address {
            recipient: "Ada".into(),
            line1: "1 Road".into(),
            line2: String::new(),
            city: "Paris".into(),
            postal_code: String::new(),
            region: String::new(),
            country: "FR".into(),
        },
    })
}

fn order(event: OrderEvent) -> SagaEvent {
    SagaEvent::Order(ORDER, event)
}

fn payment(event: PaymentEvent) -> SagaEvent {
    SagaEvent::Payment(PAYMENT, event)
}

fn reserved(line: u32) -> SagaEvent {
    SagaEvent::Inventory(InventoryEvent::StockReserved {
        order_id: ORDER,
        line,
        quantity: 1,
        expires_at: at(),
        on_hand: 5,
        reserved: 1,
    })
}

fn committed(line: u32) -> SagaEvent {
    SagaEvent::Inventory(InventoryEvent::StockCommitted {
        order_id: ORDER,
        line,
        quantity: 1,
        on_hand: 4,
        reserved: 0,
    })
}

fn initiated() -> SagaEvent {
    payment(PaymentEvent::PaymentInitiated {
        payment_id: PAYMENT,
        order_id: ORDER,
        amount: eur(1000),
        method: PaymentMethod::Card,
        instrument_token: APPROVE_CARD.into(),
        idempotency_key: "client-key".into(),
    })
}

fn authorized() -> SagaEvent {
    payment(PaymentEvent::PaymentAuthorized {
        amount: eur(1000),
        provider_reference: "sim_auth_1".into(),
    })
}

fn captured() -> SagaEvent {
    payment(PaymentEvent::PaymentCaptured {
        amount: eur(1000),
        captured_total: eur(1000),
    })
}

/// The events of a paid checkout, in the order the saga drives them.
fn paid_checkout() -> Vec<SagaEvent> {
    vec![
        placed(),
        reserved(1),
        reserved(2),
        order(OrderEvent::OrderLineReserved { line: 1 }),
        order(OrderEvent::OrderLineReserved { line: 2 }),
        order(OrderEvent::OrderConfirmed {}),
        initiated(),
        authorized(),
        captured(),
        order(OrderEvent::OrderPaid {
            payment_id: PAYMENT,
            amount: eur(1000),
        }),
        committed(1),
        committed(2),
    ]
}

/// A log being folded at startup: the view, the ledger and the causes so far.
#[derive(Default)]
struct Log {
    view: View,
    ledger: Ledger,
    n: u128,
    causes: Vec<(Cause, SagaEvent)>,
}

impl Log {
    fn cause(&mut self) -> Cause {
        self.n += 1;
        Cause {
            event_id: Uuid::from_u128(0xe000 + self.n),
            correlation_id: Uuid::from_u128(0xc0),
            occurred_at: at(),
        }
    }

    /// Events a live saga reacted to: every command it derived was answered by the log.
    fn live(&mut self, events: &[SagaEvent]) -> &mut Self {
        for event in events {
            let cause = self.fold(event);
            for reaction in reactions::react(&cause, event, &self.view, &rules()) {
                if let Some(id) = command_of(&reaction) {
                    self.answer(id);
                }
            }
        }
        self
    }

    /// Events nobody reacted to (the saga was down, or the log was restored).
    fn silent(&mut self, events: &[SagaEvent]) -> &mut Self {
        for event in events {
            self.fold(event);
        }
        self
    }

    fn fold(&mut self, event: &SagaEvent) -> Cause {
        let cause = self.cause();
        self.view.apply(event);
        self.ledger.observe(&cause, event, &self.view);
        self.causes.push((cause, event.clone()));
        cause
    }

    fn answer(&mut self, command_id: Uuid) {
        self.ledger.answer(&Counted::Rejection(Rejection {
            stream: order::stream_id(ORDER),
            epoch: 0,
            command_id,
            request_hash: None,
            rejected_at: at(),
            error: RejectionReason {
                code: "whatever".into(),
                kind: domain::ErrorKind::Conflict,
                message: String::new(),
            },
        }));
    }

    /// What the live rules derive from the `n`-th event folded (1-based), for comparison.
    fn live_reactions(&self, n: usize) -> Vec<Reaction> {
        let (cause, event) = &self.causes[n - 1];
        reactions::react(cause, event, &self.view, &rules())
    }

    fn reconcile(&self) -> Reconciliation {
        self.ledger.reconcile(&self.view, &rules())
    }
}

fn ids(reactions: &[Reaction]) -> Vec<Uuid> {
    reactions.iter().filter_map(command_of).collect()
}

#[test]
fn a_fresh_log_has_nothing_in_flight() {
    assert_eq!(Log::default().reconcile(), Reconciliation::default());
}

#[test]
fn a_finished_checkout_gets_no_command() {
    let mut log = Log::default();
    log.live(&paid_checkout());
    assert_eq!(log.reconcile(), Reconciliation::default());
}

#[test]
fn a_placed_order_nobody_reacted_to_is_reserved_with_the_live_ids() {
    let mut log = Log::default();
    log.silent(&[placed()]);
    let reconciliation = log.reconcile();
    assert_eq!(reconciliation.in_flight, 1);
    assert_eq!(reconciliation.reactions, log.live_reactions(1));
    assert_eq!(
        reconciliation.reactions.len(),
        2,
        "one ReserveStock per line"
    );
}

#[test]
fn only_the_reservation_still_missing_is_sent_and_an_unrecorded_one_is_recorded() {
    let mut log = Log::default();
    log.silent(&[placed(), reserved(1)]);
    // The saga had sent `reserve-line-1` (answered) but not `reserve-line-2`.
    let reserve_line_1 = ids(&log.live_reactions(1))[0];
    log.answer(reserve_line_1);
    let reconciliation = log.reconcile();
    let expected = [
        ids(&log.live_reactions(1))[1],
        ids(&log.live_reactions(2))[0],
    ];
    assert_eq!(ids(&reconciliation.reactions), expected);
    assert_eq!(reconciliation.in_flight, 1);
}

#[test]
fn an_authorized_payment_is_captured_under_the_key_the_live_saga_used() {
    let mut log = Log::default();
    let history = paid_checkout();
    log.live(&history[..7]).silent(&[authorized()]);
    let reconciliation = log.reconcile();
    assert_eq!(reconciliation.reactions, log.live_reactions(8));
    let Reaction::Call(call) = &reconciliation.reactions[0] else {
        panic!("expected a capture call, got {reconciliation:?}");
    };
    // The provider forgot everything when the saga stopped; answers derive from the key, so a
    // fresh one answers the capture exactly as the first did: one capture, same reference.
    assert!(matches!(call.request, ProviderRequest::Capture { .. }));
    assert_eq!(
        SimulatedProvider::new().call(&call.idempotency_key, &call.request),
        SimulatedProvider::new().call(&call.idempotency_key, &call.request)
    );
}

#[test]
fn a_paid_order_gets_its_stock_committed_and_nothing_else() {
    let mut log = Log::default();
    let history = paid_checkout();
    log.live(&history[..9]).silent(&history[9..10]);
    let reconciliation = log.reconcile();
    assert_eq!(reconciliation.reactions, log.live_reactions(10));
    assert_eq!(
        reconciliation.reactions.len(),
        2,
        "one CommitStock per line"
    );
}

#[test]
fn a_capture_refused_before_confirmation_is_marked_paid_by_the_confirmation() {
    let mut log = Log::default();
    let history = paid_checkout();
    // Captured while the order was still placed: its `mark-paid` was refused (answered).
    log.live(&[history[0].clone(), initiated(), authorized(), captured()]);
    log.live(&history[1..5]).silent(&history[5..6]);
    let reconciliation = log.reconcile();
    let confirmed = log.causes.len();
    assert_eq!(reconciliation.reactions, log.live_reactions(confirmed));
    assert_eq!(reconciliation.reactions.len(), 1);
}

#[test]
fn a_capture_not_yet_marked_paid_is_marked_by_its_own_reaction_only() {
    let mut log = Log::default();
    let history = paid_checkout();
    log.live(&history[..8]).silent(&[captured()]);
    let reconciliation = log.reconcile();
    assert_eq!(reconciliation.reactions, log.live_reactions(9));
}

#[test]
fn a_cancelled_order_releases_its_stock_and_refunds_a_late_capture_once() {
    let mut log = Log::default();
    let history = paid_checkout();
    log.live(&history[..8]);
    log.silent(&[
        order(OrderEvent::OrderCancelled {
            reason: CancelReason::Customer,
            refund_due: eur(0),
        }),
        captured(),
    ]);
    let reconciliation = log.reconcile();
    let calls: Vec<&reactions::ProviderCall> = reconciliation
        .reactions
        .iter()
        .filter_map(|r| match r {
            Reaction::Call(call) => Some(call),
            _ => None,
        })
        .collect();
    assert_eq!(calls.len(), 1, "one refund: {reconciliation:?}");
    assert_eq!(
        calls[0].idempotency_key,
        reactions::closing_refund_id(PAYMENT).to_string()
    );
    let sends = reconciliation.reactions.len() - calls.len();
    assert_eq!(sends, 2, "both held lines released: {reconciliation:?}");
}

#[test]
fn a_rejected_order_that_released_everything_is_finished() {
    let mut log = Log::default();
    let released = SagaEvent::Inventory(InventoryEvent::ReservationReleased {
        order_id: ORDER,
        line: 1,
        quantity: 1,
        on_hand: 5,
        reserved: 0,
    });
    let refused = SagaEvent::Inventory(InventoryEvent::StockReservationRejected {
        order_id: ORDER,
        line: 2,
        requested: 1,
        available: 0,
    });
    log.live(&[
        placed(),
        reserved(1),
        refused,
        order(OrderEvent::OrderLineReserved { line: 1 }),
        order(OrderEvent::OrderLineRefused { line: 2 }),
    ]);
    log.silent(&[order(OrderEvent::OrderRejected {
        reason: domain::order::RejectReason::OutOfStock,
    })]);
    assert_eq!(log.reconcile().in_flight, 1, "line 1 is still held");
    log.silent(&[released]);
    assert_eq!(log.reconcile(), Reconciliation::default());
}
