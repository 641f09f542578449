//! The chaos driver: a fault plan drawn from the seed, then carried out on the deployment.
//!
//! Faults: `kill -9` (then a restart a few seconds later) of a command processor, the saga, the
//! projector, a command API or the query API; a broker freeze (SIGSTOP of the broker for 10–30 s,
//! then SIGCONT: what clients of a real cluster see during a leader failover); and one Postgres
//! restart (see [`crate::postgres`]). A freeze always ends with SIGCONT, even if the suite fails.

use std::{process::Command, time::Duration};

use serde::Serialize;

use crate::{
    deployment::{Deployment, Role},
    postgres::PostgresFault,
    rng::Rng,
};

/// One kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// `kill -9` and restart of one instance.
    Kill(Role),
    /// SIGSTOP of the broker for a while, then SIGCONT.
    FreezeBroker,
    /// Postgres restarted (or, without a private server, every backend of the suite's database
    /// terminated).
    RestartPostgres,
}

impl FaultKind {
    /// Label in the summary.
    pub fn label(self) -> String {
        match self {
            FaultKind::Kill(role) => format!("kill_{}", role.name().replace('-', "_")),
            FaultKind::FreezeBroker => "freeze_broker".into(),
            FaultKind::RestartPostgres => "restart_postgres".into(),
        }
    }
}

/// A fault to inject at `at` after the load started.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// When.
    pub at: Duration,
    /// What.
    pub kind: FaultKind,
    /// Which instance (kills) .
    pub index: usize,
    /// How long the process stays down or frozen.
    pub hold: Duration,
}

/// A fault that happened.
#[derive(Debug, Clone, Serialize)]
pub struct Injected {
    /// Kind label.
    pub kind: String,
    /// Target (`processor-1`, `tansu pid 123`, …).
    pub target: String,
    /// Seconds since the load started.
    pub at_secs: f64,
    /// Seconds down or frozen.
    pub held_secs: f64,
    /// Error, when the fault could not be injected as planned.
    pub error: Option<String>,
}

/// Draws the plan for a load window of `load`: at least two freezes, one Postgres restart and
/// enough kills that every role dies at least once; at least 10 faults in all.
pub fn plan(rng: &mut Rng, load: Duration, freeze: (u64, u64)) -> Vec<Planned> {
    let secs = load.as_secs().max(30);
    let kill_roles = [
        Role::Processor,
        Role::Saga,
        Role::Projector,
        Role::CommandApi,
        Role::QueryApi,
    ];
    let kills = (secs / 12).max(10) as usize;
    let mut kinds: Vec<Role> = kill_roles.iter().copied().cycle().take(kills).collect();
    rng.shuffle(&mut kinds);
    let mut plan = Vec::new();
    for role in kinds {
        plan.push(Planned {
            at: Duration::from_secs(rng.between(3, secs - 8)),
            kind: FaultKind::Kill(role),
            index: rng.below(role.replicas() as u64) as usize,
            hold: Duration::from_millis(rng.between(500, 5000)),
        });
    }
    // Freezes in separate slices of the window so they never overlap.
    let freezes = (secs / 150).max(2);
    for n in 0..freezes {
        let slice = secs / freezes;
        let hold = rng.between(freeze.0, freeze.1);
        let latest = (slice.saturating_sub(hold + 2)).max(1);
        plan.push(Planned {
            at: Duration::from_secs(n * slice + rng.between(1, latest)),
            kind: FaultKind::FreezeBroker,
            index: 0,
            hold: Duration::from_secs(hold),
        });
    }
    plan.push(Planned {
        at: Duration::from_secs(rng.between(secs / 3, secs * 2 / 3)),
        kind: FaultKind::RestartPostgres,
        index: 0,
        hold: Duration::ZERO,
    });
    plan.sort_by_key(|p| p.at);
    plan
}

/// Sends SIGCONT to the broker when dropped, so no path leaves it frozen.
struct Thaw(u32);

impl Drop for Thaw {
    fn drop(&mut self) {
        let _ = signal(self.0, "CONT");
    }
}

fn signal(pid: u32, name: &str) -> anyhow::Result<()> {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()?;
    anyhow::ensure!(status.success(), "kill -{name} {pid} failed");
    Ok(())
}

