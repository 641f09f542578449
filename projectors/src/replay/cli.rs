//! Argument handling and output of `list`, `rebuild` and `verify`.
//!
//! Exit codes: 0 done (verify: versions equal), 1 failed or (verify) versions differ or
//! (rebuild) refused because comparable versions differ, 2 usage error or unknown projection.

use std::{process::ExitCode, time::Duration};

use runtime::shutdown::Shutdown;

use crate::config::Config;

use super::{
    commands,
    facts::{self, facts_unit},
    list,
    session::{ReplayError, Session},
    switch::{Finish, Mode},
    units::unit_of,
};

/// Usage of the replay subcommands.
pub const USAGE: &str = "\
  agora-projector list [--json]
  agora-projector rebuild <projection> [--accept-differences | --in-place]
  agora-projector verify <projection>";

/// Runs `list`, `rebuild` or `verify` with the arguments after the subcommand.
pub async fn run(command: &str, args: &[String]) -> Result<ExitCode, ReplayError> {
    let flags: Vec<&str> = args.iter().map(String::as_str).collect();
    let config = Config::from_env().map_err(crate::error::ProjectorError::from)?;
    match command {
        "list" => {
            let session = Session::open(config).await?;
            let entries = list::list(&session).await?;
            if flags.contains(&"--json") {
                let json = serde_json::to_string_pretty(&entries).unwrap_or_default();
                println!("{json}");
            } else {
                print!("{}", list::render(&entries));
            }
            Ok(ExitCode::SUCCESS)
        }
        "rebuild" | "verify" => {
            let Some(name) = flags.iter().find(|f| !f.starts_with("--")) else {
                eprintln!("agora-projector {command}: name a projection\n{USAGE}");
                return Ok(ExitCode::from(2));
            };
            let mode = if command == "verify" {
                Mode::Verify
            } else {
                Mode::Switch {
                    accept_differences: flags.contains(&"--accept-differences"),
                }
            };
            let in_place = command == "rebuild" && flags.contains(&"--in-place");
            if let Some(unit) = facts_unit(name) {
                if in_place {
                    eprintln!(
                        "agora-projector rebuild: --in-place is for Postgres read models; \
                         {name} is rebuilt beside the live tables"
                    );
                    return Ok(ExitCode::from(2));
                }
                let shutdown = Shutdown::new().on_signals();
                let session = Session::open(config).await?;
                let report = facts::build_and_finish(&session, unit, mode, &shutdown).await?;
                let summary = Summary {
                    name: unit.name,
                    records: report.records,
                    elapsed: report.elapsed,
                    code_version: unit.code_version,
                    finish: &report.finish,
                };
                return Ok(summary.print(mode));
            }
            let unit = match unit_of(name) {
                Ok(unit) => unit,
                Err(error) => {
                    eprintln!("agora-projector {command}: {error}");
                    return Ok(ExitCode::from(2));
                }
            };
            if unit.members.len() > 1 {
                eprintln!(
                    "{name} shares tables with {}: rebuilding them together",
                    unit.members.join(", ")
                );
            }
            let shutdown = Shutdown::new().on_signals();
            let session = Session::open(config).await?;
            if in_place {
                let records = commands::rebuild_in_place(&session, unit, &shutdown).await?;
                println!(
                    "{} rebuilt in place from offset 0 ({records} records)",
                    unit.name
                );
                return Ok(ExitCode::SUCCESS);
            }
            let report = commands::build_and_finish(&session, unit, mode, &shutdown).await?;
            let summary = Summary {
                name: unit.name,
                records: report.records,
                elapsed: report.elapsed,
                code_version: unit.code_version,
                finish: &report.finish,
            };
            Ok(summary.print(mode))
        }
        _ => {
            eprintln!("{USAGE}");
            Ok(ExitCode::from(2))
        }
    }
}

/// What a rebuild or verify reports, whichever store it rebuilt.
pub struct Summary<'a> {
    /// Unit or projection name.
    pub name: &'a str,
    /// Records the build read.
    pub records: i64,
    /// Wall time.
    pub elapsed: Duration,
    /// The code version the build ran.
    pub code_version: i32,
    /// The final step's findings.
    pub finish: &'a Finish,
}

impl Summary<'_> {
    /// Prints the report and returns the exit code: success when `verify` found the versions
    /// equal or a rebuild switched.
    pub fn print(&self, mode: Mode) -> ExitCode {
        print!("{}", self.render());
        let ok = match mode {
            Mode::Verify => self.finish.matches(),
            Mode::Switch { .. } => self.finish.switched_to.is_some(),
        };
        if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }

    /// The report as printed.
    pub fn render(&self) -> String {
        let finish = self.finish;
        let rate = self.records as f64 / self.elapsed.as_secs_f64().max(0.001);
        let mut out = format!(
            "{}: {} records in {:.1}s ({rate:.0} records/s)\n",
            self.name,
            self.records,
            self.elapsed.as_secs_f64(),
        );
        out.push_str(&format!(
            "{:<22} {:>10} {:>10}  {}\n",
            "TABLE", "LIVE_ROWS", "NEW_ROWS", "CONTENT"
        ));
        for check in &finish.checks {
            out.push_str(&format!(
                "{:<22} {:>10} {:>10}  {}\n",
                check.table,
                check.live.rows,
                check.rebuilt.rows,
                if check.matches() { "same" } else { "DIFFERS" }
            ));
        }
        let live = format!("g{}/v{}", finish.live.generation, finish.live.code_version);
        let verdict = match (finish.switched_to, finish.matches(), finish.comparable) {
            (Some(generation), _, _) => format!(
                "switched readers from {live} to g{generation}/v{}; old version dropped",
                self.code_version
            ),
            (None, true, _) => format!("live version {live} equals a rebuild from offset 0"),
            (None, false, true) => format!(
                "live version {live} DIFFERS from a rebuild by the same code version; \
                 not switched (rebuild --accept-differences replaces it)"
            ),
            (None, false, false) => format!(
                "live version {live} differs from a rebuild by code version v{} (expected)",
                self.code_version
            ),
        };
        out.push_str(&verdict);
        out.push('\n');
        out
    }
}
