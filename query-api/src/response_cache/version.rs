//! Reading the data version once for many requests.
//!
//! Every cached answer needs the data version as it is *after the request arrived*, and under
//! load that one small statement per request was half of Postgres's CPU. So reads are shared:
//! at most one runs at a time, and a request takes the result of the first read that **started
//! after it arrived** — the same guarantee as running its own, at the cost of waiting for at
//! most the read in flight and the next one. Reads run as their own tasks, so a request that
//! goes away (the client disconnected) cannot leave a read half-done for the others.

use std::{
    future::Future,
    sync::{Arc, Mutex},
};

use tokio::sync::watch;

/// The outcome of one read, shared by every request that waited for it.
pub type Outcome = Result<Arc<str>, String>;

#[derive(Debug, Default)]
struct Reads {
    /// Sequence number of the latest read started (reads are numbered from 1).
    started: u64,
    /// Whether a read is running.
    in_flight: bool,
    /// The latest finished read: its number and outcome.
    last: Option<(u64, Outcome)>,
}

/// Shares data-version reads between concurrent requests (clones share them).
#[derive(Debug, Clone)]
pub struct SharedReads {
    reads: Arc<Mutex<Reads>>,
    /// The number of the latest finished read, to wake waiters.
    finished: watch::Sender<u64>,
}

impl Default for SharedReads {
    fn default() -> Self {
        Self {
            reads: Arc::default(),
            finished: watch::Sender::new(0),
        }
    }
}

impl SharedReads {
    /// The outcome of a read that started after this call: joins the next read, starting it
    /// with `read` when none is running.
    pub async fn after_now<F, Fut>(&self, read: F) -> Outcome
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<String, String>> + Send + 'static,
    {
        let mut finished = self.finished.subscribe();
        let needed = self.lock().started + 1;
        let mut read = Some(read);
        loop {
            let start = {
                let mut reads = self.lock();
                if let Some((number, outcome)) = &reads.last
                    && *number >= needed
                {
                    return outcome.clone();
                }
                if reads.in_flight {
                    None
                } else {
                    reads.in_flight = true;
                    reads.started += 1;
                    Some(reads.started)
                }
            };
            if let Some(number) = start {
                // Only one read per call can start: after it, this call's read is in flight
                // or finished, and a finished one is numbered at least `needed`.
                let Some(read) = read.take() else {
                    return Err("data version read started twice".to_string());
                };
                let future = read();
                let shared = self.clone();
                tokio::spawn(async move {
                    let outcome = future.await.map(Arc::from);
                    shared.finish(number, outcome);
                });
            }
            if finished.changed().await.is_err() {
                return Err("data version reads stopped".to_string());
            }
        }
    }

    fn finish(&self, number: u64, outcome: Outcome) {
        {
            let mut reads = self.lock();
            reads.in_flight = false;
            reads.last = Some((number, outcome));
        }
        self.finished.send_replace(number);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Reads> {
        // A poisoned lock only means a thread panicked holding it; the counters stay whole.
        self.reads
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (team rule)
mod tests {
    use std::{
        sync::atomic::{AtomicU64, Ordering},
        time::Duration,
    };

    use super::*;

    /// A read that takes `delay` and returns how many reads ran before it finished.
    fn counting(
        runs: &Arc<AtomicU64>,
        delay: Duration,
    ) -> impl FnOnce() -> std::pin::Pin<Box<dyn Future<Output = Result<String, String>> + Send>>
    {
        let runs = Arc::clone(runs);
        move || {
            Box::pin(async move {
                tokio::time::sleep(delay).await;
                Ok(runs.fetch_add(1, Ordering::SeqCst).to_string())
            })
        }
    }

    #[tokio::test]
    async fn many_concurrent_callers_share_few_reads() {
        let shared = SharedReads::default();
        let runs = Arc::new(AtomicU64::new(0));
        let callers: Vec<_> = (0..50)
            .map(|_| {
                let (shared, runs) = (shared.clone(), Arc::clone(&runs));
                tokio::spawn(async move {
                    shared
                        .after_now(counting(&runs, Duration::from_millis(20)))
                        .await
                })
            })
            .collect();
        for caller in callers {
            assert!(caller.await.unwrap().is_ok());
        }
        let runs = runs.load(Ordering::SeqCst);
        assert!((1..=2).contains(&runs), "{runs} reads for 50 callers");
    }

    #[tokio::test]
    async fn a_caller_never_gets_a_read_that_started_before_it_arrived() {
        let shared = SharedReads::default();
        let runs = Arc::new(AtomicU64::new(0));
        let early = {
            let (shared, runs) = (shared.clone(), Arc::clone(&runs));
            tokio::spawn(async move {
                shared
                    .after_now(counting(&runs, Duration::from_millis(100)))
                    .await
            })
        };
        // Arrives while the first read runs: it must wait for a second one.
        tokio::time::sleep(Duration::from_millis(30)).await;
        let late = shared
            .after_now(counting(&runs, Duration::from_millis(10)))
            .await
            .unwrap();
        assert_eq!(&*early.await.unwrap().unwrap(), "0");
        assert_eq!(&*late, "1");
    }

    #[tokio::test]
    async fn a_failed_read_is_reported_and_the_next_caller_reads_again() {
        let shared = SharedReads::default();
        let failed = shared
            .after_now(|| async { Err::<String, String>("down".to_string()) })
            .await;
        assert_eq!(failed.unwrap_err(), "down");
        let next = shared
            .after_now(|| async { Ok::<String, String>("v".to_string()) })
            .await;
        assert_eq!(&*next.unwrap(), "v");
    }
}
