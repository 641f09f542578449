//! Aggregate states per stream, so tests write exactly the events the domain would decide.

use std::collections::HashMap;

use domain::Aggregate;

/// Aggregate states per stream, so tests write the events the domain would decide.
pub struct Model<A: Aggregate> {
    states: HashMap<String, A>,
}

impl<A: Aggregate> Default for Model<A> {
    fn default() -> Self {
        Self {
            states: HashMap::new(),
        }
    }
}

impl<A: Aggregate> Model<A> {
    /// Decides `command` on `stream` and folds the events in; `None` when refused.
    pub fn try_decide(&mut self, stream: &str, command: A::Command) -> Option<Vec<A::Event>> {
        let state = self.states.entry(stream.to_string()).or_default();
        let events = state.decide(command).ok()?;
        let folded = events
            .iter()
            .fold(std::mem::take(state), |state, event| state.evolve(event));
        *state = folded;
        Some(events)
    }

    /// Decides `command`, which the test expects to be accepted.
    pub fn decide(&mut self, stream: &str, command: A::Command) -> Vec<A::Event> {
        let refused = format!("{command:?} refused on {stream}");
        self.try_decide(stream, command).expect(&refused)
    }

    /// What `command` would cause, without recording it (a zombie's write).
    pub fn peek(&self, stream: &str, command: A::Command) -> Vec<A::Event> {
        self.states
            .get(stream)
            .cloned()
            .unwrap_or_default()
            .decide(command)
            .expect("zombie command refused")
    }

    /// Current state of `stream`.
    pub fn state(&self, stream: &str) -> A {
        self.states.get(stream).cloned().unwrap_or_default()
    }

    /// Every stream with its state.
    pub fn streams(&self) -> impl Iterator<Item = (&String, &A)> {
        self.states.iter()
    }
}
