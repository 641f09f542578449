//! `GET /graphql/ws`: GraphQL subscriptions over WebSocket (`graphql-transport-ws`, and the
//! older `graphql-ws` protocol).
//!
//! The caller is identified once per connection, like a query is per request: by an
//! `Authorization: Bearer …` entry in the `connection_init` payload (browsers cannot set
//! headers on a WebSocket), else by the upgrade request's `Authorization` header, else
//! anonymous. A bad token refuses the connection.

use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::{
    extract::{State, WebSocketUpgrade},
    http::{HeaderMap, HeaderValue, header},
    response::Response,
};

use super::OrderFeed;
use crate::{
    auth::{Verifier, header::viewer_from_headers},
    error::QueryError,
    startup::AppState,
    viewer::Viewer,
};

/// What the WebSocket endpoint needs besides the schema and the store.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The shared order feed.
    pub feed: OrderFeed,
    /// Verifies the bearer token of a connection.
    pub verifier: Verifier,
}

/// Upgrades to a GraphQL WebSocket.
pub async fn upgrade(
    State(state): State<AppState>,
    protocol: GraphQLProtocol,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let from_header = headers.get(header::AUTHORIZATION).cloned();
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            let endpoint = state.subscriptions.clone();
            let store = state.store.clone();
            GraphQLWebSocket::new(socket, state.streaming_schema.clone(), protocol)
                .on_connection_init(move |payload| async move {
                    let authorization = bearer_in(&payload).or(from_header);
                    let viewer = viewer_of(authorization, &endpoint.verifier)?;
                    let mut data = Data::default();
                    data.insert(store);
                    data.insert(viewer);
                    data.insert(endpoint.feed);
                    Ok(data)
                })
                .serve()
                .await;
        })
}

/// The `Authorization` entry of a `connection_init` payload, whatever its case.
fn bearer_in(payload: &serde_json::Value) -> Option<HeaderValue> {
    let entries = payload.as_object()?;
    let value = entries
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("authorization"))?
        .1
        .as_str()?;
    HeaderValue::from_str(value).ok()
}

fn viewer_of(
    authorization: Option<HeaderValue>,
    verifier: &Verifier,
) -> async_graphql::Result<Viewer> {
    let mut headers = HeaderMap::new();
    if let Some(value) = authorization {
        headers.insert(header::AUTHORIZATION, value);
    }
    viewer_from_headers(&headers, verifier)
        .map_err(|error| QueryError::Unauthenticated(error.to_string()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_token_is_found_in_the_init_payload_whatever_its_case() {
        let payload = serde_json::json!({"authorization": "Bearer abc"});
        assert_eq!(
            bearer_in(&payload).as_ref().and_then(|v| v.to_str().ok()),
            Some("Bearer abc")
        );
        assert!(bearer_in(&serde_json::json!({})).is_none());
        assert!(bearer_in(&serde_json::Value::Null).is_none());
    }
}
