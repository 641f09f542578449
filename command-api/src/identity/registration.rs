//! Registration: claim the e-mail address, then open the customer stream with the password hash.
//!
//! Both commands derive their ids from the request's command id, and the password hash is salted
//! from it too (see [`super::passwords`]), so a retried registration (same `Idempotency-Key`,
//! same body) re-sends identical commands and gets the first attempt's answers back. If the
//! customer stream refuses, the claim is released so the address does not stay blocked.

use chrono::Utc;
use domain::values::Email;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    commands::{self, Accepted, RequestIdentity, derived_id},
    error::ApiError,
    startup::AppState,
    wire::CommandEnvelope,
};

use super::passwords;

/// What to register.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Normalized login address.
    pub email: Email,
    /// Clear-text password (already checked for length).
    pub password: String,
    /// Display name.
    pub display_name: String,
}

/// How a registration ended.
#[derive(Debug, Clone)]
pub enum Registered {
    /// The claim and the customer are in the log.
    Done {
        /// The new account.
        customer_id: Uuid,
        /// The registration's and the claim's positions.
        accepted: Vec<Accepted>,
    },
    /// A command is queued but not yet answered; retrying with the same key finishes it.
    Pending {
        /// The account being created.
        customer_id: Uuid,
    },
}

/// An envelope sent on behalf of `actor` (e.g. `system:cli`, or a customer registering).
pub fn envelope_as(
    identity: &RequestIdentity,
    command_id: Uuid,
    actor: &str,
    stream: String,
    command: serde_json::Value,
) -> CommandEnvelope {
    CommandEnvelope {
        command_id,
        stream,
        command,
        actor: actor.to_string(),
        correlation_id: identity.command_id,
        causation_id: identity.command_id,
        request_hash: Some(identity.request_hash.clone()),
        issued_at: Utc::now(),
    }
}

/// Binds a request hash to a password hash, so that a key reused with another password is a
/// different request without any fast hash of the password itself reaching the log.
pub fn bind_password_hash(identity: &mut RequestIdentity, password_hash: &str) {
    identity.request_hash = format!(
        "{:x}",
        Sha256::new()
            .chain_update(identity.request_hash.as_bytes())
            .chain_update(b"|")
            .chain_update(password_hash.as_bytes())
            .finalize()
    );
}

/// The customer id a registration with command id `command_id` creates.
pub fn customer_id_for(command_id: Uuid) -> Uuid {
    derived_id(command_id, "customer")
}

/// Claims the address and registers the customer, as `actor` (`None`: the new customer itself).
pub async fn register(
    state: &AppState,
    identity: &RequestIdentity,
    actor: Option<&str>,
    account: NewAccount,
) -> Result<Registered, ApiError> {
    let customer_id = customer_id_for(identity.command_id);
    let actor = actor.map_or_else(|| format!("customer:{customer_id}"), str::to_string);
    let password_hash =
        passwords::hash(account.password, passwords::salt_for(identity.command_id)).await?;
    let mut identity = identity.clone();
    bind_password_hash(&mut identity, &password_hash);
    let traceparent = identity.traceparent.as_deref();

    let email_stream = domain::email_claim::stream_id(&account.email);
    let claim = envelope_as(
        &identity,
        derived_id(identity.command_id, "claim-email"),
        &actor,
        email_stream.clone(),
        json!({ "type": "ClaimEmail", "data": {
            "email": account.email, "customer_id": customer_id,
        }}),
    );
    let Some(claimed) = commands::send(state, &claim, traceparent).await? else {
        return Ok(Registered::Pending { customer_id });
    };

    let registration = envelope_as(
        &identity,
        identity.command_id,
        &actor,
        domain::customer::stream_id(customer_id),
        json!({ "type": "RegisterCustomer", "data": {
            "customer_id": customer_id,
            "email": account.email,
            "display_name": account.display_name,
            "password_hash": password_hash,
            "role": "customer",
        }}),
    );
    match commands::send(state, &registration, traceparent).await {
        Ok(Some(registered)) => Ok(Registered::Done {
            customer_id,
            // The registration first: its version is the one answered.
            accepted: vec![registered, claimed],
        }),
        Ok(None) => Ok(Registered::Pending { customer_id }),
        Err(refused @ ApiError::Refused(_)) => {
            let release = envelope_as(
                &identity,
                derived_id(identity.command_id, "release-email"),
                &actor,
                email_stream,
                json!({ "type": "ReleaseEmail", "data": { "customer_id": customer_id } }),
            );
            if let Err(error) = commands::send(state, &release, traceparent).await {
                tracing::warn!(%error, customer.id = %customer_id,
                    "releasing the e-mail claim of a refused registration failed");
            }
            Err(refused)
        }
        Err(error) => Err(error),
    }
}
