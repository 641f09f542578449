//! Which version of each unit readers see: `projection_versions`.
//!
//! A unit without a row is at generation 1 (the tables the migrations created) with code
//! version 1. Each switch bumps the generation and records the code version that built it, so a
//! later rebuild knows whether the two versions should hold identical rows.

use sqlx::PgConnection;

/// The live version of a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveVersion {
    /// How many versions have been live, this one included.
    pub generation: i32,
    /// The code version that built it.
    pub code_version: i32,
    /// When it became live, if it was switched in (not created by the migrations).
    pub switched_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The live version of `unit`.
pub async fn live(conn: &mut PgConnection, unit: &str) -> Result<LiveVersion, sqlx::Error> {
    let row: Option<(i32, i32, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "SELECT generation, code_version, switched_at FROM projection_versions WHERE unit = $1",
    )
    .bind(unit)
    .fetch_optional(conn)
    .await?;
    Ok(match row {
        Some((generation, code_version, switched_at)) => LiveVersion {
            generation,
            code_version,
            switched_at: Some(switched_at),
        },
        None => LiveVersion {
            generation: 1,
            code_version: 1,
            switched_at: None,
        },
    })
}

/// Records that `unit` is now at `generation`, built by `code_version`.
pub async fn record(
    conn: &mut PgConnection,
    unit: &str,
    generation: i32,
    code_version: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO projection_versions (unit, generation, code_version, switched_at)
         VALUES ($1, $2, $3, now())
         ON CONFLICT (unit) DO UPDATE
            SET generation = EXCLUDED.generation, code_version = EXCLUDED.code_version,
                switched_at = EXCLUDED.switched_at",
    )
    .bind(unit)
    .bind(generation)
    .bind(code_version)
    .execute(conn)
    .await?;
    Ok(())
}
