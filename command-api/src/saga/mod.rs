//! The checkout saga: a stateless process manager between the events log and the commands.
//!
//! It reads every partition of `agora.events` through the shared [`runtime::log::LogReader`]
//! (so it counts exactly the commits every other reader counts), folds the order and payment
//! streams into a [`view::View`], and turns each event into commands on `agora.commands`
//! ([`reactions`]), calling the simulated payment [`provider`] where an answer decides the
//! command. Emission is at least once: a batch's position is stored in `saga_checkpoints`
//! ([`checkpoint`]) only after the broker acknowledged its commands, and command ids are
//! derived from the causing event, so a repeat is answered by the processor from the log and
//! the domain's natural keys absorb the rest. Nothing but positions is stored: at startup the
//! view is folded again from the start of the log, without reacting, up to the checkpoints.
//! On a log epoch it has no checkpoints for (genesis, or a restore) it folds the whole log
//! without reacting and runs one reconciliation pass for the checkouts still in flight.
//! `docs/CHECKOUT.md` describes the saga and every failure path.
//!
//! # Layout
//! - [`view`]: the events the saga reads, decoded, and the view folded from them.
//! - [`reactions`]: pure rules, event → commands / provider calls / escalations.
//! - [`provider`]: the simulated payment provider and its test cards.
//! - [`checkpoint`]: positions in `saga_checkpoints`.
//! - [`reconcile`]: after a fold without reactions, what checkouts in flight still need.
//! - [`runner`]: reading, reacting, emitting and checkpointing until shutdown.

pub mod checkpoint;
pub mod provider;
pub mod reactions;
pub mod reconcile;
pub mod runner;
pub mod view;
