//! From the `Authorization` header to a [`Viewer`], and the answer to a bad token.
//!
//! No header means an anonymous visitor. A header that is present but wrong is never
//! downgraded to anonymous: the request is refused with 401 and a GraphQL-shaped body whose
//! error has `extensions.code = UNAUTHENTICATED`, so a client with a stale token learns why
//! instead of silently seeing the storefront's public view.

use async_graphql::{Response, ServerError};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};

use super::{AuthError, Role, Verifier};
use crate::viewer::Viewer;

/// The caller the request's `Authorization` header speaks for.
pub fn viewer_from_headers(headers: &HeaderMap, verifier: &Verifier) -> Result<Viewer, AuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Viewer::Anonymous);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or(AuthError::NotBearer)?;
    let (id, role) = verifier.verify(token)?;
    Ok(match role {
        Role::Customer => Viewer::Customer { id },
        Role::Staff => Viewer::Staff { id },
        Role::Admin => Viewer::Admin { id },
    })
}

/// The GraphQL response for a refused token, with its status and `WWW-Authenticate` header.
pub fn refusal(error: &AuthError) -> (StatusCode, HeaderMap, Response) {
    let mut server_error = ServerError::new(error.to_string(), None);
    server_error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", "UNAUTHENTICATED");
    let mut headers = HeaderMap::new();
    // RFC 6750: the token was presented and is no good.
    headers.insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    (
        StatusCode::UNAUTHORIZED,
        headers,
        Response::from_errors(vec![server_error]),
    )
}
