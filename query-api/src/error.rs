//! The one error type of the query side and how it reaches a GraphQL client.
//!
//! Every error carries a machine-readable `code` in its `extensions`:
//!
//! | code | when |
//! | --- | --- |
//! | `BAD_USER_INPUT` | an argument is invalid (page size, cursor, id, `id` and `slug` together) |
//! | `NOT_FOUND` | the thing asked for does not exist or is not visible to the caller |
//! | `UNAUTHENTICATED` | the field needs a signed-in caller (or the bearer token is refused) |
//! | `FORBIDDEN` | the caller may not ask for this (e.g. unpublished products without staff) |
//! | `INTERNAL` | anything unexpected; logged once with its cause chain, returned opaque |
//! | `GRAPHQL_PARSE_FAILED`, `GRAPHQL_VALIDATION_FAILED`, `QUERY_TOO_DEEP`, `QUERY_TOO_COMPLEX` | the document itself is refused (see `schema::error_codes`) |
//!
//! The crate enables async-graphql's `custom-error-conversion`, so `?` on anything but a
//! [`QueryError`] (or an already-converted `async_graphql::Error`) does not compile: no error
//! can leave a resolver without its code.

use std::fmt::Write as _;

/// What can go wrong while answering a query.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The caller sent an argument we cannot use; the message says which and why.
    #[error("{0}")]
    BadUserInput(String),
    /// Nothing (visible to this caller) matches.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, e.g. `product`.
        what: &'static str,
    },
    /// The caller must sign in for this.
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller may not see this.
    #[error("{0}")]
    Forbidden(String),
    /// The read models could not be reached or queried.
    #[error("read model query failed")]
    Database(#[from] sqlx::Error),
    /// The analytics store (ClickHouse) could not be reached or queried.
    #[error("analytics query failed")]
    Analytics(#[from] clickhouse::error::Error),
    /// A read-model row holds something the schema cannot represent (a projector bug).
    #[error("read model holds an unexpected value: {0}")]
    Corrupt(String),
    /// A request was built without something the resolvers need (a wiring bug).
    #[error("request context lacks {0}")]
    MissingContext(&'static str),
}

impl QueryError {
    /// The `code` clients see in `extensions`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadUserInput(_) => "BAD_USER_INPUT",
            Self::NotFound { .. } => "NOT_FOUND",
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Database(_) | Self::Analytics(_) | Self::Corrupt(_) | Self::MissingContext(_) => {
                "INTERNAL"
            }
        }
    }

    /// Whether the cause is ours rather than the caller's: such errors are logged and hidden.
    pub fn is_internal(&self) -> bool {
        self.code() == "INTERNAL"
    }
}

impl From<QueryError> for async_graphql::Error {
    fn from(error: QueryError) -> Self {
        let message = if error.is_internal() {
            // The one place internal errors are logged: the caller only learns that it failed.
            tracing::error!(error = %cause_chain(&error), "query failed");
            "internal error".to_string()
        } else {
            error.to_string()
        };
        let mut converted = async_graphql::Error::new(message);
        converted
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", error.code());
        converted
    }
}

/// `error: cause: cause…`, for a log line that explains itself.
pub fn cause_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let _ = write!(text, ": {cause}");
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_reach_the_client_opaque_with_their_code() {
        let error: async_graphql::Error =
            QueryError::Corrupt("status 'weird' for product 42".into()).into();
        assert_eq!(error.message, "internal error");
        let code = error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .cloned();
        assert_eq!(code, Some(async_graphql::Value::from("INTERNAL")));
    }

    #[test]
    fn caller_errors_keep_their_message_and_code() {
        let error: async_graphql::Error = QueryError::NotFound { what: "product" }.into();
        assert_eq!(error.message, "product not found");
        let code = error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .cloned();
        assert_eq!(code, Some(async_graphql::Value::from("NOT_FOUND")));
    }
}
