//! The replay CLI: list projections with their lag, rebuild a projection beside the live one
//! and switch readers to it atomically, or verify the live one against a fresh build.
//!
//! - [`units`]: which projections are rebuilt together and which tables they own.
//! - [`session`]: the live stores, the log epoch, and each unit's rebuild lock.
//! - [`build`]: a version under construction in a schema of its own.
//! - [`progress`]: the progress line (records, rate, time to go).
//! - [`switch`]: the final step under the live checkpoints' locks: compare, then move tables.
//! - [`facts`]: the same for ClickHouse fact tables: a scratch database, then `RENAME TABLE`.
//! - [`guard`]: the switch lock every ClickHouse batch holds shared.
//! - [`fingerprint`]: row counts and content checksums.
//! - [`versions`]: which generation of each unit readers see.
//! - [`commands`]: `rebuild`, `verify`, `rebuild --in-place`.
//! - [`lag`]: records and seconds behind the log head.
//! - [`list`]: the `list` command.
//! - [`cli`]: arguments, output and exit codes.
//!
//! Reactors (notification e-mails) and the archiver are not rebuild units: they are never
//! re-fired by a rebuild.

pub mod build;
pub mod cli;
pub mod commands;
pub mod facts;
pub mod fingerprint;
pub mod guard;
pub mod lag;
pub mod list;
pub mod progress;
pub mod session;
pub mod switch;
pub mod units;
pub mod versions;
