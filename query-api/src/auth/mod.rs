//! Who is calling: the bearer JWTs command-api issues, verified exactly as it issues them.
//!
//! command-api signs access tokens with HS256 over a shared secret (`AGORA_JWT_SECRET`, or the
//! published dev secret when `AGORA_DEV=1`), with claims `sub` (account id), `role`, `aud`
//! (`agora`) and `exp`; it sets no issuer. This module checks the same things: the algorithm
//! is HS256 and nothing else (so `alg: none` and key-confusion tricks are refused), the
//! signature, the expiry, the audience, and that `sub` is an account id.
//!
//! query-api does not depend on command-api (services share only `domain`, `schemas` and
//! `runtime`), so the claim shapes are restated here; both sides are pinned by the tests,
//! which mint tokens with the same claims.
//!
//! - [`header`]: reading `Authorization` into a [`crate::viewer::Viewer`], and the error
//!   response for a bad token.

pub mod header;

use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The secret command-api signs with when `AGORA_DEV=1` and no secret is configured.
pub const DEV_SECRET: &str = "agora-dev-secret-do-not-use-in-production";

/// Audience every Agora access token is issued for.
pub const AUDIENCE: &str = "agora";

/// Roles, as command-api writes them into the `role` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A shopper.
    Customer,
    /// Shop staff.
    Staff,
    /// Staff with every right.
    Admin,
}

/// Claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The account id (a UUID).
    pub sub: String,
    /// The account's role when the token was issued.
    pub role: Role,
    /// Audience; must be [`AUDIENCE`].
    pub aud: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
}

/// Why a presented token was refused. Messages are safe to show the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The `Authorization` header is not `Bearer <token>`.
    #[error("expected `Authorization: Bearer <token>`")]
    NotBearer,
    /// The token has expired.
    #[error("the access token has expired; refresh it")]
    Expired,
    /// The signature does not match (tampered, or signed with another secret).
    #[error("the access token's signature is invalid")]
    BadSignature,
    /// Signed with something other than HS256 (including `alg: none`).
    #[error("the access token must be signed with HS256")]
    WrongAlgorithm,
    /// Issued for another audience.
    #[error("the access token was not issued for this service")]
    WrongAudience,
    /// The header does not parse: not a JWT, or an algorithm no Agora token uses (`none`).
    #[error("the access token is not a JWT signed with HS256 (`alg: none` is refused)")]
    Unparsable,
    /// Not a JWT, or its claims are not the ones Agora issues.
    #[error("the access token is malformed")]
    Malformed,
}

/// Verifies access tokens with the shared secret.
#[derive(Clone)]
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is a secret: never printed.
        f.debug_struct("Verifier").finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier for tokens signed with `secret`.
    pub fn from_secret(secret: &str) -> Self {
        // HS256 only: a token naming any other algorithm (or none) fails before its signature
        // is looked at. `exp` and `aud` must be present and right; the default leeway (60 s)
        // is the same command-api verifies with, for clock skew between instances.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "aud", "sub"]);
        Self {
            key: DecodingKey::from_secret(secret.as_bytes()),
            validation,
        }
    }

    /// The account and role a token speaks for.
    pub fn verify(&self, token: &str) -> Result<(Uuid, Role), AuthError> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|error| classify(error.kind()))?
            .claims;
        let account = Uuid::parse_str(&claims.sub).map_err(|_| AuthError::Malformed)?;
        Ok((account, claims.role))
    }
}

fn classify(kind: &ErrorKind) -> AuthError {
    match kind {
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::InvalidSignature => AuthError::BadSignature,
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => AuthError::WrongAlgorithm,
        // A header naming an algorithm jsonwebtoken does not know (`none`) fails to parse, the
        // same way as a header that is not JSON at all: one refusal that names both causes.
        ErrorKind::Json(_) => AuthError::Unparsable,
        ErrorKind::InvalidAudience => AuthError::WrongAudience,
        _ => AuthError::Malformed,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use jsonwebtoken::{EncodingKey, Header};

    use super::*;

    fn mint(secret: &str, algorithm: Algorithm, aud: &str, exp_in: i64) -> String {
        let claims = Claims {
            sub: Uuid::from_u128(1).to_string(),
            role: Role::Staff,
            aud: aud.to_string(),
            exp: chrono::Utc::now().timestamp() + exp_in,
        };
        jsonwebtoken::encode(
            &Header::new(algorithm),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    }

    #[test]
    fn a_token_signed_like_command_api_signs_it_verifies() {
        let verifier = Verifier::from_secret("s");
        let token = mint("s", Algorithm::HS256, AUDIENCE, 900);
        assert_eq!(
            verifier.verify(&token),
            Ok((Uuid::from_u128(1), Role::Staff))
        );
    }

    #[test]
    fn other_secrets_algorithms_audiences_and_expired_tokens_are_refused() {
        let verifier = Verifier::from_secret("s");
        let cases = [
            (
                mint("other", Algorithm::HS256, AUDIENCE, 900),
                AuthError::BadSignature,
            ),
            (
                mint("s", Algorithm::HS512, AUDIENCE, 900),
                AuthError::WrongAlgorithm,
            ),
            (
                mint("s", Algorithm::HS256, "elsewhere", 900),
                AuthError::WrongAudience,
            ),
            (
                mint("s", Algorithm::HS256, AUDIENCE, -3600),
                AuthError::Expired,
            ),
            ("garbage".to_string(), AuthError::Malformed),
        ];
        for (token, expected) in cases {
            assert_eq!(verifier.verify(&token), Err(expected));
        }
    }
}
