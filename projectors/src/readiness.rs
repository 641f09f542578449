//! The projector's `/readyz` checks: Postgres and ClickHouse answer (probed at each request),
//! and every projection is caught up within a bound (the `lag` state [`crate::lag_gauges`]
//! reports each round).

use runtime::health::Readiness;

use crate::migrate::Stores;

/// A registry with the store probes; the run loop adds the worker and lag states.
pub fn checks(stores: &Stores) -> Readiness {
    let readiness = Readiness::default();
    let pool = stores.pool.clone();
    readiness.probe("postgres", move || {
        let pool = pool.clone();
        async move {
            sqlx::query("SELECT 1")
                .execute(&pool)
                .await
                .map(|_| ())
                .map_err(|error| format!("unreachable: {error}"))
        }
    });
    let clickhouse = stores.clickhouse.clone();
    readiness.probe("clickhouse", move || {
        let clickhouse = clickhouse.clone();
        async move {
            clickhouse
                .query("SELECT 1")
                .fetch_one::<u8>()
                .await
                .map(|_| ())
                .map_err(|error| format!("unreachable: {error}"))
        }
    });
    readiness
}
