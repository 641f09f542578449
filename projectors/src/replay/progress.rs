//! The rebuild's progress line: records read, rate and time to go, once a second on stderr.
//!
//! Progress is read from the build's own checkpoints, which move with every committed batch,
//! so the line shows what is durably built, not what is merely fetched.

use std::{
    io::{IsTerminal, Write},
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::{Duration, Instant},
};

use sqlx::PgPool;
use tokio::task::JoinHandle;

use super::build::{Positions, distance, positions_of};

/// Counts the records a build has durably applied so far.
pub type DoneCounter =
    Box<dyn Fn() -> futures::future::BoxFuture<'static, Option<i64>> + Send + Sync>;

/// A running progress reporter.
pub struct Progress {
    target: Arc<AtomicI64>,
    task: JoinHandle<()>,
}

impl Progress {
    /// Reports the progress of `members` in the schema behind `pool` towards `total` records.
    pub fn start(
        label: String,
        pool: PgPool,
        members: &'static [&'static str],
        total: i64,
    ) -> Self {
        let done: DoneCounter = Box::new(move || {
            let pool = pool.clone();
            Box::pin(async move {
                let positions = positions_of(&pool, members).await.ok()?;
                Some(distance(&Positions::new(), &positions))
            })
        });
        Self::counting(label, done, total)
    }

    /// Reports progress towards `total` records as counted by `done`.
    pub fn counting(label: String, done: DoneCounter, total: i64) -> Self {
        let target = Arc::new(AtomicI64::new(total));
        let task = tokio::spawn(report(label, done, target.clone()));
        Self { target, task }
    }

    /// Moves the goal (catching up to a log that grew).
    pub fn set_total(&self, total: i64) {
        self.target.store(total, Ordering::Relaxed);
    }

    /// Stops reporting and ends the line.
    pub fn finish(self) {
        self.task.abort();
        if std::io::stderr().is_terminal() {
            eprintln!();
        }
    }
}

async fn report(label: String, done: DoneCounter, target: Arc<AtomicI64>) {
    let started = Instant::now();
    let terminal = std::io::stderr().is_terminal();
    let mut interval = tokio::time::interval(Duration::from_secs(1));
    interval.tick().await;
    loop {
        interval.tick().await;
        let Some(done) = done().await else {
            continue;
        };
        let line = progress_line(
            &label,
            done,
            target.load(Ordering::Relaxed),
            started.elapsed(),
        );
        if terminal {
            eprint!("\r{line}   ");
            let _ = std::io::stderr().flush();
        } else {
            eprintln!("{line}");
        }
    }
}

/// `catalog [#####-----] 51000/100000 records  25500 rec/s  ETA 2s`.
pub fn progress_line(label: &str, done: i64, total: i64, elapsed: Duration) -> String {
    const WIDTH: i64 = 24;
    let total = total.max(done).max(1);
    let filled = (done * WIDTH / total).clamp(0, WIDTH) as usize;
    let bar = format!(
        "{}{}",
        "#".repeat(filled),
        "-".repeat(WIDTH as usize - filled)
    );
    let seconds = elapsed.as_secs_f64().max(0.001);
    let rate = done as f64 / seconds;
    let eta = if rate > 0.0 {
        format!("{:.0}s", (total - done) as f64 / rate)
    } else {
        "?".to_string()
    };
    format!("{label} [{bar}] {done}/{total} records  {rate:.0} rec/s  ETA {eta}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_share_rate_and_time_to_go() {
        let line = progress_line("catalog", 500, 1000, Duration::from_secs(5));
        assert_eq!(
            line,
            "catalog [############------------] 500/1000 records  100 rec/s  ETA 5s"
        );
    }

    #[test]
    fn nothing_done_yet_has_no_eta_and_no_division_by_zero() {
        let line = progress_line("orders", 0, 0, Duration::ZERO);
        assert!(line.ends_with("ETA ?"), "{line}");
    }
}