/// Carries out `plan`, starting at `start`; returns what happened. Kills run in one lane and
/// broker freezes and the Postgres restart in another, so a freeze never delays the kills.
pub async fn run(
    plan: Vec<Planned>,
    start: tokio::time::Instant,
    deployment: &Deployment,
    broker_pid: Option<u32>,
    postgres: &PostgresFault,
) -> Vec<Injected> {
    let (kills, others): (Vec<Planned>, Vec<Planned>) = plan
        .into_iter()
        .partition(|p| matches!(p.kind, FaultKind::Kill(_)));
    let (mut injected, more) = tokio::join!(
        lane(kills, start, deployment, broker_pid, postgres),
        lane(others, start, deployment, broker_pid, postgres)
    );
    injected.extend(more);
    injected.sort_by(|a, b| a.at_secs.total_cmp(&b.at_secs));
    injected
}

async fn lane(
    plan: Vec<Planned>,
    start: tokio::time::Instant,
    deployment: &Deployment,
    broker_pid: Option<u32>,
    postgres: &PostgresFault,
) -> Vec<Injected> {
    let mut injected = Vec::new();
    for fault in plan {
        tokio::time::sleep_until(start + fault.at).await;
        let began = start.elapsed().as_secs_f64();
        let (target, result) = inject(&fault, deployment, broker_pid, postgres).await;
        let held = start.elapsed().as_secs_f64() - began;
        let error = result.err().map(|e| format!("{e:#}"));
        println!(
            "fault  t={began:>6.1}s  {:<22} {target}  held {held:.1}s{}",
            fault.kind.label(),
            error
                .as_deref()
                .map(|e| format!("  FAILED: {e}"))
                .unwrap_or_default()
        );
        injected.push(Injected {
            kind: fault.kind.label(),
            target,
            at_secs: (began * 10.0).round() / 10.0,
            held_secs: (held * 10.0).round() / 10.0,
            error,
        });
    }
    injected
}

async fn inject(
    fault: &Planned,
    deployment: &Deployment,
    broker_pid: Option<u32>,
    postgres: &PostgresFault,
) -> (String, anyhow::Result<()>) {
    match fault.kind {
        FaultKind::Kill(role) => {
            let target = format!("{}-{}", role.name(), fault.index);
            let result = async {
                deployment.kill(role, fault.index)?;
                tokio::time::sleep(fault.hold).await;
                deployment.restart(role, fault.index)
            }
            .await;
            (target, result)
        }
        FaultKind::FreezeBroker => match broker_pid {
            Some(pid) => {
                let result = async {
                    let thaw = Thaw(pid);
                    signal(pid, "STOP")?;
                    tokio::time::sleep(fault.hold).await;
                    drop(thaw);
                    Ok(())
                }
                .await;
                (format!("broker pid {pid}"), result)
            }
            None => (
                "broker".into(),
                Err(anyhow::anyhow!("no broker pid (AGORA_FAULTS_BROKER_PID)")),
            ),
        },
        FaultKind::RestartPostgres => (postgres.target(), postgres.inject().await),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_two_minute_plan_has_ten_faults_two_freezes_and_one_postgres_restart() {
        for seed in 0..50 {
            let plan = plan(&mut Rng::new(seed), Duration::from_secs(120), (10, 30));
            assert!(plan.len() >= 10, "seed {seed}: {} faults", plan.len());
            let freezes: Vec<_> = plan
                .iter()
                .filter(|p| p.kind == FaultKind::FreezeBroker)
                .collect();
            assert_eq!(freezes.len(), 2);
            assert!(
                freezes[0].at + freezes[0].hold < freezes[1].at,
                "seed {seed}: freezes overlap"
            );
            assert!(
                freezes
                    .iter()
                    .all(|f| f.at + f.hold <= Duration::from_secs(120))
            );
            assert_eq!(
                plan.iter()
                    .filter(|p| p.kind == FaultKind::RestartPostgres)
                    .count(),
                1
            );
            for role in [
                Role::Processor,
                Role::Saga,
                Role::Projector,
                Role::CommandApi,
                Role::QueryApi,
            ] {
                assert!(
                    plan.iter().any(|p| p.kind == FaultKind::Kill(role)),
                    "seed {seed}: no {role:?}"
                );
            }
            assert!(plan.windows(2).all(|w| w[0].at <= w[1].at));
        }
    }

    #[test]
    fn the_same_seed_draws_the_same_plan() {
        let a = plan(&mut Rng::new(9), Duration::from_secs(300), (10, 30));
        let b = plan(&mut Rng::new(9), Duration::from_secs(300), (10, 30));
        assert_eq!(a, b);
    }
}
