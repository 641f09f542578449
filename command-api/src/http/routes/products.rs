//! Catalog commands: create and update products, variants, prices and publish state.
//!
//! Creating a product (or adding a variant) also registers each new SKU with inventory, as
//! separate commands whose ids derive from the create's id: a retried request re-sends the same
//! commands and the log answers them with the same outcomes.

use std::collections::BTreeMap;

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
    http::HeaderMap,
    response::Response,
};
use domain::{
    product::NewVariant,
    values::{Money, Sku},
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{body, staff_command};
use crate::{
    auth::{Caller, Role},
    commands::{self, Accepted, RequestIdentity, derived_id},
    error::ApiError,
    startup::AppState,
};

/// Low-stock threshold given to SKUs registered without one.
const DEFAULT_LOW_STOCK_THRESHOLD: u32 = 5;

/// Body of `POST /products`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProduct {
    /// Display name.
    pub name: String,
    /// URL slug, lowercase `[a-z0-9-]`.
    pub slug: String,
    /// Description (may be empty).
    #[serde(default)]
    pub description: String,
    /// Category name.
    pub category: String,
    /// Brand name.
    pub brand: String,
    /// Free-form attributes such as `{"material": "wool"}`.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// At least one variant.
    pub variants: Vec<NewVariant>,
    /// Low-stock threshold for the new SKUs.
    #[serde(default)]
    pub low_stock_threshold: Option<u32>,
}

/// Body of `POST /products/{id}/variants`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AddVariant {
    /// The variant.
    #[serde(flatten)]
    pub variant: NewVariant,
    /// Low-stock threshold for the new SKU.
    #[serde(default)]
    pub low_stock_threshold: Option<u32>,
}

/// Body of `PUT /products/{id}/variants/{sku}/price`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePrice {
    /// The new price.
    pub price: Money,
}

/// Body of `PATCH /products/{id}`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDetails {
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// New brand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// New attributes (replace all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<BTreeMap<String, String>>,
}

fn product_stream(id: Uuid) -> String {
    domain::product::stream_id(id)
}

fn to_value<T: Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|error| ApiError::Internal(error.into()))
}

/// `POST /products`
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    payload: Result<Json<CreateProduct>, JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Staff)?;
    let request = body(payload)?;
    let identity =
        RequestIdentity::from_request(&headers, &caller, "products.create", &to_value(&request)?)?;
    let product_id = derived_id(identity.command_id, "product");
    let stream = product_stream(product_id);
    let command = json!({ "type": "CreateProduct", "data": {
        "product_id": product_id,
        "name": request.name,
        "slug": request.slug,
        "description": request.description,
        "category": request.category,
        "brand": request.brand,
        "attributes": request.attributes,
        "variants": request.variants,
    }});
    let skus: Vec<&Sku> = request.variants.iter().map(|v| &v.sku).collect();
    let threshold = request.low_stock_threshold;
    let new_skus = NewSkus {
        product_id,
        skus: &skus,
        threshold,
    };
    command_with_skus(
        &state,
        &caller,
        &identity,
        stream,
        command,
        new_skus,
        json!({ "product_id": product_id }),
    )
    .await
}

/// SKUs a product command introduces, to register with inventory once it is accepted.
struct NewSkus<'a> {
    product_id: Uuid,
    skus: &'a [&'a Sku],
    threshold: Option<u32>,
}

/// Sends a product command that introduces SKUs, then registers them; answers with every
/// position in the consistency token and each SKU's registration status (`extra` adds fields).
async fn command_with_skus(
    state: &AppState,
    caller: &Caller,
    identity: &RequestIdentity,
    stream: String,
    command: Value,
    new_skus: NewSkus<'_>,
    mut extra: Value,
) -> Result<Response, ApiError> {
    let envelope = commands::envelope(
        identity,
        identity.command_id,
        caller,
        stream.clone(),
        command,
    );
    let Some(decided) = commands::send(state, &envelope, identity.traceparent.as_deref()).await?
    else {
        return Ok(commands::pending_response(
            identity.command_id,
            &stream,
            extra,
        ));
    };
    let threshold = new_skus.threshold.unwrap_or(DEFAULT_LOW_STOCK_THRESHOLD);
    let (mut accepted, registrations) = register_skus(
        state,
        caller,
        identity,
        new_skus.product_id,
        new_skus.skus,
        threshold,
    )
    .await;
    accepted.insert(0, decided);
    extra["skus"] = Value::Array(registrations);
    Ok(commands::accepted_response(
        state,
        identity.command_id,
        &stream,
        &accepted,
        extra,
    ))
}

