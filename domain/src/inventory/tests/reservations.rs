//! Reserving, releasing, committing, expiring and restocking.

use pretty_assertions::assert_eq;

use super::*;

#[test]
fn adjusting_stock_below_what_is_reserved_is_refused() {
    given(with(stocked(), [reserved_ev(ORDER, 1, 8, 10, 8)]))
        .when(C::AdjustStock {
            delta: -3,
            reason: "count".into(),
        })
        .then_err(InventoryError::InsufficientStock {
            available: 2,
            requested: 3,
        });
}

#[test]
fn reserving_available_stock_holds_it() {
    let state = given(stocked())
        .when(reserve(ORDER, 1, 4))
        .then([reserved_ev(ORDER, 1, 4, 10, 4)]);
    assert_eq!(
        (state.on_hand(), state.reserved(), state.available()),
        (10, 4, 6)
    );
}

#[test]
fn reservation_that_brings_available_to_the_threshold_signals_low_stock() {
    given(stocked()).when(reserve(ORDER, 1, 8)).then([
        reserved_ev(ORDER, 1, 8, 10, 8),
        E::LowStockReached {
            available: 2,
            threshold: 2,
        },
    ]);
}

#[test]
fn reservation_is_rejected_when_stock_is_short() {
    given(stocked())
        .when(reserve(ORDER, 1, 11))
        .then([E::StockReservationRejected {
            order_id: ORDER,
            line: 1,
            requested: 11,
            available: 10,
        }]);
}

#[test]
fn reserving_the_same_order_line_twice_is_a_no_op() {
    given(with(stocked(), [reserved_ev(ORDER, 1, 4, 10, 4)]))
        .when(reserve(ORDER, 1, 4))
        .then_nothing();
}

#[test]
fn reserving_a_released_order_line_again_is_a_no_op() {
    given(with(
        stocked(),
        [
            reserved_ev(ORDER, 1, 4, 10, 4),
            E::ReservationReleased {
                order_id: ORDER,
                line: 1,
                quantity: 4,
                on_hand: 10,
                reserved: 0,
            },
        ],
    ))
    .when(reserve(ORDER, 1, 4))
    .then_nothing();
}

#[test]
fn reserving_zero_units_is_refused() {
    given(stocked())
        .when(reserve(ORDER, 1, 0))
        .then_err(InventoryError::ZeroQuantity);
}

#[test]
fn releasing_a_held_reservation_returns_the_stock() {
    given(with(stocked(), [reserved_ev(ORDER, 1, 4, 10, 4)]))
        .when(C::ReleaseStock {
            order_id: ORDER,
            line: 1,
        })
        .then([E::ReservationReleased {
            order_id: ORDER,
            line: 1,
            quantity: 4,
            on_hand: 10,
            reserved: 0,
        }]);
}

#[test]
fn releasing_what_is_not_held_is_a_no_op() {
    given(stocked())
        .when(C::ReleaseStock {
            order_id: ORDER,
            line: 1,
        })
        .then_nothing();
    let committed = with(
        stocked(),
        [
            reserved_ev(ORDER, 1, 4, 10, 4),
            E::StockCommitted {
                order_id: ORDER,
                line: 1,
                quantity: 4,
                on_hand: 6,
                reserved: 0,
            },
        ],
    );
    given(committed)
        .when(C::ReleaseStock {
            order_id: ORDER,
            line: 1,
        })
        .then_nothing();
}

#[test]
fn committing_a_held_reservation_ships_it_out() {
    let state = given(with(stocked(), [reserved_ev(ORDER, 1, 4, 10, 4)]))
        .when(C::CommitStock {
            order_id: ORDER,
            line: 1,
        })
        .then([E::StockCommitted {
            order_id: ORDER,
            line: 1,
            quantity: 4,
            on_hand: 6,
            reserved: 0,
        }]);
    assert_eq!(state.available(), 6);
    given(shipped())
        .when(C::CommitStock {
            order_id: ORDER,
            line: 1,
        })
        .then_nothing();
}

