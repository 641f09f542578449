//! `agora-command-api create-admin`: bootstraps the first admin account.
//!
//! Registers the account as `system:cli` (claim, then register, exactly as `/auth/register`
//! does) and then makes it an admin with `ChangeRole`. The registration's command id derives
//! from the address, so running the command again finds the same account and only ensures its
//! role; an account registered earlier through the API is found in the `customers` read model
//! and promoted.

use std::sync::Arc;

use anyhow::Context;
use domain::values::Email;
use runtime::shutdown::Shutdown;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    auth::Keys,
    commands::{self, RequestIdentity, derived_id},
    config::ApiConfig,
    dispatch::Dispatcher,
    error::ApiError,
    startup::AppState,
};

use super::{
    credentials, passwords,
    registration::{self, NewAccount, Registered, envelope_as},
};

/// The actor written into the bootstrap's commands.
pub const ACTOR: &str = "system:cli";

/// What `create-admin` was asked.
#[derive(Debug, Clone)]
pub struct AdminRequest {
    /// Login address.
    pub email: String,
    /// Clear-text password.
    pub password: String,
    /// Display name.
    pub display_name: String,
}

/// What `create-admin` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminOutcome {
    /// A new account was registered and made an admin.
    Created(Uuid),
    /// The account existed; its role is now admin.
    Existing(Uuid),
}

impl AdminOutcome {
    /// The account id.
    pub fn customer_id(self) -> Uuid {
        match self {
            Self::Created(id) | Self::Existing(id) => id,
        }
    }
}

/// Registers (or finds) the account and makes it an admin.
pub async fn create_admin(
    config: &ApiConfig,
    request: AdminRequest,
) -> anyhow::Result<AdminOutcome> {
    let email = Email::parse(&request.email).context("--email")?;
    passwords::validate("--password", &request.password)?;
    let shutdown = Shutdown::new();
    let state = connect(config, shutdown.clone()).await?;
    let outcome = bootstrap(&state, email, request).await;
    shutdown.trigger();
    state.dispatcher.drained().await;
    outcome
}

async fn connect(config: &ApiConfig, shutdown: Shutdown) -> anyhow::Result<AppState> {
    let epoch = runtime::topics::read_log_epoch(&config.kafka)
        .await?
        .context("the broker holds no Agora log yet: run `agora-admin topics`")?;
    Ok(AppState {
        dispatcher: Dispatcher::start(&config.kafka, config.reply_timeout, shutdown).await?,
        keys: Arc::new(Keys::from_secret(&config.jwt_secret)),
        log_epoch: epoch.log_epoch,
        kafka: config.kafka.clone(),
        // Never served: this state backs a one-off command, not the HTTP API.
        readiness: runtime::health::Readiness::default(),
        db: crate::db::connect(&config.database_url)?,
    })
}

async fn bootstrap(
    state: &AppState,
    email: Email,
    request: AdminRequest,
) -> anyhow::Result<AdminOutcome> {
    match credentials::by_email(&state.db, &email).await {
        Ok(Some(existing)) => {
            make_admin(state, existing.customer_id).await?;
            return Ok(AdminOutcome::Existing(existing.customer_id));
        }
        Ok(None) => {}
        // The read model may not exist yet (no projector run so far): registering still works.
        Err(error) => tracing::warn!(%error, "looking the account up in the read model failed"),
    }
    let command_id = derived_id(Uuid::nil(), &format!("create-admin|{email}"));
    let identity = RequestIdentity {
        command_id,
        request_hash: format!(
            "{:x}",
            Sha256::digest(format!("create-admin|{email}").as_bytes())
        ),
        traceparent: None,
    };
    let account = NewAccount {
        email,
        password: request.password,
        display_name: request.display_name,
    };
    match registration::register(state, &identity, Some(ACTOR), account).await {
        Ok(Registered::Done { customer_id, .. }) => {
            make_admin(state, customer_id).await?;
            Ok(AdminOutcome::Created(customer_id))
        }
        Ok(Registered::Pending { .. }) => anyhow::bail!(
            "the registration is queued but not answered yet (are processors running?); \
             run the command again"
        ),
        // An earlier run registered this address with another password: same account.
        Err(ApiError::Refused(reason)) if reason.code == "idempotency_key_reused" => {
            let customer_id = registration::customer_id_for(command_id);
            make_admin(state, customer_id).await?;
            Ok(AdminOutcome::Existing(customer_id))
        }
        Err(ApiError::Refused(reason)) if reason.code == "email_taken" => anyhow::bail!(
            "the address belongs to an account the customers read model does not show yet; \
             start the projector and run the command again"
        ),
        Err(error) => Err(anyhow::anyhow!("registering failed: {error}")),
    }
}

/// Sends `ChangeRole` to admin (a no-op when the account already is one).
async fn make_admin(state: &AppState, customer_id: Uuid) -> anyhow::Result<()> {
    // A fresh command id each run: the role must be ensured now, not answered from an earlier
    // run (an admin may have been demoted since).
    let identity = RequestIdentity {
        command_id: Uuid::now_v7(),
        request_hash: String::new(),
        traceparent: None,
    };
    let mut envelope = envelope_as(
        &identity,
        identity.command_id,
        ACTOR,
        domain::customer::stream_id(customer_id),
        json!({ "type": "ChangeRole", "data": { "role": "admin", "actor_role": "admin" } }),
    );
    envelope.request_hash = None;
    match commands::send(state, &envelope, None).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => {
            anyhow::bail!("the role change is queued but not answered yet; run the command again")
        }
        Err(error) => Err(anyhow::anyhow!(
            "making {customer_id} an admin failed: {error}"
        )),
    }
}
