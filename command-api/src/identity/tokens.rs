//! Issuing tokens: short-lived access tokens and long-lived, rotating refresh tokens.
//!
//! - Access token: an HS256 JWT signed by [`Keys`] with `sub` = customer id, `role`, `aud` and
//!   `exp` = now + [`ACCESS_TTL`]. Stateless: checked by signature on every request, so a role
//!   change or deactivation reaches it only when it expires (at most 15 minutes).
//! - Refresh token: 32 random bytes, base64url. The client keeps the token; the server keeps
//!   only its SHA-256 ([`fingerprint`]) with an expiry of [`REFRESH_TTL`]. Each refresh spends
//!   the token and returns a new one (rotation); logout and password changes revoke them.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use rand_core::{OsRng, RngCore};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use crate::auth::{AUDIENCE, Claims, Keys, Role};

use super::refresh_store;

/// Lifetime of an access token.
pub const ACCESS_TTL: Duration = Duration::from_secs(15 * 60);
/// Lifetime of a refresh token.
pub const REFRESH_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// Why tokens could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Signing failed.
    #[error("signing the access token failed: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
    /// Storing the refresh token failed.
    #[error("storing the refresh token failed: {0}")]
    Store(#[from] sqlx::Error),
}

/// A fresh pair of tokens for one account.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    /// The account.
    pub customer_id: Uuid,
    /// The role written into the access token.
    pub role: Role,
    /// The signed JWT.
    pub access_token: String,
    /// The refresh token (only the client ever holds it in clear).
    pub refresh_token: String,
    /// When the refresh token expires.
    pub refresh_expires_at: DateTime<Utc>,
}

impl IssuedTokens {
    /// The token fields of an answer.
    pub fn to_json(&self) -> Value {
        json!({
            "customer_id": self.customer_id,
            "role": self.role,
            "token_type": "Bearer",
            "access_token": self.access_token,
            "expires_in": ACCESS_TTL.as_secs(),
            "refresh_token": self.refresh_token,
            "refresh_expires_at": self.refresh_expires_at,
        })
    }
}

/// Signs an access token for `customer_id` with `role`.
pub fn access_token(
    keys: &Keys,
    customer_id: Uuid,
    role: Role,
) -> Result<String, jsonwebtoken::errors::Error> {
    let ttl = i64::try_from(ACCESS_TTL.as_secs()).unwrap_or(i64::MAX);
    keys.sign(&Claims {
        sub: customer_id.to_string(),
        role,
        aud: AUDIENCE.to_string(),
        exp: Utc::now().timestamp().saturating_add(ttl),
    })
}

/// A new refresh token: 32 bytes from the operating system's CSPRNG, base64url.
pub fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored for a refresh token: its SHA-256, hex. A fast hash is enough because the
/// token is 256 random bits, not a guessable password.
pub fn fingerprint(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

/// When a refresh token issued now expires.
pub fn refresh_expiry() -> DateTime<Utc> {
    Utc::now() + chrono::Duration::from_std(REFRESH_TTL).unwrap_or(chrono::Duration::days(30))
}

/// Issues an access token and a new refresh token (stored) for an account.
pub async fn issue(
    db: &PgPool,
    keys: &Keys,
    customer_id: Uuid,
    role: Role,
) -> Result<IssuedTokens, TokenError> {
    let refresh_token = new_refresh_token();
    let refresh_expires_at = refresh_expiry();
    refresh_store::insert(
        db,
        &fingerprint(&refresh_token),
        customer_id,
        role,
        refresh_expires_at,
    )
    .await?;
    Ok(IssuedTokens {
        customer_id,
        role,
        access_token: access_token(keys, customer_id, role)?,
        refresh_token,
        refresh_expires_at,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (team rule)
mod tests {
    use super::*;

    #[test]
    fn an_access_token_verifies_with_the_same_keys_and_expires_in_fifteen_minutes() {
        let keys = Keys::from_secret("test-secret");
        let id = Uuid::now_v7();
        let claims = keys
            .verify(&access_token(&keys, id, Role::Staff).unwrap())
            .unwrap();
        assert_eq!(claims.sub, id.to_string());
        assert_eq!(claims.role, Role::Staff);
        let left = claims.exp - Utc::now().timestamp();
        assert!((890..=900).contains(&left), "{left}");
        assert!(
            Keys::from_secret("other")
                .verify(&access_token(&keys, id, Role::Staff).unwrap())
                .is_err()
        );
    }

    #[test]
    fn refresh_tokens_are_32_random_bytes_in_base64url() {
        let token = new_refresh_token();
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).unwrap().len(), 32);
        assert_ne!(token, new_refresh_token());
    }

    #[test]
    fn the_stored_fingerprint_is_a_sha256_that_does_not_contain_the_token() {
        let token = new_refresh_token();
        let stored = fingerprint(&token);
        assert_eq!(stored.len(), 64);
        assert_eq!(stored, fingerprint(&token));
        assert!(!stored.contains(&token));
    }
}
