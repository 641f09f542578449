//! A whole running platform for checkout tests: processors, API instances, the projector and
//! the checkout saga, plus shoppers with their own tokens.

use std::time::Duration;

use command_api::auth::{AUDIENCE, Claims, DEV_SECRET, Keys, Role};
use runtime::testing::ChildProcess;
use serde_json::{Value, json};
use uuid::Uuid;

use super::WriteSide;

/// The write side plus the read side and the saga.
pub struct Shop {
    pub side: WriteSide,
    pub projector: ChildProcess,
    pub saga: ChildProcess,
}

/// A signed-in customer.
#[derive(Debug, Clone)]
pub struct Shopper {
    pub customer_id: Uuid,
    pub token: String,
}

impl Shop {
    /// Starts `processors` processors, `apis` API instances, one projector and one saga.
    pub async fn start(label: &str, processors: usize, apis: usize) -> anyhow::Result<Self> {
        let side = WriteSide::start(label, processors, apis).await?;
        let projector = side.ns.spawn(
            "agora-projector",
            &["run"],
            &[("AGORA_HEALTH_ADDR", "127.0.0.1:0")],
        )?;
        let saga = side
            .ns
            .spawn("agora-saga", &[], &[("AGORA_HEALTH_ADDR", "127.0.0.1:0")])?;
        Ok(Self {
            side,
            projector,
            saga,
        })
    }

    /// A customer with a fresh id and a token (accounts are not needed to shop in tests).
    pub fn shopper(&self) -> Shopper {
        let customer_id = Uuid::new_v4();
        let token = Keys::from_secret(DEV_SECRET)
            .sign(&Claims {
                sub: customer_id.to_string(),
                role: Role::Customer,
                aud: AUDIENCE.into(),
                exp: chrono::Utc::now().timestamp() + 3600,
            })
            .unwrap_or_default();
        Shopper { customer_id, token }
    }

    /// A customer who registered through `POST /auth/register`.
    pub async fn registered_shopper(&self, email: &str) -> anyhow::Result<Shopper> {
        let response = self
            .side
            .http
            .post(format!("{}/auth/register", self.side.api(0)))
            .json(&json!({ "email": email, "password": "correct horse battery", "display_name": "Test Shopper" }))
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await?;
        anyhow::ensure!(status.is_success(), "register: {status} {body}");
        Ok(Shopper {
            customer_id: body["customer_id"].as_str().unwrap_or_default().parse()?,
            token: body["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        })
    }

    /// Creates, publishes and stocks a product; returns its id.
    pub async fn stocked_product(
        &self,
        slug: &str,
        stock: &[(&str, u32)],
    ) -> anyhow::Result<String> {
        let skus: Vec<&str> = stock.iter().map(|(sku, _)| *sku).collect();
        let product_id = self.side.create_product(slug, &skus).await?;
        for (sku, quantity) in stock {
            if *quantity > 0 {
                let (status, body) = self
                    .side
                    .post(
                        0,
                        &format!("/inventory/{sku}/receive"),
                        json!({ "quantity": quantity }),
                        None,
                    )
                    .await?;
                anyhow::ensure!(status == 200, "receive {sku}: {status} {body}");
            }
        }
        let (status, body) = self
            .side
            .post(
                0,
                &format!("/products/{product_id}/publish"),
                json!({}),
                None,
            )
            .await?;
        anyhow::ensure!(status == 200, "publish: {status} {body}");
        Ok(product_id)
    }

    /// Sends a request as `shopper` to API instance `api`.
    pub async fn call(
        &self,
        shopper: &Shopper,
        api: usize,
        method: reqwest::Method,
        path: &str,
        body: Value,
        token: Option<&str>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut request = self
            .side
            .http
            .request(method, format!("{}{path}", self.side.api(api)))
            .bearer_auth(&shopper.token)
            .json(&body);
        if let Some(token) = token {
            request = request.header("x-consistency-token", token);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await.unwrap_or(Value::Null)))
    }

    /// Waits until the read model knows `sku` is for sale (the projector has caught up).
    pub async fn wait_for_sale(&self, product_id: &str) -> anyhow::Result<()> {
        let pool = sqlx::PgPool::connect(&self.side.ns.database_url).await?;
        let id: Uuid = product_id.parse()?;
        runtime::testing::eventually(
            Duration::from_secs(60),
            "the product to be published in the read model",
            || {
                let pool = pool.clone();
                async move {
                    let row: Option<(String,)> =
                        sqlx::query_as("SELECT status FROM catalog_products WHERE product_id = $1")
                            .bind(id)
                            .fetch_optional(&pool)
                            .await
                            .ok()
                            .flatten();
                    Ok(row.filter(|(s,)| s == "published").map(|_| ()))
                }
            },
        )
        .await
    }

    /// Fills the shopper's cart with `lines` and checks out on API `api`; returns the checkout
    /// answer.
    pub async fn buy(
        &self,
        shopper: &Shopper,
        api: usize,
        lines: &[(&str, u32)],
    ) -> anyhow::Result<(u16, Value)> {
        let (status, body) = self
            .call(
                shopper,
                api,
                reqwest::Method::POST,
                "/carts/mine",
                json!({}),
                None,
            )
            .await?;
        anyhow::ensure!(status == 200, "cart: {status} {body}");
        let cart_id = body["cart_id"].as_str().unwrap_or_default().to_string();
        let mut token = None;
        for (sku, quantity) in lines {
            let (status, body) = self
                .call(
                    shopper,
                    api,
                    reqwest::Method::POST,
                    &format!("/carts/{cart_id}/lines"),
                    json!({ "sku": sku, "quantity": quantity }),
                    None,
                )
                .await?;
            anyhow::ensure!(status == 200, "add line: {status} {body}");
            token = body["consistency_token"].as_str().map(str::to_string);
        }
        self.call(
            shopper,
            api,
            reqwest::Method::POST,
            "/checkout",
            json!({ "shipping_address": address() }),
            token.as_deref(),
        )
        .await
    }
}

/// A valid shipping address.
pub fn address() -> Value {
    json!({ "recipient": "Ada Lovelace", "line1": "1 Analytical Row", "city": "London", "postal_code": "N1", "country": "GB" })
}
