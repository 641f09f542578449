//! The write side as real processes, for end-to-end tests: a processor, the projector and the
//! command API in a namespace of their own, and the checkout saga when a test starts it (orders
//! stay `placed` until then); plus the command calls a shopper and staff make.
//!
//! Only start-up is awaited by polling ([`WriteSide::start`]); everything after it is ordered
//! by consistency tokens, which command-api returns and both APIs honour.

use std::time::Duration;

use anyhow::Context as _;
use query_api::{config::Config, startup::AppState};
use runtime::testing::{ChildProcess, TestNamespace, binary_path, eventually};
use serde_json::{Value, json};

/// A running write side and a query service over the same database.
pub struct WriteSide {
    /// The namespace (topics, databases) every process uses.
    pub ns: TestNamespace,
    /// Kept for their `Drop`, which stops them.
    children: Vec<ChildProcess>,
    /// Base URL of the command API.
    pub api: String,
    /// An admin token minted by `agora-command-api mint-token`.
    pub staff_token: String,
    /// Query service state over the namespace's read models.
    pub state: AppState,
    http: reqwest::Client,
}

/// A registered customer.
#[derive(Debug, Clone)]
pub struct Customer {
    /// Account id.
    pub id: String,
    /// Access token from registration.
    pub token: String,
}

/// What a command answered: its body and consistency token.
#[derive(Debug, Clone)]
pub struct Written {
    /// The response body.
    pub body: Value,
    /// `consistency_token` of the body.
    pub token: String,
}

impl WriteSide {
    /// Starts the processes in a fresh namespace labelled `label` and waits until the API
    /// answers and the projector has created the read models.
    pub async fn start(label: &str) -> anyhow::Result<Self> {
        let ns = TestNamespace::create(label).await?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let addr = format!("127.0.0.1:{port}");
        let health = [("AGORA_HEALTH_ADDR", "127.0.0.1:0")];
        let children = vec![
            ns.spawn("agora-processor", &[], &health)?,
            ns.spawn("agora-projector", &["run"], &health)?,
            ns.spawn(
                "agora-command-api",
                &["serve"],
                &[
                    ("AGORA_COMMAND_ADDR", &addr),
                    ("AGORA_COMMAND_TIMEOUT_MS", "20000"),
                ],
            )?,
        ];
        let side = Self {
            staff_token: mint_admin_token(&ns)?,
            state: AppState::new(&Config::for_database(&ns.database_url))?,
            api: format!("http://{addr}"),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()?,
            children,
            ns,
        };
        side.wait_until_up().await?;
        Ok(side)
    }

    /// Starts the checkout saga: from now on placed orders are reserved, confirmed and paid.
    pub fn start_saga(&mut self) -> anyhow::Result<()> {
        let saga = self
            .ns
            .spawn("agora-saga", &[], &[("AGORA_HEALTH_ADDR", "127.0.0.1:0")])?;
        self.children.push(saga);
        Ok(())
    }

