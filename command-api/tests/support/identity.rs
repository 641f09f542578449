//! Identity test support: the write side plus the projector (logins read the `customers` read
//! model), anonymous and bearer requests, and waits on the read model.

use std::time::Duration;

use reqwest::Method;
use runtime::testing::{ChildProcess, eventually};
use serde_json::{Value, json};
use uuid::Uuid;

use super::WriteSide;

/// An answer: status, `Retry-After` (if any) and JSON body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: Value,
}

/// The write side with one processor, one API instance and a projector.
pub struct IdentityStack {
    pub side: WriteSide,
    pub projector: ChildProcess,
    pub db: sqlx::PgPool,
}

impl IdentityStack {
    /// Starts everything in a fresh namespace.
    pub async fn start(label: &str) -> anyhow::Result<Self> {
        let side = WriteSide::start(label, 1, 1).await?;
        let projector = side.ns.spawn(
            "agora-projector",
            &["run"],
            &[("AGORA_HEALTH_ADDR", "127.0.0.1:0")],
        )?;
        let db = sqlx::PgPool::connect(&side.ns.database_url).await?;
        Ok(Self {
            side,
            projector,
            db,
        })
    }

    /// Sends `body` to `path` with an optional bearer token and idempotency key.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Value,
        bearer: Option<&str>,
        key: Option<&str>,
    ) -> anyhow::Result<Answer> {
        let mut request = self
            .side
            .http
            .request(method, format!("{}{path}", self.side.api(0)))
            .json(&body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response.json().await.unwrap_or(Value::Null);
        Ok(Answer {
            status,
            retry_after,
            body,
        })
    }

    /// POSTs anonymously.
    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<Answer> {
        self.call(Method::POST, path, body, None, None).await
    }

    /// Registers an account and returns the 201 answer's body.
    pub async fn register(&self, email: &str, password: &str) -> anyhow::Result<Value> {
        let answer = self
            .post(
                "/auth/register",
                json!({ "email": email, "password": password, "display_name": "Test User" }),
            )
            .await?;
        anyhow::ensure!(answer.status == 201, "register: {answer:?}");
        Ok(answer.body)
    }

    /// Logs in.
    pub async fn login(&self, email: &str, password: &str) -> anyhow::Result<Answer> {
        self.post(
            "/auth/login",
            json!({ "email": email, "password": password }),
        )
        .await
    }

    /// Waits until the `customers` read model shows `customer_id` with `role` and `active`.
    pub async fn wait_for_account(
        &self,
        customer_id: &str,
        role: &str,
        active: bool,
    ) -> anyhow::Result<()> {
        let id: Uuid = customer_id.parse()?;
        let what = format!("customer {id} as an {role} (active: {active}) in the read model");
        eventually(Duration::from_secs(60), &what, || {
            let db = self.db.clone();
            let role = role.to_string();
            async move {
                let row: Option<(String, bool)> =
                    sqlx::query_as("SELECT role, active FROM customers WHERE customer_id = $1")
                        .bind(id)
                        .fetch_optional(&db)
                        .await
                        // The projector may not have created the table yet.
                        .unwrap_or(None);
                Ok(row.filter(|r| *r == (role, active)).map(|_| ()))
            }
        })
        .await
    }

    /// The password hash the read model holds for `customer_id`.
    pub async fn password_hash(&self, customer_id: &str) -> anyhow::Result<String> {
        let id: Uuid = customer_id.parse()?;
        Ok(
            sqlx::query_scalar("SELECT password_hash FROM customers WHERE customer_id = $1")
                .bind(id)
                .fetch_one(&self.db)
                .await?,
        )
    }

    /// Waits until the read model's password hash of `customer_id` is no longer `old`.
    pub async fn wait_for_password_change(
        &self,
        customer_id: &str,
        old: &str,
    ) -> anyhow::Result<()> {
        eventually(
            Duration::from_secs(60),
            "the new password hash in the read model",
            || async {
                let hash = self.password_hash(customer_id).await?;
                Ok((hash != old).then_some(()))
            },
        )
        .await
    }

    /// Runs `agora-command-api create-admin` and returns its output line.
    pub fn create_admin(&self, email: &str, password: &str) -> anyhow::Result<String> {
        let output = std::process::Command::new(runtime::testing::binary_path("agora-command-api"))
            .args(["create-admin", "--email", email, "--password", password])
            .envs(self.side.ns.env())
            .output()?;
        anyhow::ensure!(
            output.status.success(),
            "create-admin failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(String::from_utf8(output.stdout)?.trim().to_string())
    }
}

/// The string field `name` of `body`.
pub fn field(body: &Value, name: &str) -> String {
    body[name].as_str().unwrap_or_default().to_string()
}
