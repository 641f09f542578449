//! Table fingerprints: a row count and an order-independent content checksum, so a rebuilt
//! version can be checked against the live one without shipping rows around.
//!
//! The checksum is the sum of a 64-bit hash of each row's text form. Summing makes it
//! independent of physical order (the two versions were written in different batches), and
//! the text form covers every column, generated ones included.

use sqlx::PgConnection;

use crate::migrate::quote;

/// What one table holds, in two numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// Rows in the table.
    pub rows: i64,
    /// Sum of the rows' hashes, as decimal text (it exceeds 64 bits).
    pub checksum: String,
}

/// How one table of a rebuilt version compares with the live one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCheck {
    /// Table name.
    pub table: String,
    /// The live version's fingerprint.
    pub live: Fingerprint,
    /// The rebuilt version's fingerprint.
    pub rebuilt: Fingerprint,
}

impl TableCheck {
    /// Whether both versions hold the same rows.
    pub fn matches(&self) -> bool {
        self.live == self.rebuilt
    }
}

/// The fingerprint of `schema.table`.
pub async fn fingerprint(
    conn: &mut PgConnection,
    schema: &str,
    table: &str,
) -> Result<Fingerprint, sqlx::Error> {
    let name = format!("{}.{}", quote(schema), quote(table));
    let (rows, checksum): (i64, String) = sqlx::query_as(&format!(
        "SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)::numeric), 0)::text
         FROM {name} AS t"
    ))
    .fetch_one(conn)
    .await?;
    Ok(Fingerprint { rows, checksum })
}

/// Compares every table of `tables` between `live_schema` and `rebuilt_schema`.
pub async fn compare(
    conn: &mut PgConnection,
    tables: &[&str],
    live_schema: &str,
    rebuilt_schema: &str,
) -> Result<Vec<TableCheck>, sqlx::Error> {
    let mut checks = Vec::with_capacity(tables.len());
    for table in tables {
        checks.push(TableCheck {
            table: table.to_string(),
            live: fingerprint(conn, live_schema, table).await?,
            rebuilt: fingerprint(conn, rebuilt_schema, table).await?,
        });
    }
    Ok(checks)
}
