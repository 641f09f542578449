//! # agora-faults
//!
//! The fault suite (`agora-fault-suite`, run by `infra/stack faults`): a private deployment of
//! every Agora service on the local stack, a load of checkouts, payments, cancellations, refunds
//! and stock changes, a chaos driver that kills processes, freezes the broker and restarts
//! Postgres at seeded random times, and an auditor that checks the log and the read models once
//! the system has settled. See `docs/RELIABILITY.md`.
//!
//! # Layout
//! - [`config`]: flags and environment.
//! - [`rng`]: the seeded random numbers behind the plan and the shoppers.
//! - [`deployment`]: the namespace and the service processes, with a supervisor.
//! - [`client`]: HTTP with retries under the same idempotency key, counters, the ledger of
//!   acknowledged commands.
//! - [`catalog`]: the scarce-stock shop the load buys from.
//! - [`load`]: shoppers, staff and the stock clerk.
//! - [`chaos`]: the fault plan and its execution.
//! - [`postgres`]: the Postgres fault (restart, or terminated backends on a shared server).
//! - [`settle`]: waiting until the saga and the projections caught up.
//! - [`audit`]: the checks.
//! - [`summary`]: printed and JSON summary.

pub mod audit;
pub mod catalog;
pub mod chaos;
pub mod client;
pub mod config;
pub mod deployment;
pub mod load;
pub mod postgres;
pub mod rng;
pub mod settle;
pub mod summary;

use std::{collections::BTreeMap, path::PathBuf, sync::Arc, time::Duration};

use anyhow::Context;

use crate::{
    audit::{Violations, model::Model, stores, work},
    chaos::{FaultKind, Injected},
    config::Config,
    deployment::{Deployment, Role},
    load::Shop,
    postgres::PostgresFault,
    rng::Rng,
    summary::Summary,
};

/// Longest the settle phase waits for the saga and the projections.
const SETTLE_WITHIN: Duration = Duration::from_secs(300);

/// Runs the suite and returns its summary (already printed and written).
pub async fn run(config: Config) -> anyhow::Result<Summary> {
    println!(
        "fault suite: seed {} — {:.1} minutes of load",
        config.seed,
        config.load.as_secs_f64() / 60.0
    );
    let deployment = Deployment::start(&PathBuf::from("target/faults/logs")).await?;
    println!(
        "namespace {} (service logs in {})",
        deployment.ns.name,
        deployment.logs().display()
    );
    let result = drive(&config, &deployment).await;
    deployment.stop();
    let summary = result?;
    summary.print();
    summary.write(&config.out)?;
    println!("summary written to {}", config.out.display());
    Ok(summary)
}

