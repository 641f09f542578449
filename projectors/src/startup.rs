//! Building and running the projector: migrate, join the projector group, serve health, run one
//! loop per projection over the partitions the group gives this replica, and drain them all on
//! shutdown.

use std::{net::SocketAddr, sync::Arc};

use runtime::{
    health::{self, Readiness},
    shutdown::Shutdown,
};
use tokio::task::{JoinHandle, JoinSet};

use crate::{
    archive::archiver::Archiver,
    config::Config,
    dlq::DeadLetters,
    error::ProjectorError,
    membership::Membership,
    migrate::{self, Stores},
    notifications::service::Notifications,
    projections::event_log::EventLog,
    projections::sales_facts::SalesFacts,
    projections::{
        carts::Carts, catalog::Catalog, coupons::Coupons, customers::Customers,
        inventory::Inventory, orders::Orders, payments::Payments, stock_movements::StockMovements,
    },
    read_model::{PgProjection, ReadModel},
    replay::guard::SwitchGuarded,
    runner::RunContext,
};

/// A projector ready to run: stores migrated, health endpoint bound.
pub struct Application {
    stores: Stores,
    context: RunContext,
    membership: Membership,
    readiness: Readiness,
    health_addr: SocketAddr,
    health: JoinHandle<std::io::Result<()>>,
    shutdown: Shutdown,
    notifications: Notifications,
    config: Config,
}

impl Application {
    /// Runs migrate's checks, reads the events topic's partition count and binds the health
    /// server (port 0 picks a free one).
    pub async fn build(config: Config, shutdown: Shutdown) -> Result<Self, ProjectorError> {
        let notifications = Notifications::from_config(&config.mail)?;
        let (stores, _check) = migrate::migrate(&config).await?;
        let topic = config.kafka.topics().events;
        let partitions = partition_count(&config, &topic).await?;
        let (membership, assignment) = Membership::join(&config.kafka, &topic, &config.group)?;
        let context = RunContext {
            kafka: config.kafka.clone(),
            topic,
            partitions,
            batch: config.batch,
            dlq: Arc::new(DeadLetters::new(&config.kafka)?),
            stop_at: None,
            assignment,
        };
        let readiness = crate::readiness::checks(&stores);
        let (health_addr, health) = health::serve(
            config.health_addr,
            health::router(readiness.clone()),
            shutdown.clone(),
        )
        .await?;
        tracing::info!(health.addr = %health_addr, partitions, log_epoch = %stores.log_epoch, "projector built");
        Ok(Self {
            stores,
            context,
            membership,
            readiness,
            health_addr,
            health,
            shutdown,
            notifications,
            config,
        })
    }

    /// Where `/healthz` and `/readyz` are served.
    pub fn health_addr(&self) -> SocketAddr {
        self.health_addr
    }

    /// Runs every projection until shutdown; each finishes and commits the batch in hand.
    pub async fn run_until_stopped(self) -> Result<(), ProjectorError> {
        let Self {
            stores,
            context,
            membership,
            readiness,
            health,
            shutdown,
            notifications,
            config,
            ..
        } = self;
        let mut tasks = JoinSet::new();
        // The group member polls on a blocking thread; projections wait for its first
        // assignment and follow every change of it.
        tasks.spawn_blocking({
            let shutdown = shutdown.clone();
            move || {
                membership.run(shutdown);
                Ok(())
            }
        });
        tasks.spawn({
            let (stores, partitions, readiness, shutdown) = (
                stores.clone(),
                context.partitions,
                readiness.clone(),
                shutdown.clone(),
            );
            async move {
                crate::lag_gauges::run(config, stores, partitions, readiness, shutdown).await;
                Ok(())
            }
        });
        tasks.spawn(crate::traced::run(
            PgProjection::new(stores.pool.clone(), Catalog, stores.log_epoch),
            context.clone(),
            shutdown.clone(),
        ));
        tasks.spawn(crate::traced::run(
            PgProjection::new(stores.pool.clone(), Inventory, stores.log_epoch),
            context.clone(),
            shutdown.clone(),
        ));
        spawn_read_model(&mut tasks, &stores, Customers, &context, &shutdown);
        spawn_read_model(&mut tasks, &stores, Carts, &context, &shutdown);
        spawn_read_model(&mut tasks, &stores, Orders, &context, &shutdown);
        spawn_read_model(&mut tasks, &stores, Payments, &context, &shutdown);
        spawn_read_model(&mut tasks, &stores, Coupons, &context, &shutdown);
        tasks.spawn(crate::traced::run(
            SwitchGuarded::new(
                StockMovements::new(stores.clickhouse.clone(), stores.log_epoch),
                stores.pool.clone(),
            ),
            context.clone(),
            shutdown.clone(),
        ));
        tasks.spawn(crate::traced::run(
            SwitchGuarded::new(
                SalesFacts::new(stores.clickhouse.clone(), stores.log_epoch),
                stores.pool.clone(),
            ),
            context.clone(),
            shutdown.clone(),
        ));
        tasks.spawn(crate::traced::run(
            SwitchGuarded::new(
                EventLog::new(stores.clickhouse.clone(), stores.log_epoch),
                stores.pool.clone(),
            ),
            context.clone(),
            shutdown.clone(),
        ));
        tasks.spawn(
            Archiver::new(stores.pool.clone(), stores.log_epoch)
                .run(context.clone(), shutdown.clone()),
        );
        notifications.spawn(
            &mut tasks,
            &stores.pool,
            stores.log_epoch,
            &context,
            &shutdown,
        );
        readiness.set(true);
        let mut first_error = None;
        while let Some(result) = tasks.join_next().await {
            let result = result.map_err(ProjectorError::from).and_then(|r| r);
            if let Err(error) = result {
                tracing::error!(error = %error, "a projection stopped for good; shutting down");
                readiness.set(false);
                shutdown.trigger();
                first_error.get_or_insert(error);
            }
        }
        shutdown.trigger();
        health.await??;
        stores.pool.close().await;
        match first_error {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

/// Runs the Postgres read model `model` as one more task of `tasks`.
fn spawn_read_model<M: ReadModel>(
    tasks: &mut JoinSet<Result<(), ProjectorError>>,
    stores: &Stores,
    model: M,
    context: &RunContext,
    shutdown: &Shutdown,
) {
    tasks.spawn(crate::traced::run(
        PgProjection::new(stores.pool.clone(), model, stores.log_epoch),
        context.clone(),
        shutdown.clone(),
    ));
}

/// The events topic's partition count, from broker metadata (a blocking call).
pub async fn partition_count(config: &Config, topic: &str) -> Result<i32, ProjectorError> {
    let kafka = config.kafka.clone();
    let topic = topic.to_string();
    let count =
        tokio::task::spawn_blocking(move || runtime::kafka::partition_count(&kafka, &topic))
            .await??;
    Ok(count)
}
