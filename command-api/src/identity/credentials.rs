//! Credentials as the `customers` read model holds them (written by the projectors).
//!
//! The read model lags the log by milliseconds: an account registered a moment ago may not be
//! found yet, and a password changed a moment ago may still verify against the old hash until
//! the projection catches up.

use domain::values::Email;
use sqlx::PgPool;
use uuid::Uuid;

use crate::auth::Role;

/// What login needs to know about an account.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The account id.
    pub customer_id: Uuid,
    /// The login address.
    pub email: String,
    /// PHC-format argon2id hash.
    pub password_hash: String,
    /// The account's role.
    pub role: Role,
    /// False once deactivated.
    pub active: bool,
}

type Row = (Uuid, String, String, String, bool);

const COLUMNS: &str = "customer_id, email, password_hash, role, active";

fn from_row((customer_id, email, password_hash, role, active): Row) -> Credentials {
    Credentials {
        customer_id,
        email,
        password_hash,
        role: parse_role(&role),
        active,
    }
}

/// Reads a role column; anything unknown is the least privileged role.
pub fn parse_role(text: &str) -> Role {
    match text {
        "admin" => Role::Admin,
        "staff" => Role::Staff,
        _ => Role::Customer,
    }
}

/// The credentials of the account with login `email`.
pub async fn by_email(pool: &PgPool, email: &Email) -> Result<Option<Credentials>, sqlx::Error> {
    let row: Option<Row> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM customers WHERE email = $1 ORDER BY active DESC, created_at DESC LIMIT 1"))
            .bind(email.as_str())
            .fetch_optional(pool)
            .await?;
    Ok(row.map(from_row))
}

/// The credentials of account `customer_id`.
pub async fn by_id(pool: &PgPool, customer_id: Uuid) -> Result<Option<Credentials>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM customers WHERE customer_id = $1"
    ))
    .bind(customer_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(from_row))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_role_text_reads_as_the_least_privileged_role() {
        assert_eq!(parse_role("admin"), Role::Admin);
        assert_eq!(parse_role("staff"), Role::Staff);
        assert_eq!(parse_role("customer"), Role::Customer);
        assert_eq!(parse_role("root"), Role::Customer);
    }
}
