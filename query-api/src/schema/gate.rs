//! What `POST /graphql` does around the schema instead of inside it: the introspection limit
//! before execution, and error codes after it.
//!
//! Why not schema extensions: as soon as a schema has one extension, async-graphql runs every
//! field of every answer through the extension chain (a `ResolveInfo`, a boxed future and a
//! call per extension), even when no extension looks at fields. A storefront product page
//! is about 700 fields, and that machinery was most of query-api's CPU in its profile
//! (`docs/perf/graphql__product_page.*`). None of our extensions needs fields: they need the
//! parsed document and the finished response, which the HTTP handler has anyway. So the HTTP
//! schema ([`super::build`]) has no extension and this gate does their work; the WebSocket
//! schema ([`super::build_streaming`]) keeps the extensions, because a stream is set up inside
//! async-graphql, where only an extension can see it.
//!
//! Codes, as [`super::error_codes`] gives them:
//! - the document does not parse, or breaks the parser's recursion and directive bounds:
//!   `GRAPHQL_PARSE_FAILED`;
//! - validation (errors raised before execution, so without a path): `QUERY_TOO_DEEP`,
//!   `QUERY_TOO_COMPLEX`, else `GRAPHQL_VALIDATION_FAILED`;
//! - anything else still without a code (choosing an operation by name, coercing the
//!   caller's variables and arguments): `BAD_USER_INPUT`.

use async_graphql::{Request, Response, ServerError};

use super::{
    error_codes::{classify_validation, has_code, set_code},
    introspection::IntrospectionLimit,
};
use crate::config::Limits;

/// Messages async-graphql (7.x) raises while parsing a document that did parse: the bounds on
/// nesting and on directives per field.
const PARSE_BOUND_MESSAGES: [&str; 2] = [
    "The recursion depth of the query cannot be greater than",
    "The number of directives on the field",
];

/// Messages async-graphql (7.x) raises when choosing the operation to run, after validation.
const OPERATION_CHOICE_MESSAGES: [&str; 2] = [
    "Unknown operation named",
    "Operation name required in request.",
];

/// The checks and codes of one schema's limits.
#[derive(Debug, Clone, Copy)]
pub struct Gate {
    limits: Limits,
    introspection: IntrospectionLimit,
}

impl Gate {
    /// The gate for a schema built with `limits`.
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            introspection: IntrospectionLimit::new(limits.introspection),
        }
    }

    /// Parses `request`'s document (kept in the request, so the schema does not parse it
    /// again) and applies the introspection limit; the refusal is the whole answer.
    pub fn admit(&self, request: &mut Request) -> Result<(), Box<Response>> {
        let refusal = match request.parsed_query() {
            Ok(document) => self.introspection.check(document).err(),
            Err(mut error) => {
                set_code(&mut error, "GRAPHQL_PARSE_FAILED");
                Some(error)
            }
        };
        match refusal {
            Some(error) => Err(Box::new(Response::from_errors(vec![error]))),
            None => Ok(()),
        }
    }

    /// Gives every error of `response` that has no code one.
    pub fn label(&self, response: &mut Response) {
        for error in &mut response.errors {
            if !has_code(error) {
                *error = self.classify(std::mem::replace(error, ServerError::new("", None)));
            }
        }
    }

    fn classify(&self, mut error: ServerError) -> ServerError {
        let starts = |prefixes: &[&str]| prefixes.iter().any(|p| error.message.starts_with(p));
        if !error.path.is_empty() || starts(&OPERATION_CHOICE_MESSAGES) {
            set_code(&mut error, "BAD_USER_INPUT");
        } else if starts(&PARSE_BOUND_MESSAGES) {
            set_code(&mut error, "GRAPHQL_PARSE_FAILED");
        } else {
            error = classify_validation(self.limits, error);
        }
        error
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (team rule)
mod tests {
    use super::*;

    fn code(error: &ServerError) -> String {
        let value = error.extensions.as_ref().unwrap().get("code").unwrap();
        match value {
            async_graphql::Value::String(code) => code.clone(),
            other => panic!("a code that is no string: {other:?}"),
        }
    }

    #[test]
    fn a_document_that_does_not_parse_is_refused_with_its_code() {
        let mut request = Request::new("{ products(");
        let refusal = Gate::new(Limits::default())
            .admit(&mut request)
            .unwrap_err();
        assert_eq!(code(&refusal.errors[0]), "GRAPHQL_PARSE_FAILED");
    }

    #[test]
    fn introspection_is_refused_before_execution_when_it_is_off() {
        let limits = Limits {
            introspection: false,
            ..Limits::default()
        };
        let mut request = Request::new("{ __schema { types { name } } }");
        let refusal = Gate::new(limits).admit(&mut request).unwrap_err();
        assert_eq!(code(&refusal.errors[0]), "GRAPHQL_VALIDATION_FAILED");
        assert!(Gate::new(Limits::default()).admit(&mut request).is_ok());
    }

    #[test]
    fn errors_get_codes_by_where_they_arose_and_coded_ones_keep_theirs() {
        let mut coded = ServerError::new("not yours", None);
        set_code(&mut coded, "FORBIDDEN");
        let mut in_a_field = ServerError::new("invalid value for argument \"first\"", None);
        in_a_field.path = vec![async_graphql::PathSegment::Field("products".into())];
        let mut response = Response::from_errors(vec![
            coded,
            in_a_field,
            ServerError::new("Query is too complex.", None),
            ServerError::new("Unknown field \"nope\" on type \"Query\".", None),
            ServerError::new("Unknown operation named \"Other\"", None),
            ServerError::new(
                "The recursion depth of the query cannot be greater than `32`",
                None,
            ),
        ]);
        Gate::new(Limits::default()).label(&mut response);
        let codes: Vec<String> = response.errors.iter().map(code).collect();
        assert_eq!(
            codes,
            [
                "FORBIDDEN",
                "BAD_USER_INPUT",
                "QUERY_TOO_COMPLEX",
                "GRAPHQL_VALIDATION_FAILED",
                "BAD_USER_INPUT",
                "GRAPHQL_PARSE_FAILED"
            ]
        );
        assert!(response.errors[2].message.contains("at most 10000 points"));
    }
}
