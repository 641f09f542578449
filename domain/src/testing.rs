//! A given/when/then harness for aggregates.
//!
//! ```ignore
//! given::<InventoryItem>([registered(), received(10)])
//!     .when(InventoryCommand::ReserveStock { .. })
//!     .then([InventoryEvent::StockReserved { .. }]);
//! ```
//!
//! Besides comparing the decision, the harness folds the produced events into the state, so a
//! test also proves that `evolve` accepts what `decide` emits.

use std::fmt::Debug;

use pretty_assertions::assert_eq;

use crate::Aggregate;

/// Builds the state by folding `events` from the default (empty stream) state.
pub fn given<A: Aggregate>(events: impl IntoIterator<Item = A::Event>) -> Given<A> {
    let state = events
        .into_iter()
        .fold(A::default(), |state, event| state.evolve(&event));
    Given { state }
}

/// Replays `events` onto the empty state.
pub fn replay<A: Aggregate>(events: &[A::Event]) -> A {
    events
        .iter()
        .fold(A::default(), |state, event| state.evolve(event))
}

/// A state built from history, waiting for a command.
#[derive(Debug)]
pub struct Given<A: Aggregate> {
    state: A,
}

impl<A: Aggregate> Given<A> {
    /// Decides `command` against the given state.
    pub fn when(self, command: A::Command) -> When<A> {
        let result = self.state.decide(command);
        When {
            state: self.state,
            result,
        }
    }

    /// The state built from the given events.
    pub fn state(&self) -> &A {
        &self.state
    }
}

/// The outcome of one decision.
#[derive(Debug)]
pub struct When<A: Aggregate> {
    state: A,
    result: Result<Vec<A::Event>, A::Error>,
}

impl<A: Aggregate> When<A>
where
    A::Error: Debug,
{
    /// Asserts the command was accepted with exactly `expected`, and returns the state after them.
    #[track_caller]
    pub fn then(self, expected: impl IntoIterator<Item = A::Event>) -> A {
        let expected: Vec<A::Event> = expected.into_iter().collect();
        match self.result {
            Ok(events) => {
                assert_eq!(events, expected, "unexpected events");
                events
                    .iter()
                    .fold(self.state, |state, event| state.evolve(event))
            }
            Err(error) => panic!("expected events {expected:?}, got error {error:?}"),
        }
    }

    /// Asserts the command was accepted and changed nothing (an idempotent repeat).
    #[track_caller]
    pub fn then_nothing(self) -> A {
        self.then([])
    }

    /// Asserts the command was refused with exactly `expected`.
    #[track_caller]
    pub fn then_err(self, expected: A::Error) {
        match self.result {
            Ok(events) => panic!("expected error {expected:?}, got events {events:?}"),
            Err(error) => assert_eq!(error, expected, "unexpected error"),
        }
    }

    /// The raw decision, for assertions the helpers above do not cover.
    pub fn result(self) -> Result<Vec<A::Event>, A::Error> {
        self.result
    }
}