    async fn wait_until_up(&self) -> anyhow::Result<()> {
        eventually(
            Duration::from_secs(60),
            "the write side and projector to start",
            || {
                let (http, health, store) = (
                    self.http.clone(),
                    format!("{}/healthz", self.api),
                    self.state.store.clone(),
                );
                async move {
                    let api_up = http
                        .get(&health)
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success());
                    Ok((api_up && store.ready().await.unwrap_or(false)).then_some(()))
                }
            },
        )
        .await
    }

    /// POSTs `body` to `path` as the bearer of `bearer`, optionally after `after` (a
    /// consistency token); the answer must be a success.
    pub async fn post(
        &self,
        path: &str,
        bearer: &str,
        body: Value,
        after: Option<&str>,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .http
            .post(format!("{}{path}", self.api))
            .bearer_auth(bearer)
            .json(&body);
        if let Some(token) = after {
            request = request.header("x-consistency-token", token);
        }
        let response = request.send().await?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        anyhow::ensure!(status.is_success(), "{path}: {status} {body}");
        Ok(body)
    }

    /// Like [`Self::post`], for commands: returns the body with its consistency token.
    pub async fn command(
        &self,
        path: &str,
        bearer: &str,
        body: Value,
        after: Option<&str>,
    ) -> anyhow::Result<Written> {
        let body = self.post(path, bearer, body, after).await?;
        let token = body["consistency_token"]
            .as_str()
            .with_context(|| format!("{path}: no consistency token in {body}"))?
            .to_string();
        Ok(Written { body, token })
    }

    /// Registers a customer (`POST /auth/register`).
    pub async fn register(&self, email: &str) -> anyhow::Result<Customer> {
        let response = self
            .http
            .post(format!("{}/auth/register", self.api))
            .json(
                &json!({ "email": email, "password": "correct horse battery",
                           "display_name": "Read Your Writes" }),
            )
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await?;
        anyhow::ensure!(status.is_success(), "register: {status} {body}");
        let field = |name: &str| {
            body[name]
                .as_str()
                .map(str::to_string)
                .with_context(|| format!("register: no {name} in {body}"))
        };
        Ok(Customer {
            id: field("customer_id")?,
            token: field("access_token")?,
        })
    }

    /// Creates a product with one variant `sku` at 15.00 EUR, receives `stock` units and
    /// publishes it; returns the product id and the publication's token.
    pub async fn stocked_product(
        &self,
        slug: &str,
        sku: &str,
        stock: u32,
    ) -> anyhow::Result<(String, String)> {
        let staff = self.staff_token.clone();
        let created = self
            .command(
                "/products",
                &staff,
                json!({ "name": format!("Product {slug}"), "slug": slug, "category": "tests",
                        "brand": "Agora", "variants": [{ "sku": sku, "name": sku,
                        "price": { "amount_minor": 1500, "currency": "EUR" } }] }),
                None,
            )
            .await?;
        let id = created.body["product_id"]
            .as_str()
            .context("no product id")?
            .to_string();
        self.command(
            &format!("/inventory/{sku}/receive"),
            &staff,
            json!({ "quantity": stock }),
            None,
        )
        .await?;
        let published = self
            .command(&format!("/products/{id}/publish"), &staff, json!({}), None)
            .await?;
        Ok((id, published.token))
    }

    /// Puts `quantity` of `sku` in `customer`'s cart and checks out without waiting for the
    /// saga's verdict; returns the checkout answer (`order_id`, `consistency_token`).
    pub async fn buy(
        &self,
        customer: &Customer,
        sku: &str,
        quantity: u32,
    ) -> anyhow::Result<Written> {
        let cart = self
            .post("/carts/mine", &customer.token, json!({}), None)
            .await?;
        let cart_id = cart["cart_id"].as_str().context("no cart id")?;
        let line = self
            .command(
                &format!("/carts/{cart_id}/lines"),
                &customer.token,
                json!({ "sku": sku, "quantity": quantity }),
                None,
            )
            .await?;
        // The checkout reads the cart read model; the line's token makes it wait for it.
        self.command(
            "/checkout",
            &customer.token,
            json!({ "shipping_address": { "recipient": "Ada Lovelace", "line1": "1 Analytical Row",
                    "city": "London", "postal_code": "N1", "country": "GB" }, "wait": false }),
            Some(&line.token),
        )
        .await
    }
}

/// Signs an admin token with the dev secret the spawned services use.
pub fn mint_admin_token(ns: &TestNamespace) -> anyhow::Result<String> {
    let output = std::process::Command::new(binary_path("agora-command-api"))
        .args(["mint-token", "--role", "admin", "--subject", "tests"])
        .envs(ns.env())
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "mint-token failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8(output.stdout)?.trim().to_string())
}

/// Runs `query` on `state`'s router in-process as the bearer of `bearer` (anonymous when
/// `None`), after the consistency token `after` when given; returns the response body.
pub async fn read(
    state: &AppState,
    query: &str,
    variables: Value,
    bearer: Option<&str>,
    after: Option<&str>,
) -> anyhow::Result<Value> {
    use axum::{
        body::Body,
        http::{Request, header},
    };
    use tower::ServiceExt;

    let body = json!({ "query": query, "variables": variables }).to_string();
    let mut request = Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
    if let Some(bearer) = bearer {
        request = request.header(header::AUTHORIZATION, format!("Bearer {bearer}"));
    }
    if let Some(token) = after {
        request = request.header("x-consistency-token", token);
    }
    let response = query_api::startup::router(state.clone())
        .oneshot(request.body(Body::from(body))?)
        .await?;
    let bytes = axum::body::to_bytes(response.into_body(), 1024 * 1024).await?;
    serde_json::from_slice(&bytes).context("the answer is not JSON")
}

impl WriteSide {
    /// Reads product `id` back after `token` (its publication): once this returns, the
    /// catalog read model command-api prices cart lines from has the product for sale.
    pub async fn for_sale(&self, id: &str, token: &str) -> anyhow::Result<()> {
        let answer = read(
            &self.state,
            "query($id: ID!) { product(id: $id) { status } }",
            json!({ "id": id }),
            None,
            Some(token),
        )
        .await?;
        anyhow::ensure!(
            answer["data"]["product"]["status"] == "PUBLISHED"
                && answer["extensions"]["consistency"]["stale"] == false,
            "the product is not for sale: {answer}"
        );
        Ok(())
    }
}
