//! The simulated payment provider: authorize, capture and refund, keyed by idempotency key.
//!
//! It behaves like a real card processor where the saga can tell: every call carries an
//! idempotency key (the saga's derived command id) and the same key always gets the same answer,
//! even across restarts, because answers are a pure function of the key and the request
//! (references are derived from the key) and the first answer for a key is remembered.
//! Deterministic test cards pick the outcome:
//!
//! | instrument token | authorize |
//! |---|---|
//! | `4000000000000002` | declined (`card_declined`) |
//! | `4000000000000119` | transient provider error, every time (the saga retries, then fails the payment) |
//! | anything else (e.g. `4242424242424242`) | approved |
//!
//! Captures and refunds succeed for references this provider issued and are declined otherwise.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use domain::values::Money;
use uuid::Uuid;

/// The card that is always declined.
pub const DECLINE_CARD: &str = "4000000000000002";
/// The card whose authorization always fails with a transient provider error.
pub const ERROR_CARD: &str = "4000000000000119";
/// The card that is always approved.
pub const APPROVE_CARD: &str = "4242424242424242";

/// Prefix of the authorization references this provider issues.
const REFERENCE_PREFIX: &str = "sim_auth_";

/// Namespace of references derived from idempotency keys.
const PROVIDER_NAMESPACE: Uuid = Uuid::from_u128(0x7369_6d70_6179_4000_8000_0000_0000_0001);

/// What the saga asks the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderRequest {
    /// Hold `amount` on the instrument.
    Authorize {
        /// Card number or wallet token.
        instrument_token: String,
        /// Amount to hold.
        amount: Money,
    },
    /// Take `amount` of an authorization.
    Capture {
        /// The authorization's reference.
        provider_reference: String,
        /// Amount to take.
        amount: Money,
    },
    /// Give `amount` back.
    Refund {
        /// The authorization's reference.
        provider_reference: String,
        /// Amount to return.
        amount: Money,
    },
}

/// A definitive answer (remembered per idempotency key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderAnswer {
    /// Done; the reference of the authorization, capture or refund.
    Approved {
        /// Provider reference.
        reference: String,
    },
    /// Refused for good.
    Declined {
        /// Machine-readable reason.
        reason: String,
    },
}

/// A failure worth retrying: nothing was done and nothing is remembered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("payment provider unavailable: {0}")]
pub struct ProviderUnavailable(pub String);

/// The simulated provider. Cheap to clone; clones share the answers given so far.
#[derive(Debug, Clone, Default)]
pub struct SimulatedProvider {
    answers: Arc<Mutex<HashMap<String, ProviderAnswer>>>,
}

impl SimulatedProvider {
    /// A provider that has answered nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Handles `request` under `idempotency_key`: a key already answered gets that answer again,
    /// whatever the request says (as real providers do).
    pub fn call(
        &self,
        idempotency_key: &str,
        request: &ProviderRequest,
    ) -> Result<ProviderAnswer, ProviderUnavailable> {
        // A poisoned lock only means another call panicked mid-insert; the map is still valid.
        let mut answers = self
            .answers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(answer) = answers.get(idempotency_key) {
            return Ok(answer.clone());
        }
        let answer = decide(idempotency_key, request)?;
        answers.insert(idempotency_key.to_string(), answer.clone());
        Ok(answer)
    }
}

