//! `agora-bench`: the benchmark of issue 8. It measures the raw limits of the machine's parts
//! (broker, Postgres, ClickHouse, HTTP), starts Agora's services as real processes in a private
//! namespace, runs the scenarios against them, and writes `report.json` and `report.md`.
//!
//! ```text
//! agora-bench [--quick] [--out DIR] [--bin-dir DIR] [--skip-raw] [scenario…]
//! ```
//!
//! `infra/stack bench` builds the binaries and runs it with the stack's environment
//! (`. .stack/env`). Exit codes: 0 when every scenario ran (goals may be missed: the report
//! says so), 1 when a scenario or the set-up failed, 2 for bad arguments.
//!
//! # Layout
//! - [`options`]: arguments and the sizes of a full or quick run.
//! - [`namespace`]: the run's topics and databases.
//! - [`services`]: service processes, their health and peak memory.
//! - [`client`]: HTTP and GraphQL calls, tokens.
//! - [`load`]: closed-loop and open-loop generators with HDR histograms.
//! - [`raw`]: the raw limits.
//! - [`shop`]: the catalog the scenarios sell from.
//! - [`scenarios`]: commands, checkout, flash-sale, projection, graphql, replay.
//! - [`settle`]: waiting between scenarios until the previous one's work is done.
//! - [`report`]: goals, JSON and Markdown.

mod client;
mod load;
mod namespace;
mod options;
mod raw;
mod report;
mod run;
mod scenarios;
mod services;
mod settle;
mod shop;

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1).peekable();
    // Hidden mode: the hello-world server of the HTTP raw limit, run as a separate process.
    if args.peek().map(String::as_str) == Some("hello-server") {
        let addr = args.nth(1).unwrap_or_else(|| "127.0.0.1:0".into());
        return match raw::http::serve(&addr).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("hello-server: {error:#}");
                ExitCode::FAILURE
            }
        };
    }
    runtime::telemetry::init("agora-bench");
    let options = match options::parse(args) {
        Ok(options) => options,
        Err(error) => {
            eprintln!("agora-bench: {error:#}\n{}", options::USAGE);
            return ExitCode::from(2);
        }
    };
    match run::run(options).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("agora-bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}
