//! Who is calling: bearer JWTs (HS256) with a role claim.
//!
//! Tokens are issued by the identity endpoints (a later issue) and, for operators and local
//! development, by `agora-command-api mint-token`. Without `AGORA_JWT_SECRET` the service refuses
//! to start unless `AGORA_DEV=1`, which uses a published dev-only secret.

use axum::{extract::FromRequestParts, http::request::Parts};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::{error::ApiError, startup::AppState};

/// The secret used only when `AGORA_DEV=1` and no secret is configured.
pub const DEV_SECRET: &str = "agora-dev-secret-do-not-use-in-production";
/// Audience every Agora token is issued for.
pub const AUDIENCE: &str = "agora";

/// Roles, from least to most privileged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A shopper.
    Customer,
    /// Shop staff: catalog, stock, orders.
    Staff,
    /// Everything, including roles of others.
    Admin,
}

/// Claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Subject: the account id.
    pub sub: String,
    /// The account's role.
    pub role: Role,
    /// Audience.
    pub aud: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
}

/// Signs and verifies tokens.
#[derive(Clone)]
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Keys {
    /// Keys from a shared secret.
    pub fn from_secret(secret: &str) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
        }
    }

    /// Signs `claims`.
    pub fn sign(&self, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
    }

    /// Verifies a token: signature (HS256 only), expiry and audience.
    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).map(|data| data.claims)
    }
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Account id.
    pub subject: String,
    /// Role.
    pub role: Role,
}

impl Caller {
    /// The actor string written into envelopes, e.g. `staff:<id>`.
    pub fn actor(&self) -> String {
        let role = match self.role {
            Role::Customer => "customer",
            Role::Staff => "staff",
            Role::Admin => "admin",
        };
        format!("{role}:{}", self.subject)
    }

    /// Refuses callers below `role`.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.role >= role {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this action needs the {role:?} role"
            )))
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| ApiError::Unauthenticated("missing bearer token".into()))?;
        let token = header.strip_prefix("Bearer ").ok_or_else(|| {
            ApiError::Unauthenticated("expected `Authorization: Bearer <token>`".into())
        })?;
        let claims = state
            .keys
            .verify(token)
            .map_err(|error| ApiError::Unauthenticated(format!("invalid token: {error}")))?;
        Ok(Caller {
            subject: claims.sub,
            role: claims.role,
        })
    }
}
