//! The payment decision function.

use uuid::Uuid;

use super::{InitiatedPayment, Payment, PaymentCommand, PaymentError, PaymentEvent, PaymentStatus};
use crate::values::Money;

type Decision = Result<Vec<PaymentEvent>, PaymentError>;

/// Longest idempotency key, token, reference or reason.
const TEXT_MAX: usize = 200;

fn text(field: &'static str, value: &str) -> Result<(), PaymentError> {
    if value.trim().is_empty() || value.chars().count() > TEXT_MAX {
        return Err(PaymentError::InvalidReference { field });
    }
    Ok(())
}

fn amount(initiated: &InitiatedPayment, amount: &Money) -> Result<(), PaymentError> {
    if amount.currency != initiated.amount.currency {
        return Err(PaymentError::CurrencyMismatch);
    }
    if amount.amount_minor <= 0 {
        return Err(PaymentError::InvalidAmount);
    }
    Ok(())
}

fn refuse(payment: &Payment, action: &'static str) -> Decision {
    Err(PaymentError::InvalidTransition {
        from: payment.status,
        action,
    })
}

pub(super) fn decide(payment: &Payment, command: PaymentCommand) -> Decision {
    use PaymentCommand as C;
    use PaymentEvent as E;
    use PaymentStatus as S;
    let Some(initiated) = &payment.initiated else {
        return match command {
            C::InitiatePayment {
                payment_id,
                order_id,
                amount,
                method,
                instrument_token,
                idempotency_key,
            } => {
                if amount.amount_minor <= 0 {
                    return Err(PaymentError::InvalidAmount);
                }
                text("instrument_token", &instrument_token)?;
                text("idempotency_key", &idempotency_key)?;
                Ok(vec![E::PaymentInitiated {
                    payment_id,
                    order_id,
                    amount,
                    method,
                    instrument_token,
                    idempotency_key,
                }])
            }
            _ => Err(PaymentError::NotFound),
        };
    };
    let currency = initiated.amount.currency;
    match command {
        C::InitiatePayment {
            idempotency_key, ..
        } => {
            if idempotency_key == initiated.idempotency_key {
                Ok(vec![])
            } else {
                Err(PaymentError::AlreadyExists)
            }
        }
        C::AuthorizePayment {
            amount: authorized,
            provider_reference,
        } => {
            text("provider_reference", &provider_reference)?;
            if payment.provider_reference.as_deref() == Some(provider_reference.as_str()) {
                return Ok(vec![]);
            }
            if payment.status != S::Initiated {
                return refuse(payment, "authorize");
            }
            amount(initiated, &authorized)?;
            if authorized.amount_minor > initiated.amount.amount_minor {
                return Err(PaymentError::AuthorizationExceedsAmount {
                    requested: initiated.amount,
                });
            }
            Ok(vec![E::PaymentAuthorized {
                amount: authorized,
                provider_reference,
            }])
        }
        C::CapturePayment { amount: captured } => {
            if !matches!(payment.status, S::Authorized | S::Captured) {
                return refuse(payment, "capture");
            }
            amount(initiated, &captured)?;
            let capturable = payment.authorized_minor - payment.captured_minor;
            if captured.amount_minor > capturable {
                return Err(PaymentError::CaptureExceedsAuthorized {
                    capturable: Money::new(capturable, currency),
                });
            }
            Ok(vec![E::PaymentCaptured {
                amount: captured,
                captured_total: Money::new(
                    payment.captured_minor + captured.amount_minor,
                    currency,
                ),
            }])
        }
        C::DeclinePayment { reason } => match payment.status {
            S::Initiated => Ok(vec![E::PaymentDeclined { reason }]),
            S::Declined => Ok(vec![]),
            _ => refuse(payment, "decline"),
        },
        C::FailPayment { reason } => match payment.status {
            S::Initiated | S::Authorized => Ok(vec![E::PaymentFailed { reason }]),
            S::Failed => Ok(vec![]),
            _ => refuse(payment, "fail"),
        },
        C::RefundPayment {
            refund_id,
            amount: refunded,
        } => refund(payment, initiated, refund_id, refunded),
    }
}

fn refund(
    payment: &Payment,
    initiated: &InitiatedPayment,
    refund_id: Uuid,
    refunded: Money,
) -> Decision {
    if payment.refund_ids.contains(&refund_id) {
        return Ok(vec![]);
    }
    if !matches!(
        payment.status,
        PaymentStatus::Captured | PaymentStatus::Refunded
    ) {
        return refuse(payment, "refund");
    }
    amount(initiated, &refunded)?;
    let currency = initiated.amount.currency;
    let refundable = payment.captured_minor - payment.refunded_minor;
    if refunded.amount_minor > refundable {
        return Err(PaymentError::RefundExceedsCaptured {
            refundable: Money::new(refundable, currency),
        });
    }
    Ok(vec![PaymentEvent::PaymentRefunded {
        refund_id,
        amount: refunded,
        refunded_total: Money::new(payment.refunded_minor + refunded.amount_minor, currency),
    }])
}