async fn drive(config: &Config, deployment: &Deployment) -> anyhow::Result<Summary> {
    let http = reqwest::Client::new();
    deployment
        .wait_healthy(&http, Duration::from_secs(120))
        .await?;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect(&deployment.ns.database_url)
        .await
        .context("connecting to the suite's database")?;
    let client = client::Client::new(
        deployment.command_apis(),
        deployment.query_api().context("no query API")?,
    )?;
    let admin = deployment.admin_token()?;
    let mut rng = Rng::new(config.seed);
    let plan = chaos::plan(&mut rng, config.load, config.freeze);
    let catalog = catalog::create(&client, &admin, &mut rng).await?;
    catalog::wait_for_read_models(&pool, &catalog).await?;
    println!(
        "shop ready: {} SKUs; {} faults planned",
        catalog.skus.len(),
        plan.len()
    );

    let postgres = match &config.pg_restart {
        Some(command) => PostgresFault::Restart(command.clone()),
        None => PostgresFault::TerminateBackends {
            admin_url: runtime::config::env_string(
                "AGORA_PG_ADMIN_URL",
                "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
            ),
            database: deployment.ns.name.clone(),
        },
    };
    let shop = Arc::new(Shop {
        client,
        admin,
        catalog,
    });
    let start = tokio::time::Instant::now();
    let until = start + config.load;
    let mut workers = Vec::new();
    for worker in 0..config.shoppers {
        workers.push(tokio::spawn(load::shopper(
            shop.clone(),
            worker,
            config.seed,
            until,
        )));
    }
    workers.push(tokio::spawn(load::stock_clerk(
        shop.clone(),
        config.shoppers,
        config.seed,
        until,
    )));
    let supervisor = async {
        while tokio::time::Instant::now() < until {
            for name in deployment.supervise() {
                println!("supervisor: {name} exited on its own; restarted");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    };
    let (injected, ()) = tokio::join!(
        chaos::run(plan, start, deployment, config.broker_pid, &postgres),
        supervisor
    );
    for worker in workers {
        worker.await.context("a load worker panicked")?;
    }
    println!(
        "load done after {:.1} s; settling",
        start.elapsed().as_secs_f64()
    );
    deployment
        .wait_healthy(&http, Duration::from_secs(120))
        .await?;

    let (mut reader, partitions) = settle::open_reader(deployment)?;
    let mut model = Model::default();
    let settled = settle::settle(
        deployment,
        &pool,
        &mut reader,
        partitions,
        &mut model,
        SETTLE_WITHIN,
    )
    .await?;
    println!(
        "settle: {} after {:.1} s; auditing",
        if settled.settled {
            "done"
        } else {
            "NOT settled"
        },
        settled.secs
    );

    let owed = work::owed(&model, chrono::Utc::now());
    for item in &owed.owed {
        model.violations.add("saga_settled", item.clone());
    }
    for behind in &settled.projections_behind {
        model
            .violations
            .add("saga_settled", format!("projection behind: {behind}"));
    }
    let acks = shop.client.ledger.acks();
    model.check_acks(&acks);
    let mut violations = std::mem::take(&mut model.violations);
    stores::postgres_matches_log(&pool, &model, &mut violations).await?;
    let totals = stores::clickhouse_matches_postgres(deployment, &pool, &mut violations).await?;
    stores::read_models_equal_rebuild(deployment, &mut violations)?;
    check_faults(&injected, &mut violations);

    let mut acknowledged = BTreeMap::new();
    for ack in &acks {
        *acknowledged.entry(ack.what.to_string()).or_default() += 1;
    }
    let mut faults_by_kind = BTreeMap::new();
    for fault in injected.iter().filter(|f| f.error.is_none()) {
        *faults_by_kind.entry(fault.kind.clone()).or_default() += 1;
    }
    let checks = audit::verdicts(&violations);
    let minutes = config.load.as_secs_f64() / 60.0;
    Ok(Summary {
        seed: config.seed,
        minutes,
        rerun: format!(
            "infra/stack faults --minutes {minutes} --seed {}",
            config.seed
        ),
        load: shop.client.counters.values(),
        uncertain_refusals: shop.client.ledger.uncertain_refusals(),
        acknowledged,
        faults: injected,
        faults_by_kind,
        postgres_fault: postgres.target(),
        services: deployment.report(),
        settle: settled,
        log: model.totals.clone(),
        orders: model.order_statuses(),
        payments: model.payment_statuses(),
        escalations: owed.escalations,
        totals: totals.into_iter().collect(),
        passed: checks.iter().all(|c| c.passed),
        checks,
    })
}

/// The plan must have run: 10 faults, 2 freezes, the Postgres fault, every role killed.
fn check_faults(injected: &[Injected], v: &mut Violations) {
    let done: Vec<&Injected> = injected.iter().filter(|f| f.error.is_none()).collect();
    for failed in injected.iter().filter(|f| f.error.is_some()) {
        v.add(
            "faults_injected",
            format!(
                "{} at {} s failed: {}",
                failed.kind,
                failed.at_secs,
                failed.error.as_deref().unwrap_or_default()
            ),
        );
    }
    let count = |kind: FaultKind| done.iter().filter(|f| f.kind == kind.label()).count();
    if done.len() < 10 {
        v.add(
            "faults_injected",
            format!("only {} faults injected", done.len()),
        );
    }
    if count(FaultKind::FreezeBroker) < 2 {
        v.add("faults_injected", "fewer than 2 broker freezes");
    }
    if count(FaultKind::RestartPostgres) < 1 {
        v.add("faults_injected", "no Postgres fault");
    }
    for role in [
        Role::Processor,
        Role::Saga,
        Role::Projector,
        Role::CommandApi,
        Role::QueryApi,
    ] {
        if count(FaultKind::Kill(role)) == 0 {
            v.add("faults_injected", format!("{} never killed", role.name()));
        }
    }
}
