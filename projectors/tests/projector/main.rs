//! Integration tests of `agora-projector` against the real broker, Postgres and ClickHouse.
//!
//! Each test gets its own [`runtime::testing::TestNamespace`] (topics, databases), writes the
//! events log by hand as command processors would (markers, commits, zombies, poison), runs the
//! projector binary as a child process and checks what it built. Build the binary first:
//! `cargo build -p projectors --bins`.

// This whole crate is test code: a failed expectation should panic with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod analytics;
mod archive;
mod catalog_and_inventory;
mod checkout;
mod checkout_orders;
mod checkout_rebuild;
mod crash;
mod dead_letter_cli;
mod dead_letters;
mod log_epoch;
mod metrics;
mod model;
mod notifications;
mod observe;
mod raw_events;
mod replay;
mod replay_bench;
mod replicas;
mod restore_state;
mod scale_out;
mod shutdown;
mod support;
mod zombies;
