//! Open loop: operations start at a fixed arrival rate, whatever the answers do.
//!
//! Operation k is *scheduled* at `start + k / rate` and its latency runs from that instant, not
//! from when it was actually sent: if the generator or the system falls behind, every request
//! queued behind the stall carries the wait (no coordinated omission). At most `max_in_flight`
//! operations run at once; the rest wait for a slot with their clocks running.

use std::{sync::Arc, time::Duration};

use tokio::{sync::Semaphore, time::Instant};

use super::{LoadResult, Op, Tally};

/// Runs `op` at `rate` operations per second for `duration`, then waits for the stragglers.
pub async fn run(rate: f64, duration: Duration, max_in_flight: usize, op: Op) -> LoadResult {
    let rate = rate.max(0.1);
    let tally = Tally::default();
    let slots = Arc::new(Semaphore::new(max_in_flight.max(1)));
    let total = (rate * duration.as_secs_f64()).ceil().max(1.0) as u64;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for k in 0..total {
        let scheduled = started + interval.mul_f64(k as f64);
        tokio::time::sleep_until(scheduled).await;
        let (op, tally, slots) = (op.clone(), tally.clone(), slots.clone());
        tasks.push(tokio::spawn(async move {
            let Ok(_slot) = slots.acquire_owned().await else {
                return;
            };
            tally.settle(op(k).await, scheduled);
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    tally.finish(started, 0, rate)
}
