//! The raw rate of the registration's password hash: argon2id with the parameters command-api
//! uses (`command_api::identity::passwords`), on every core at once. Every checkout journey of
//! the `checkout` scenario registers a new customer, so this rate caps that scenario whatever
//! the rest of the platform does.

use std::time::Instant;

use serde::Serialize;

/// Hashes per second over all cores.
#[derive(Debug, Clone, Serialize)]
pub struct HashRate {
    /// Hashes computed.
    pub hashes: u64,
    /// Threads hashing at once (the machine's cores, as command-api's hashing limit).
    pub threads: usize,
    /// Wall time.
    pub seconds: f64,
    /// `hashes / seconds`.
    pub per_second: f64,
    /// Mean wall time of one hash on one core, in milliseconds.
    pub mean_ms: f64,
}

/// Computes `per_thread` hashes on each core, each with its own salt.
pub async fn measure(per_thread: u64) -> anyhow::Result<HashRate> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let started = Instant::now();
    let mut workers = Vec::with_capacity(threads);
    for thread in 0..threads {
        workers.push(tokio::task::spawn_blocking(
            move || -> anyhow::Result<()> {
                for i in 0..per_thread {
                    let mut salt = [0u8; 16];
                    salt[..8].copy_from_slice(&(thread as u64).to_le_bytes());
                    salt[8..].copy_from_slice(&i.to_le_bytes());
                    command_api::identity::passwords::hash_blocking(
                        "correct horse battery staple",
                        &salt,
                    )?;
                }
                Ok(())
            },
        ));
    }
    for worker in workers {
        worker.await??;
    }
    let seconds = started.elapsed().as_secs_f64();
    let hashes = per_thread * threads as u64;
    Ok(HashRate {
        hashes,
        threads,
        seconds,
        per_second: hashes as f64 / seconds,
        mean_ms: seconds * 1_000.0 * threads as f64 / hashes as f64,
    })
}
