//! `POST /graphql`: from an HTTP request to a GraphQL answer.
//!
//! In order: the bearer token names the [`Viewer`] (a token that does not verify refuses the
//! request rather than reading as anonymous); the [`Gate`](crate::schema::gate::Gate) parses
//! the document and applies the introspection limit; an anonymous catalog read without a
//! consistency token is answered from the [`ResponseCache`](crate::response_cache::ResponseCache)
//! when the read models have not moved since it was computed (a document already in the cache
//! is answered before the gate parses it: it passed the gate when it was kept); anything else
//! runs on the schema (waiting for a consistency token's positions first, see [`consistency`]);
//! the gate gives framework errors their codes; every answer, cached or not, is counted and
//! timed ([`observe`]).

use std::{sync::Arc, time::Instant};

use async_graphql::Request;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use tracing::Instrument;

use crate::{
    auth::header::{self as auth_header, viewer_from_headers},
    consistency, observe,
    response_cache::CacheKey,
    schema,
    startup::AppState,
    viewer::Viewer,
};

/// The media type of GraphQL answers over HTTP, as async-graphql's own responder sets it.
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// Handles `POST /graphql`.
pub async fn graphql(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> Response {
    let started = Instant::now();
    let mut request = request.into_inner();
    let viewer = match viewer_from_headers(&headers, &state.verifier) {
        Ok(viewer) => viewer,
        Err(error) => {
            // Refusals count too: they are answers with an error code, just not from the schema.
            let (status, answer_headers, response) = auth_header::refusal(&error);
            observe::answered(started.elapsed(), &response);
            return (status, answer_headers, GraphQLResponse::from(response)).into_response();
        }
    };
    let key = (matches!(viewer, Viewer::Anonymous) && !headers.contains_key(consistency::HEADER))
        .then(|| state.cache.key_of(&request))
        .flatten();
    let mut version = None;
    if let Some(key) = &key
        && state.cache.knows(key)
    {
        // A document answered before passed the gate and reads only the catalog: a current
        // answer is served without parsing it again.
        match state.cache.data_version(&state.store).await {
            Ok(current) => {
                if let Some(body) = state.cache.get(key, &current) {
                    observe::cache_lookup(true);
                    observe::answered_from_cache(started.elapsed());
                    return json_answer(body);
                }
                version = Some(current);
            }
            Err(error) => tracing::warn!(%error, "reading the catalog's data version failed"),
        }
    }
    if let Err(refusal) = state.gate.admit(&mut request) {
        observe::answered(started.elapsed(), &refusal);
        return GraphQLResponse::from(*refusal).into_response();
    }
    if let Some(key) = key
        && state.cache.is_catalog_read(&mut request)
    {
        return computed_and_kept(&state, key, version, request, &headers, started).await;
    }
    executed(&state, request, viewer, &headers, started).await
}

/// Answers a cacheable request that was not answered from the cache: runs it and keeps an
/// error-free answer under the data version read after the request arrived (`version`, when
/// the cache was already asked; read now otherwise). The answer reflects at least that version,
/// so serving it to a later request that finds the same version never serves older data.
async fn computed_and_kept(
    state: &AppState,
    key: CacheKey,
    version: Option<Arc<str>>,
    request: Request,
    headers: &HeaderMap,
    started: Instant,
) -> Response {
    let version = match version {
        Some(version) => version,
        None => match state.cache.data_version(&state.store).await {
            Ok(version) => version,
            Err(error) => {
                // Without a version nothing may be kept; the schema reports the database's
                // state in its own errors.
                tracing::warn!(%error, "reading the catalog's data version failed");
                return executed(state, request, Viewer::Anonymous, headers, started).await;
            }
        },
    };
    observe::cache_lookup(false);
    let response = execute(state, request, Viewer::Anonymous, headers).await;
    observe::answered(started.elapsed(), &response);
    let plain = response.is_ok()
        && response.http_headers.is_empty()
        && response.cache_control.value().is_none();
    match serde_json::to_vec(&response) {
        Ok(body) if plain => {
            let body = Bytes::from(body);
            state.cache.put(key, &version, body.clone());
            json_answer(body)
        }
        _ => GraphQLResponse::from(response).into_response(),
    }
}

/// Runs `request` without the cache, records it and answers it.
async fn executed(
    state: &AppState,
    request: Request,
    viewer: Viewer,
    headers: &HeaderMap,
    started: Instant,
) -> Response {
    let response = execute(state, request, viewer, headers).await;
    observe::answered(started.elapsed(), &response);
    GraphQLResponse::from(response).into_response()
}

/// Runs `request` on the schema for `viewer`, then labels the framework's errors.
async fn execute(
    state: &AppState,
    request: Request,
    viewer: Viewer,
    headers: &HeaderMap,
) -> async_graphql::Response {
    let span = tracing::info_span!(
        "graphql",
        graphql.operation = request.operation_name.as_deref().unwrap_or("")
    );
    let request = schema::prepare(request, &state.store, viewer);
    let mut response =
        consistency::execute(&state.schema, request, headers, state.consistency_wait)
            .instrument(span)
            .await;
    state.gate.label(&mut response);
    response
}

/// A 200 answer with a serialized GraphQL response as its body.
fn json_answer(body: Bytes) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(GRAPHQL_RESPONSE),
        )],
        body,
    )
        .into_response()
}
