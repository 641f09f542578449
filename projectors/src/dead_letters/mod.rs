//! `agora-projector dlq`: list the dead letters and re-drive them into their projections.
//!
//! [`crate::dlq`] is the producing side: projections send what they cannot use to the
//! dead-letter topic and move on. This is the operator's side: read the whole topic, show each
//! letter once (the DLQ is at-least-once, so copies are counted, not repeated), and once the
//! cause is fixed (a code fix, a conflicting row removed) apply the original record to the
//! projection that gave up on it, at most once per letter.
//!
//! # Layout
//! - [`topic`]: reading every letter of the dead-letter topic.
//! - [`ledger`]: `dead_letter_redrives`, the record of what was re-driven.
//! - [`list`]: letters grouped by origin with their re-drive status; `dlq list` output.
//! - [`registry`]: which projections can be re-driven into, and how each takes a record.
//! - [`redrive`]: `dlq redrive`: archived record → decode → apply, with the ledger row.
//!
//! Exit codes: 0 done (every selected letter re-driven, or nothing to do), 1 some letters still
//! fail (or the stores or broker failed), 2 usage error. `docs/DEAD_LETTERS.md` has the guide.

pub mod ledger;
pub mod list;
pub mod redrive;
pub mod registry;
pub mod topic;

use std::{fmt, process::ExitCode};

use uuid::Uuid;

use crate::{config::Config, error::ProjectorError, migrate};

/// How to call `agora-projector dlq`.
pub const USAGE: &str = "usage: agora-projector dlq list [--projection NAME] [--json]
       agora-projector dlq redrive [--projection NAME] [--letter PARTITION:OFFSET]...";

/// What identifies a dead letter: the projection, the record's origin and the event in it
/// (`None` when the letter is about the whole record). Copies of a letter share it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LetterKey {
    /// The projection that gave up.
    pub projection: String,
    /// Events partition of the record.
    pub partition: i32,
    /// Offset of the record.
    pub offset: i64,
    /// The event within the record, when one event failed.
    pub event_id: Option<Uuid>,
}

impl fmt::Display for LetterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}:{}", self.projection, self.partition, self.offset)?;
        match self.event_id {
            Some(event_id) => write!(f, " event {event_id}"),
            None => Ok(()),
        }
    }
}

/// A parsed `dlq` command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `dlq list`.
    List {
        /// Only letters of this projection.
        projection: Option<String>,
        /// One JSON document instead of text lines.
        json: bool,
    },
    /// `dlq redrive`.
    Redrive {
        /// Only letters of this projection.
        projection: Option<String>,
        /// Only letters about these records (`partition`, `offset`); all when empty.
        letters: Vec<(i32, i64)>,
    },
}

/// A command line that does not make sense; the message says why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Failures of the `dlq` commands as a whole (one letter failing to re-drive is not one).
#[derive(Debug, thiserror::Error)]
pub enum DeadLetterError {
    /// The stores or the broker could not be reached or refused.
    #[error(transparent)]
    Projector(#[from] ProjectorError),
    /// The dead-letter topic could not be read.
    #[error("reading the dead-letter topic: {0}")]
    Topic(#[from] topic::TopicError),
}

impl From<sqlx::Error> for DeadLetterError {
    fn from(error: sqlx::Error) -> Self {
        Self::Projector(error.into())
    }
}

/// Parses the arguments after `dlq`.
pub fn parse(args: &[String]) -> Result<Command, UsageError> {
    let Some((command, rest)) = args.split_first() else {
        return Err(UsageError("missing command: list or redrive".into()));
    };
    let mut projection = None;
    let mut json = false;
    let mut letters = Vec::new();
    let mut rest = rest.iter();
    while let Some(arg) = rest.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| rest.next().cloned())
                .ok_or_else(|| UsageError(format!("{name} needs a value")))
        };
        match (command.as_str(), flag) {
            (_, "--projection") => {
                let name = value("--projection")?;
                if name.is_empty() {
                    return Err(UsageError("--projection needs a name".into()));
                }
                if projection.replace(name).is_some() {
                    return Err(UsageError("--projection given twice".into()));
                }
            }
            ("list", "--json") if inline.is_none() => json = true,
            ("redrive", "--letter") => letters.push(parse_origin(&value("--letter")?)?),
            _ => {
                return Err(UsageError(format!(
                    "unknown argument {arg:?} for {command}"
                )));
            }
        }
    }
    match command.as_str() {
        "list" => Ok(Command::List { projection, json }),
        "redrive" => Ok(Command::Redrive {
            projection,
            letters,
        }),
        other => Err(UsageError(format!(
            "unknown command {other:?}: list or redrive"
        ))),
    }
}

/// Parses `PARTITION:OFFSET`.
fn parse_origin(text: &str) -> Result<(i32, i64), UsageError> {
    let bad = || {
        UsageError(format!(
            "--letter {text:?} is not PARTITION:OFFSET (e.g. 2:417)"
        ))
    };
    let (partition, offset) = text.split_once(':').ok_or_else(bad)?;
    let partition: i32 = partition.parse().map_err(|_| bad())?;
    let offset: i64 = offset.parse().map_err(|_| bad())?;
    if partition < 0 || offset < 0 {
        return Err(bad());
    }
    Ok((partition, offset))
}

/// Runs `agora-projector dlq <args>` and returns its exit code; usage errors are printed here.
pub async fn run(args: &[String]) -> Result<ExitCode, DeadLetterError> {
    let command = match parse(args).and_then(|command| {
        registry::check_projection(&command)?;
        Ok(command)
    }) {
        Ok(command) => command,
        Err(UsageError(message)) => {
            eprintln!("agora-projector dlq: {message}\n{USAGE}");
            return Ok(ExitCode::from(2));
        }
    };
    let config = Config::from_env().map_err(ProjectorError::from)?;
    match command {
        Command::List { projection, json } => {
            let pool = migrate::connect(&config.database_url, &config.pg_schema).await?;
            let entries = list::collect(&config, &pool, projection.as_deref()).await?;
            pool.close().await;
            list::print(&entries, json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Redrive {
            projection,
            letters,
        } => redrive::run(&config, projection.as_deref(), &letters).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn list_takes_a_projection_and_json() {
        assert_eq!(
            parse(&args("list --projection catalog --json")),
            Ok(Command::List {
                projection: Some("catalog".into()),
                json: true
            })
        );
        assert_eq!(
            parse(&args("list")),
            Ok(Command::List {
                projection: None,
                json: false
            })
        );
    }

    #[test]
    fn redrive_takes_several_letters_in_either_spelling() {
        assert_eq!(
            parse(&args(
                "redrive --letter 2:417 --letter=0:3 --projection=orders"
            )),
            Ok(Command::Redrive {
                projection: Some("orders".into()),
                letters: vec![(2, 417), (0, 3)],
            })
        );
    }

    #[test]
    fn malformed_command_lines_are_usage_errors() {
        for line in [
            "",
            "show",
            "list --letter 1:2",
            "redrive --json",
            "redrive --letter 3",
            "redrive --letter a:1",
            "redrive --letter -1:4",
            "redrive --letter",
            "list --projection",
            "list --projection a --projection b",
        ] {
            assert!(parse(&args(line)).is_err(), "{line:?} should be refused");
        }
    }
}
