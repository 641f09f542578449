//! Gives the errors async-graphql raises itself a `code`, as [`crate::error::QueryError`]
//! does for resolver errors, so clients can branch on `extensions.code` for every error.
//!
//! As a schema extension it serves the WebSocket schema; `POST /graphql` gets the same codes
//! from [`super::gate`], which reuses [`classify_validation`], without the per-field cost an
//! extension brings.
//!
//! - parse errors: `GRAPHQL_PARSE_FAILED`;
//! - depth and complexity limits: `QUERY_TOO_DEEP` / `QUERY_TOO_COMPLEX`, with a message that
//!   names the limit;
//! - other validation errors: `GRAPHQL_VALIDATION_FAILED`;
//! - anything else still without a code: `BAD_USER_INPUT`. Resolver errors always carry a code
//!   (the crate forbids the blanket conversion), so what is left comes from coercing the
//!   caller's variables and arguments.

use std::sync::Arc;

use async_graphql::{
    Response, ServerError, ServerResult, ValidationResult, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextValidation,
    },
    parser::types::ExecutableDocument,
};

use crate::config::Limits;

/// async-graphql's message when `limit_depth` refuses a query (7.x).
const TOO_DEEP: &str = "Query is nested too deep.";
/// async-graphql's message when `limit_complexity` refuses a query (7.x).
const TOO_COMPLEX: &str = "Query is too complex.";

/// Factory of the error-code extension.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCodes {
    limits: Limits,
}

impl ErrorCodes {
    /// The extension for a schema with these limits (named in the messages).
    pub fn new(limits: Limits) -> Self {
        Self { limits }
    }
}

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorCodes {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        for error in &mut response.errors {
            if !has_code(error) {
                set_code(error, "BAD_USER_INPUT");
            }
        }
        response
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables).await.map_err(|mut error| {
            set_code(&mut error, "GRAPHQL_PARSE_FAILED");
            error
        })
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|error| classify_validation(self.limits, error))
                .collect()
        })
    }
}

/// Gives a validation error its code: the depth and complexity limits their own (with a
/// message naming the limit), anything else `GRAPHQL_VALIDATION_FAILED`.
pub(crate) fn classify_validation(limits: Limits, mut error: ServerError) -> ServerError {
    let Limits {
        max_depth,
        max_complexity,
        ..
    } = limits;
    if error.message == TOO_DEEP {
        error.message = format!("query is nested too deep: at most {max_depth} levels are allowed");
        set_code(&mut error, "QUERY_TOO_DEEP");
    } else if error.message == TOO_COMPLEX {
        error.message = format!(
            "query is too complex: at most {max_complexity} points are allowed \
             (each field costs 1, lists cost once per row they may return)"
        );
        set_code(&mut error, "QUERY_TOO_COMPLEX");
    } else {
        set_code(&mut error, "GRAPHQL_VALIDATION_FAILED");
    }
    error
}

/// Whether `error` already carries `extensions.code`.
pub(crate) fn has_code(error: &ServerError) -> bool {
    error
        .extensions
        .as_ref()
        .is_some_and(|extensions| extensions.get("code").is_some())
}

/// Sets `extensions.code`.
pub(crate) fn set_code(error: &mut ServerError, code: &str) {
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
}