/// The provider's rules, a pure function of key and request.
fn decide(
    idempotency_key: &str,
    request: &ProviderRequest,
) -> Result<ProviderAnswer, ProviderUnavailable> {
    let reference = |kind: &str| {
        format!(
            "{kind}{}",
            Uuid::new_v5(&PROVIDER_NAMESPACE, idempotency_key.as_bytes()).simple()
        )
    };
    match request {
        ProviderRequest::Authorize {
            instrument_token, ..
        } => match instrument_token.trim() {
            DECLINE_CARD => Ok(ProviderAnswer::Declined {
                reason: "card_declined".into(),
            }),
            ERROR_CARD => Err(ProviderUnavailable("issuer timed out".into())),
            _ => Ok(ProviderAnswer::Approved {
                reference: reference(REFERENCE_PREFIX),
            }),
        },
        ProviderRequest::Capture {
            provider_reference, ..
        } => Ok(if provider_reference.starts_with(REFERENCE_PREFIX) {
            ProviderAnswer::Approved {
                reference: reference("sim_cap_"),
            }
        } else {
            ProviderAnswer::Declined {
                reason: "unknown_authorization".into(),
            }
        }),
        ProviderRequest::Refund {
            provider_reference, ..
        } => Ok(if provider_reference.starts_with(REFERENCE_PREFIX) {
            ProviderAnswer::Approved {
                reference: reference("sim_ref_"),
            }
        } else {
            ProviderAnswer::Declined {
                reason: "unknown_authorization".into(),
            }
        }),
    }
}

#[cfg(test)]
mod tests {
    use domain::values::Currency;

    use super::*;

    fn eur(minor: i64) -> Money {
        Money {
            amount_minor: minor,
            currency: Currency::parse("EUR").unwrap(),
        }
    }

    fn authorize(card: &str) -> ProviderRequest {
        ProviderRequest::Authorize {
            instrument_token: card.into(),
            amount: eur(1000),
        }
    }

    #[test]
    fn the_approve_card_is_authorized_with_a_reference_derived_from_the_key() {
        let answer = SimulatedProvider::new()
            .call("key-1", &authorize(APPROVE_CARD))
            .unwrap();
        let ProviderAnswer::Approved { reference } = answer else {
            panic!("expected approval, got {answer:?}");
        };
        assert!(reference.starts_with(REFERENCE_PREFIX));
        let again = SimulatedProvider::new()
            .call("key-1", &authorize(APPROVE_CARD))
            .unwrap();
        assert_eq!(
            again,
            ProviderAnswer::Approved { reference },
            "a restarted provider answers the same key the same way"
        );
    }

    #[test]
    fn the_decline_card_is_declined() {
        assert_eq!(
            SimulatedProvider::new().call("k", &authorize(DECLINE_CARD)),
            Ok(ProviderAnswer::Declined {
                reason: "card_declined".into()
            })
        );
    }

    #[test]
    fn the_error_card_fails_transiently_and_nothing_is_remembered() {
        let provider = SimulatedProvider::new();
        assert!(provider.call("k", &authorize(ERROR_CARD)).is_err());
        assert!(provider.call("k", &authorize(ERROR_CARD)).is_err());
        assert!(provider.answers.lock().unwrap().is_empty());
    }

    #[test]
    fn a_key_already_answered_gets_the_first_answer_whatever_the_request() {
        let provider = SimulatedProvider::new();
        let first = provider.call("k", &authorize(DECLINE_CARD)).unwrap();
        let second = provider.call("k", &authorize(APPROVE_CARD)).unwrap();
        assert_eq!(first, second);
    }

    #[test]
    fn captures_and_refunds_need_a_reference_this_provider_issued() {
        let provider = SimulatedProvider::new();
        let ProviderAnswer::Approved { reference } =
            provider.call("auth", &authorize(APPROVE_CARD)).unwrap()
        else {
            panic!("approve card refused");
        };
        let capture = |reference: &str, key: &str| {
            provider.call(
                key,
                &ProviderRequest::Capture {
                    provider_reference: reference.into(),
                    amount: eur(1000),
                },
            )
        };
        assert!(matches!(
            capture(&reference, "cap-1"),
            Ok(ProviderAnswer::Approved { .. })
        ));
        assert!(matches!(
            capture("someone-else", "cap-2"),
            Ok(ProviderAnswer::Declined { .. })
        ));
        let refund = provider.call(
            "ref-1",
            &ProviderRequest::Refund {
                provider_reference: reference,
                amount: eur(1000),
            },
        );
        assert!(matches!(refund, Ok(ProviderAnswer::Approved { .. })));
    }
}
