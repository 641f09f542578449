//! The load client's view of Agora: JSON requests to command-api, GraphQL to query-api, and
//! tokens signed with the dev secret the services run with (`AGORA_DEV=1`).

use std::time::Duration;

use anyhow::Context;
use command_api::auth::{AUDIENCE, Claims, DEV_SECRET, Keys, Role};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

/// One HTTP client (a pool of keep-alive connections) shared by every simulated user.
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(4096)
        .tcp_nodelay(true)
        .build()?)
}

/// Both APIs and a staff token.
#[derive(Clone)]
pub struct Api {
    /// The HTTP client.
    pub http: reqwest::Client,
    /// command-api base URL.
    pub command: String,
    /// query-api base URL.
    pub query: String,
    /// An admin's token.
    pub admin: String,
}

/// An answer: status and JSON body (`null` when the body is not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Body.
    pub body: Value,
}

impl Answer {
    /// The answer if its status is 200, an error naming `what` otherwise.
    pub fn ok(self, what: &str) -> anyhow::Result<Value> {
        anyhow::ensure!(self.status == 200, "{what}: {} {}", self.status, self.body);
        Ok(self.body)
    }
}

impl Api {
    /// Clients for both APIs.
    pub fn new(http: reqwest::Client, command: &str, query: &str) -> anyhow::Result<Self> {
        Ok(Self {
            http,
            command: command.to_string(),
            query: query.to_string(),
            admin: token(&Uuid::new_v4().to_string(), Role::Admin)?,
        })
    }

    /// Sends `body` to command-api with `bearer` and optional extra headers.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: &Value,
        bearer: &str,
        headers: &[(&str, &str)],
    ) -> anyhow::Result<Answer> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.command))
            .bearer_auth(bearer)
            .json(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("POST {path}"))?;
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        Ok(Answer { status, body })
    }

    /// POSTs as staff.
    pub async fn staff(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.call(Method::POST, path, &body, &self.admin, &[])
            .await?
            .ok(path)
    }

    /// POSTs as a customer.
    /// Opens `bearer`'s cart and adds `quantity` of `sku`; returns the line's consistency token,
    /// which a checkout passes so it prices the cart with that line in it.
    pub async fn cart_with_line(
        &self,
        bearer: &str,
        sku: &str,
        quantity: u32,
    ) -> anyhow::Result<String> {
        let cart = self
            .post(bearer, "/carts/mine", json!({}))
            .await?
            .ok("cart")?;
        let cart_id = cart["cart_id"].as_str().context("no cart_id")?;
        let line = self
            .post(
                bearer,
                &format!("/carts/{cart_id}/lines"),
                json!({ "sku": sku, "quantity": quantity }),
            )
            .await?
            .ok("add line")?;
        Ok(line["consistency_token"]
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    pub async fn post(&self, bearer: &str, path: &str, body: Value) -> anyhow::Result<Answer> {
        self.call(Method::POST, path, &body, bearer, &[]).await
    }

    /// Runs a GraphQL query; fails on transport errors and on any GraphQL error.
    pub async fn graphql(
        &self,
        query: &str,
        variables: Value,
        bearer: Option<&str>,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.query))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        let response = request.send().await.context("POST /graphql")?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        anyhow::ensure!(
            status.is_success() && body.get("errors").is_none_or(Value::is_null),
            "GraphQL: {status} {body}"
        );
        Ok(body)
    }
}

/// A signed access token for `subject` with `role`, valid for a day.
pub fn token(subject: &str, role: Role) -> anyhow::Result<String> {
    Ok(Keys::from_secret(DEV_SECRET).sign(&Claims {
        sub: subject.to_string(),
        role,
        aud: AUDIENCE.into(),
        exp: chrono::Utc::now().timestamp() + 86_400,
    })?)
}

/// A customer with a fresh id and a token, for scenarios where registration is not the point.
pub fn shopper() -> anyhow::Result<(Uuid, String)> {
    let id = Uuid::new_v4();
    Ok((id, token(&id.to_string(), Role::Customer)?))
}

/// A valid shipping address.
pub fn address() -> Value {
    json!({ "recipient": "Bench Buyer", "line1": "1 Load Street", "city": "Berlin",
            "postal_code": "10115", "country": "DE" })
}

/// The test card the simulated provider captures.
pub const GOOD_CARD: &str = "4242424242424242";