/// Four units of line 1 reserved and shipped: on hand 6.
fn shipped() -> Vec<InventoryEvent> {
    with(
        stocked(),
        [
            reserved_ev(ORDER, 1, 4, 10, 4),
            E::StockCommitted {
                order_id: ORDER,
                line: 1,
                quantity: 4,
                on_hand: 6,
                reserved: 0,
            },
        ],
    )
}

#[test]
fn committing_a_released_or_unknown_reservation_is_a_conflict() {
    let released = with(
        stocked(),
        [
            reserved_ev(ORDER, 1, 4, 10, 4),
            E::ReservationReleased {
                order_id: ORDER,
                line: 1,
                quantity: 4,
                on_hand: 10,
                reserved: 0,
            },
        ],
    );
    let error = InventoryError::ReservationNotHeld {
        order_id: ORDER,
        line: 1,
    };
    given(released)
        .when(C::CommitStock {
            order_id: ORDER,
            line: 1,
        })
        .then_err(error.clone());
    given(stocked())
        .when(C::CommitStock {
            order_id: ORDER,
            line: 1,
        })
        .then_err(error.clone());
    assert_eq!(error.kind(), ErrorKind::Conflict);
}

#[test]
fn expiring_releases_only_reservations_that_are_due() {
    let history = with(
        stocked(),
        [
            reserved_ev(ORDER, 1, 3, 10, 3),
            E::StockReserved {
                order_id: OTHER_ORDER,
                line: 1,
                quantity: 2,
                expires_at: at(45),
                on_hand: 10,
                reserved: 5,
            },
        ],
    );
    given(history.clone())
        .when(C::ExpireReservations { now: at(29) })
        .then_nothing();
    let state = given(history)
        .when(C::ExpireReservations { now: at(30) })
        .then([E::ReservationExpired {
            order_id: ORDER,
            line: 1,
            quantity: 3,
            expires_at: at(30),
            on_hand: 10,
            reserved: 2,
        }]);
    assert_eq!(
        state.reservation(ORDER, 1).map(|r| r.status),
        Some(ReservationStatus::Expired)
    );
}

#[test]
fn expiring_everything_that_was_low_signals_back_in_stock() {
    given(with(
        stocked(),
        [
            reserved_ev(ORDER, 1, 5, 10, 5),
            reserved_ev(OTHER_ORDER, 1, 5, 10, 10),
            E::LowStockReached {
                available: 0,
                threshold: 2,
            },
        ],
    ))
    .when(C::ExpireReservations { now: at(59) })
    .then([
        E::ReservationExpired {
            order_id: ORDER,
            line: 1,
            quantity: 5,
            expires_at: at(30),
            on_hand: 10,
            reserved: 5,
        },
        E::ReservationExpired {
            order_id: OTHER_ORDER,
            line: 1,
            quantity: 5,
            expires_at: at(30),
            on_hand: 10,
            reserved: 0,
        },
        E::BackInStock {
            available: 10,
            threshold: 2,
        },
    ]);
}

#[test]
fn restocking_a_shipped_line_puts_goods_back_on_hand_once() {
    let restocked = E::StockRestocked {
        order_id: ORDER,
        line: 1,
        quantity: 3,
        on_hand: 9,
        reserved: 0,
    };
    given(shipped())
        .when(C::RestockReturn {
            order_id: ORDER,
            line: 1,
            quantity: 3,
        })
        .then([restocked.clone()]);
    given(with(shipped(), [restocked]))
        .when(C::RestockReturn {
            order_id: ORDER,
            line: 1,
            quantity: 3,
        })
        .then_nothing();
}

#[test]
fn restocking_more_than_shipped_or_an_unshipped_line_is_refused() {
    given(shipped())
        .when(C::RestockReturn {
            order_id: ORDER,
            line: 1,
            quantity: 5,
        })
        .then_err(InventoryError::RestockExceedsCommitted {
            committed: 4,
            requested: 5,
        });
    given(stocked())
        .when(C::RestockReturn {
            order_id: ORDER,
            line: 1,
            quantity: 1,
        })
        .then_err(InventoryError::ReservationNotCommitted {
            order_id: ORDER,
            line: 1,
        });
    given(shipped())
        .when(C::RestockReturn {
            order_id: ORDER,
            line: 1,
            quantity: 0,
        })
        .then_err(InventoryError::ZeroQuantity);
}
