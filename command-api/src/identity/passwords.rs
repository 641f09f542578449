//! Password hashing with argon2id (PHC strings), run off the async runtime.
//!
//! The salt of a new hash is derived from the command that carries it (a SHA-256 of the command
//! id): salts only need to be unique, and a retried request (same `Idempotency-Key`, same
//! password) then yields the very same hash, so the processors recognise the retry instead of
//! refusing it as a different request. Parameters are argon2's defaults (argon2id, 19 MiB, two
//! passes, one lane: the OWASP baseline); old hashes keep verifying with the parameters they
//! name.
//!
//! At most one hash per core runs at a time ([`HASHING`]): each takes 19 MiB, and Tokio's
//! blocking pool would otherwise run hundreds at once under a burst of registrations (measured:
//! 3.4 GiB peak in command-api during a 10,000-buyer flash sale) without finishing any sooner.

use std::sync::LazyLock;

use tokio::sync::Semaphore;

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier, password_hash::SaltString};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::ApiError;

/// Shortest accepted password, in characters.
pub const MIN_LEN: usize = 8;
/// Longest accepted password, in characters (bounds the hashing work a request can ask for).
pub const MAX_LEN: usize = 128;

/// Why hashing failed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// argon2 refused its input (never expected with valid parameters).
    #[error("hashing the password failed: {0}")]
    Hash(String),
    /// The blocking task did not finish.
    #[error("the hashing task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl From<PasswordError> for ApiError {
    fn from(error: PasswordError) -> Self {
        ApiError::Internal(error.into())
    }
}

/// Checks the length rule; `field` names the body field in the error.
pub fn validate(field: &str, password: &str) -> Result<(), ApiError> {
    let len = password.chars().count();
    if (MIN_LEN..=MAX_LEN).contains(&len) {
        Ok(())
    } else {
        Err(ApiError::field(
            field,
            format!("must be {MIN_LEN} to {MAX_LEN} characters"),
        ))
    }
}

/// The salt for a hash carried by command `command_id`.
pub fn salt_for(command_id: Uuid) -> [u8; 16] {
    let digest = Sha256::new()
        .chain_update(b"agora-password-salt|")
        .chain_update(command_id.as_bytes())
        .finalize();
    let mut salt = [0u8; 16];
    salt.copy_from_slice(&digest[..16]);
    salt
}

/// Hashes `password` with `salt` (blocking: tens of milliseconds of CPU).
pub fn hash_blocking(password: &str, salt: &[u8; 16]) -> Result<String, PasswordError> {
    let salt = SaltString::encode_b64(salt).map_err(|e| PasswordError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Permits for concurrent hashing: one per core. Requests beyond that wait here, holding no
/// hashing memory, in arrival order (Tokio's semaphore is fair).
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    Semaphore::new(cores)
});

/// Runs `work` on the blocking pool once a hashing permit is free.
async fn with_permit<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PasswordError> {
    // The semaphore is never closed, so acquiring cannot fail; if it ever did, hashing without
    // a permit is still correct, only less frugal.
    let _permit = HASHING.acquire().await.ok();
    Ok(tokio::task::spawn_blocking(work).await?)
}

/// Hashes `password` with `salt` on the blocking pool.
pub async fn hash(password: String, salt: [u8; 16]) -> Result<String, PasswordError> {
    with_permit(move || hash_blocking(&password, &salt)).await?
}

/// A hash of a password nobody knows, with the parameters of new hashes: checking a password
/// for an unknown account against it costs what a real check costs, so response times do not
/// tell which e-mail addresses have accounts.
static DUMMY_HASH: LazyLock<Option<String>> =
    LazyLock::new(|| hash_blocking("agora-dummy-password", &salt_for(Uuid::nil())).ok());

/// Computes the dummy hash now, so the first unknown-account login is not slower than others.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}

/// Whether `password` matches the PHC string `hash` (blocking). A malformed hash matches nothing.
pub fn verify_blocking(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Whether `password` matches `hash`, on the blocking pool. Without a hash (unknown account) the
/// password is checked against the dummy hash and the answer is always `false`.
pub async fn verify(password: String, hash: Option<String>) -> Result<bool, PasswordError> {
    with_permit(move || match hash {
        Some(hash) => verify_blocking(&password, &hash),
        None => {
            if let Some(dummy) = DUMMY_HASH.as_deref() {
                // Same work as a real check; the result is discarded on purpose.
                let _ = verify_blocking(&password, dummy);
            }
            false
        }
    })
    .await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (team rule)
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_argon2id_and_verifies_only_its_password() {
        let hash = hash_blocking("correct horse", &salt_for(Uuid::now_v7())).unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_blocking("correct horse", &hash));
        assert!(!verify_blocking("correct horsE", &hash));
    }

    #[test]
    fn the_same_command_yields_the_same_hash_and_another_command_a_different_one() {
        let command = Uuid::now_v7();
        let first = hash_blocking("retry me please", &salt_for(command)).unwrap();
        let again = hash_blocking("retry me please", &salt_for(command)).unwrap();
        let other = hash_blocking("retry me please", &salt_for(Uuid::now_v7())).unwrap();
        assert_eq!(first, again);
        assert_ne!(first, other);
    }

    #[test]
    fn the_dummy_hash_uses_the_parameters_of_new_hashes() {
        let dummy = DUMMY_HASH.as_deref().unwrap();
        let fresh = hash_blocking("whatever", &salt_for(Uuid::now_v7())).unwrap();
        let params = |phc: &str| phc.rsplitn(3, '$').nth(2).unwrap().to_string();
        assert_eq!(params(dummy), params(&fresh));
    }

    #[test]
    fn a_malformed_hash_matches_nothing() {
        assert!(!verify_blocking("password", "not-a-phc-string"));
    }

    #[test]
    fn passwords_outside_eight_to_128_characters_are_refused() {
        assert!(validate("password", "1234567").is_err());
        assert!(validate("password", "12345678").is_ok());
        assert!(validate("password", &"é".repeat(128)).is_ok());
        assert!(validate("password", &"x".repeat(129)).is_err());
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        assert!(!verify("agora-dummy-password".into(), None).await.unwrap());
    }
}
