//! The events log as every reader sees it: [`rules`] (which records count) and [`reader`]
//! (reading assigned partitions under those rules).

pub mod reader;
pub mod rules;
mod skim;

pub use reader::{ItemKind, LogItem, LogReadError, LogReader, PartitionStart, Position};
pub use rules::{Counted, PartitionRules, Verdict};
