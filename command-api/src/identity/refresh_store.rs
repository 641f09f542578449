//! Refresh tokens in Postgres (`refresh_tokens`, see `migrations/1001_identity.sql`).
//!
//! Only the SHA-256 of a token is stored. Rotation revokes the presented token and records its
//! successor; a rotated token presented again means it was copied, so every live token of that
//! customer is revoked (reuse detection) and the caller must log in again.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::auth::Role;

use super::credentials::parse_role;

/// Where a presented refresh token stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was live and is now replaced by the new one.
    Rotated {
        /// Whose it was.
        customer_id: Uuid,
        /// The role it was issued with.
        role: Role,
    },
    /// The token was already rotated: the customer's whole chain has been revoked.
    Reused {
        /// Whose it was.
        customer_id: Uuid,
    },
    /// Unknown, expired or logged out.
    Invalid,
}

/// Stores a new token (by its hash).
pub async fn insert(
    pool: &PgPool,
    token_hash: &str,
    customer_id: Uuid,
    role: Role,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, customer_id, role, issued_at, expires_at) \
         VALUES ($1, $2, $3, now(), $4)",
    )
    .bind(token_hash)
    .bind(customer_id)
    .bind(role_text(role))
    .bind(expires_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// Replaces the token hashed `presented` with the one hashed `successor` (expiring at
/// `expires_at`), atomically: of two concurrent rotations of one token, one wins and the other
/// is treated as reuse.
pub async fn rotate(
    pool: &PgPool,
    presented: &str,
    successor: &str,
    expires_at: DateTime<Utc>,
) -> Result<Rotation, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let row: Option<(Uuid, String, bool, bool, bool)> = sqlx::query_as(
        "SELECT customer_id, role, revoked_at IS NOT NULL, replaced_by IS NOT NULL, \
                expires_at <= now() \
         FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE",
    )
    .bind(presented)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((customer_id, role, revoked, replaced, expired)) = row else {
        return Ok(Rotation::Invalid);
    };
    if replaced {
        revoke_all_in(&mut tx, customer_id).await?;
        tx.commit().await?;
        return Ok(Rotation::Reused { customer_id });
    }
    if revoked || expired {
        return Ok(Rotation::Invalid);
    }
    let role = parse_role(&role);
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, customer_id, role, issued_at, expires_at) \
         VALUES ($1, $2, $3, now(), $4)",
    )
    .bind(successor)
    .bind(customer_id)
    .bind(role_text(role))
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = now(), replaced_by = $2 WHERE token_hash = $1",
    )
    .bind(presented)
    .bind(successor)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Rotation::Rotated { customer_id, role })
}

/// Whether `customer_id` holds a live (unrevoked, unexpired) refresh token: the API issued it a
/// session that has not ended. Every legitimate access token comes with one (registration,
/// login, refresh and password change all issue a pair), so an access token whose account holds
/// none was not issued by a login here, or its sessions have all ended.
pub async fn has_live_session(pool: &PgPool, customer_id: Uuid) -> Result<bool, sqlx::Error> {
    // Served by the partial index on live tokens (`refresh_tokens_live_by_customer`).
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM refresh_tokens \
         WHERE customer_id = $1 AND revoked_at IS NULL AND expires_at > now())",
    )
    .bind(customer_id)
    .fetch_one(pool)
    .await
}

/// Revokes one token; `false` when it was not live (unknown or already revoked).
pub async fn revoke(pool: &PgPool, token_hash: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = now() \
         WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(token_hash)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Revokes every live token of `customer_id`; returns how many.
pub async fn revoke_all(pool: &PgPool, customer_id: Uuid) -> Result<u64, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    revoke_all_in(&mut conn, customer_id).await
}

async fn revoke_all_in(
    conn: &mut sqlx::PgConnection,
    customer_id: Uuid,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = now() \
         WHERE customer_id = $1 AND revoked_at IS NULL",
    )
    .bind(customer_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

fn role_text(role: Role) -> &'static str {
    match role {
        Role::Customer => "customer",
        Role::Staff => "staff",
        Role::Admin => "admin",
    }
}