/// Registers SKUs with inventory; reports each one's result without failing the whole request
/// (the product exists either way; a retry with the same key re-sends the same registrations).
async fn register_skus(
    state: &AppState,
    caller: &Caller,
    identity: &RequestIdentity,
    product_id: Uuid,
    skus: &[&Sku],
    threshold: u32,
) -> (Vec<Accepted>, Vec<Value>) {
    let sends = skus.iter().map(|sku| {
        let command = json!({ "type": "RegisterSku", "data": {
            "sku": sku, "product_id": product_id, "low_stock_threshold": threshold,
        }});
        let command_id = derived_id(
            identity.command_id,
            &format!("register-sku:{}", sku.as_str()),
        );
        let envelope = commands::envelope(
            identity,
            command_id,
            caller,
            domain::inventory::stream_id(sku),
            command,
        );
        async move {
            let result = commands::send(state, &envelope, identity.traceparent.as_deref()).await;
            (sku.as_str().to_string(), result)
        }
    });
    let mut accepted = Vec::new();
    let mut report = Vec::new();
    for (sku, result) in futures::future::join_all(sends).await {
        match result {
            Ok(Some(registered)) => {
                accepted.push(registered);
                report.push(json!({ "sku": sku, "status": "registered" }));
            }
            Ok(None) => report.push(json!({ "sku": sku, "status": "pending" })),
            Err(ApiError::Refused(reason)) => {
                report.push(json!({ "sku": sku, "status": "refused", "code": reason.code }))
            }
            Err(error) => {
                tracing::warn!(%sku, %error, "registering a SKU failed");
                report.push(json!({ "sku": sku, "status": "failed" }))
            }
        }
    }
    (accepted, report)
}

/// `PATCH /products/{id}`
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    payload: Result<Json<UpdateDetails>, JsonRejection>,
) -> Result<Response, ApiError> {
    let details = body(payload)?;
    let command = json!({ "type": "UpdateProductDetails", "data": to_value(&details)? });
    staff_command(
        &state,
        &caller,
        &headers,
        "products.update",
        product_stream(id),
        command,
    )
    .await
}

/// `POST /products/{id}/publish`
pub async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let command = json!({ "type": "PublishProduct", "data": {} });
    staff_command(
        &state,
        &caller,
        &headers,
        "products.publish",
        product_stream(id),
        command,
    )
    .await
}

/// `POST /products/{id}/unpublish`
pub async fn unpublish(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let command = json!({ "type": "UnpublishProduct", "data": {} });
    staff_command(
        &state,
        &caller,
        &headers,
        "products.unpublish",
        product_stream(id),
        command,
    )
    .await
}

/// `DELETE /products/{id}` (soft delete)
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let command = json!({ "type": "DeleteProduct", "data": {} });
    staff_command(
        &state,
        &caller,
        &headers,
        "products.delete",
        product_stream(id),
        command,
    )
    .await
}

/// `POST /products/{id}/variants`
pub async fn add_variant(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    payload: Result<Json<AddVariant>, JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Staff)?;
    let request = body(payload)?;
    let identity = RequestIdentity::from_request(
        &headers,
        &caller,
        "products.add_variant",
        &to_value(&request)?,
    )?;
    let stream = product_stream(id);
    let command = json!({ "type": "AddVariant", "data": { "variant": request.variant } });
    let new_skus = NewSkus {
        product_id: id,
        skus: &[&request.variant.sku],
        threshold: request.low_stock_threshold,
    };
    command_with_skus(
        &state,
        &caller,
        &identity,
        stream,
        command,
        new_skus,
        json!({}),
    )
    .await
}

/// `PUT /products/{id}/variants/{sku}/price`
pub async fn change_price(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((id, sku)): Path<(Uuid, String)>,
    payload: Result<Json<ChangePrice>, JsonRejection>,
) -> Result<Response, ApiError> {
    let ChangePrice { price } = body(payload)?;
    let sku = Sku::parse(&sku).map_err(|error| ApiError::field("sku", error.to_string()))?;
    let command = json!({ "type": "ChangeVariantPrice", "data": { "sku": sku, "price": price } });
    staff_command(
        &state,
        &caller,
        &headers,
        "products.price",
        product_stream(id),
        command,
    )
    .await
}

/// `POST /products/{id}/variants/{sku}/retire`
pub async fn retire_variant(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((id, sku)): Path<(Uuid, String)>,
) -> Result<Response, ApiError> {
    let sku = Sku::parse(&sku).map_err(|error| ApiError::field("sku", error.to_string()))?;
    let command = json!({ "type": "RetireVariant", "data": { "sku": sku } });
    staff_command(
        &state,
        &caller,
        &headers,
        "products.retire",
        product_stream(id),
        command,
    )
    .await
}
