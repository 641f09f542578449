//! E-mail uniqueness rules, one sentence per test.

#![allow(clippy::unwrap_used)] // tests may unwrap (team rule)

use uuid::Uuid;

use super::*;
use crate::testing::{self, Given};
use EmailClaimCommand as C;
use EmailClaimEvent as E;

const ADA: Uuid = Uuid::from_u128(1);
const BOB: Uuid = Uuid::from_u128(2);

fn given(events: impl IntoIterator<Item = EmailClaimEvent>) -> Given<EmailClaim> {
    testing::given(events)
}

fn email() -> Email {
    Email::parse("Ada@Example.com").unwrap()
}

fn claimed(customer_id: Uuid) -> EmailClaimEvent {
    E::EmailClaimed {
        email: email(),
        customer_id,
    }
}

fn released(customer_id: Uuid) -> EmailClaimEvent {
    E::EmailReleased {
        email: email(),
        customer_id,
    }
}

fn claim(customer_id: Uuid) -> EmailClaimCommand {
    C::ClaimEmail {
        email: email(),
        customer_id,
    }
}

#[test]
fn stream_id_uses_the_normalized_address() {
    assert_eq!(stream_id(&email()), "email-ada@example.com");
}

#[test]
fn logs_show_an_address_stream_without_the_address_and_other_streams_unchanged() {
    assert_eq!(loggable_stream(&stream_id(&email())), "email-<redacted>");
    assert_eq!(loggable_stream("customer-1"), "customer-1");
    assert_eq!(loggable_stream("emails-1"), "emails-1");
}

#[test]
fn claiming_a_fresh_address_is_accepted() {
    given([]).when(claim(ADA)).then([claimed(ADA)]);
}

#[test]
fn claiming_an_address_held_by_another_customer_is_refused() {
    given([claimed(ADA)])
        .when(claim(BOB))
        .then_err(EmailClaimError::Taken);
}

#[test]
fn claiming_again_by_the_holder_is_a_no_op() {
    given([claimed(ADA)]).when(claim(ADA)).then_nothing();
}

#[test]
fn a_released_address_can_be_claimed_by_someone_else() {
    given([claimed(ADA), released(ADA)])
        .when(claim(BOB))
        .then([claimed(BOB)]);
}

#[test]
fn releasing_by_the_holder_frees_the_address() {
    let state = given([claimed(ADA)])
        .when(C::ReleaseEmail { customer_id: ADA })
        .then([released(ADA)]);
    assert_eq!(state.holder(), None);
}

#[test]
fn releasing_a_free_address_is_a_no_op() {
    given([claimed(ADA), released(ADA)])
        .when(C::ReleaseEmail { customer_id: ADA })
        .then_nothing();
}

#[test]
fn releasing_someone_elses_address_is_refused() {
    given([claimed(ADA)])
        .when(C::ReleaseEmail { customer_id: BOB })
        .then_err(EmailClaimError::HeldByAnother);
}

#[test]
fn releasing_a_never_claimed_address_is_not_found() {
    given([])
        .when(C::ReleaseEmail { customer_id: ADA })
        .then_err(EmailClaimError::NotFound);
}
