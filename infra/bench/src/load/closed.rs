//! Closed loop: C clients, each issuing its next operation as soon as the previous one
//! answered, for a fixed time. The rate reached is the maximum at that concurrency.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use tokio::time::Instant;

use super::{LoadResult, Op, Tally};

/// Runs `op` from `clients` concurrent clients for `duration`; operations in flight when the
/// time is up finish and count.
pub async fn run(clients: usize, duration: Duration, op: Op) -> LoadResult {
    let tally = Tally::default();
    let sequence = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients.max(1) {
        let (op, tally, sequence) = (op.clone(), tally.clone(), sequence.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let i = sequence.fetch_add(1, Ordering::Relaxed);
                let sent = Instant::now();
                tally.settle(op(i).await, sent);
            }
        }));
    }
    for task in tasks {
        // A panicking operation only loses that client's remaining requests.
        let _ = task.await;
    }
    tally.finish(started, clients, 0.0)
}

/// Runs `op` once for each of `0..count` with at most `clients` in flight (set-up work whose
/// rate is not the point); fails on the first error.
pub async fn each(count: u64, clients: usize, op: Op) -> anyhow::Result<Duration> {
    use futures::{StreamExt, TryStreamExt, stream};
    let started = Instant::now();
    stream::iter(0..count)
        .map(|i| op(i))
        .buffer_unordered(clients.max(1))
        .try_for_each(|()| async { Ok(()) })
        .await?;
    Ok(started.elapsed())
}
