//! Load generation: the operations the scenarios repeat, a latency recorder, and the two ways
//! of driving them.
//!
//! - [`closed`]: C clients, each sending its next request when the previous one answered; the
//!   rate it reaches is the system's maximum at that concurrency.
//! - [`open`]: requests at a fixed arrival rate whatever the answers do; latency is measured from
//!   each request's *scheduled* send time, so a stall delays the clock of every request queued
//!   behind it (no coordinated omission).
//!
//! Both record microseconds in an HDR histogram (3 significant digits) and return a
//! [`LoadResult`].

pub mod closed;
pub mod open;

use std::{
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use futures::future::BoxFuture;
use hdrhistogram::Histogram;
use serde::Serialize;

/// One repeatable operation: called with a sequence number, it does one unit of work (a request,
/// or a whole journey) and says whether it succeeded.
pub type Op = Arc<dyn Fn(u64) -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

/// Wraps a closure returning a future into an [`Op`].
pub fn op<F, Fut>(f: F) -> Op
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    Arc::new(move |i| Box::pin(f(i)))
}

/// Longest latency the histograms hold (60 s, in microseconds); longer ones are clamped.
const MAX_MICROS: u64 = 60_000_000;

/// A latency histogram shared by concurrent tasks.
#[derive(Clone)]
pub struct Recorder {
    histogram: Arc<Mutex<Histogram<u64>>>,
}

impl Default for Recorder {
    fn default() -> Self {
        Self::new()
    }
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> Self {
        // Bounds and precision are constants within hdrhistogram's limits (low ≥ 1,
        // high ≥ 2 × low, 3 significant figures ≤ 5), so this cannot fail; the unit test below
        // builds one.
        #[allow(clippy::expect_used)]
        let histogram =
            Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("constant histogram bounds");
        Self {
            histogram: Arc::new(Mutex::new(histogram)),
        }
    }

    /// Records one latency.
    pub fn record(&self, latency: Duration) {
        let micros = (latency.as_micros() as u64).clamp(1, MAX_MICROS);
        let mut histogram = self
            .histogram
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // In bounds by the clamp above.
        let _ = histogram.record(micros);
    }

    /// Percentiles of what was recorded so far.
    pub fn latency(&self) -> Latency {
        let histogram = self
            .histogram
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Latency::of(&histogram)
    }

    /// How many latencies were recorded.
    pub fn count(&self) -> u64 {
        self.histogram
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// What a load run's operations came to, shared by its tasks: latencies of the successes,
/// a count of the failures (the first one logged). Both loops end in [`Tally::finish`].
#[derive(Clone, Default)]
pub struct Tally {
    recorder: Recorder,
    errors: Arc<AtomicU64>,
}

impl Tally {
    /// Counts one operation's `result`, taking `since` as its start for the latency.
    pub fn settle(&self, result: anyhow::Result<()>, since: tokio::time::Instant) {
        match result {
            Ok(()) => self.recorder.record(since.elapsed()),
            Err(error) => {
                if self.errors.fetch_add(1, Ordering::Relaxed) == 0 {
                    tracing::warn!(error = format!("{error:#}"), "first failed operation");
                }
            }
        }
    }

    /// The run's result, timed from `started` to now.
    pub fn finish(
        &self,
        started: tokio::time::Instant,
        clients: usize,
        target_rate: f64,
    ) -> LoadResult {
        let seconds = started.elapsed().as_secs_f64();
        let ok = self.recorder.count();
        LoadResult {
            ok,
            errors: self.errors.load(Ordering::Relaxed),
            seconds,
            per_second: ok as f64 / seconds.max(1e-9),
            latency: self.recorder.latency(),
            clients,
            target_rate,
        }
    }
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, Default, Serialize, serde::Deserialize)]
pub struct Latency {
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

impl Latency {
    fn of(histogram: &Histogram<u64>) -> Self {
        let ms = |micros: u64| micros as f64 / 1000.0;
        Self {
            p50_ms: ms(histogram.value_at_quantile(0.50)),
            p95_ms: ms(histogram.value_at_quantile(0.95)),
            p99_ms: ms(histogram.value_at_quantile(0.99)),
            max_ms: ms(histogram.max()),
        }
    }
}

/// What one load run measured.
#[derive(Debug, Clone, Copy, Default, Serialize, serde::Deserialize)]
pub struct LoadResult {
    /// Operations that succeeded.
    pub ok: u64,
    /// Operations that failed (not in the latency figures).
    pub errors: u64,
    /// Wall time of the run, until the last operation answered.
    pub seconds: f64,
    /// `ok / seconds`.
    pub per_second: f64,
    /// Latency of the successful operations.
    pub latency: Latency,
    /// Concurrent clients (closed loop) or 0 (open loop).
    pub clients: usize,
    /// Arrival rate asked for (open loop) or 0 (closed loop).
    pub target_rate: f64,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Recorder;

    #[test]
    fn percentiles_come_from_what_was_recorded() {
        let recorder = Recorder::new();
        for ms in 1..=100u64 {
            recorder.record(Duration::from_millis(ms));
        }
        let latency = recorder.latency();
        assert_eq!(recorder.count(), 100);
        assert!((latency.p50_ms - 50.0).abs() < 0.1, "{latency:?}");
        assert!((latency.p99_ms - 99.0).abs() < 0.1, "{latency:?}");
        assert!((latency.max_ms - 100.0).abs() < 0.1, "{latency:?}");
        // Longer than the histogram holds: clamped, not lost.
        recorder.record(Duration::from_secs(3600));
        assert_eq!(recorder.count(), 101);
    }
}
