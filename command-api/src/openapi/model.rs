//! The shape of one documented operation, and the const builder the table in
//! [`super::operations`] is written with.

use schemars::{JsonSchema, r#gen::SchemaGenerator, schema::Schema};

use super::codes::{self, ErrorCode};

/// An HTTP method the API routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
}

impl Method {
    /// Lowercase, as OpenAPI path items key operations.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "get",
            Self::Post => "post",
            Self::Put => "put",
            Self::Patch => "patch",
            Self::Delete => "delete",
        }
    }
}

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone; no token is read.
    Public,
    /// Anyone; a token is optional (guest carts), and a bad one is still refused.
    Guest,
    /// A signed-in customer account (the token's subject is a customer id).
    Customer,
    /// Staff or admin.
    Staff,
    /// Admin only.
    Admin,
}

impl Access {
    /// How the page and the document name the requirement.
    pub fn label(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Guest => "guest or signed in",
            Self::Customer => "customer",
            Self::Staff => "staff",
            Self::Admin => "admin",
        }
    }

    /// Whether a bearer token is read at all.
    pub fn reads_token(self) -> bool {
        !matches!(self, Self::Public)
    }

    /// Whether some callers holding a valid token are still refused.
    pub fn can_forbid(self) -> bool {
        matches!(self, Self::Customer | Self::Staff | Self::Admin)
    }
}

/// What a successful call answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The standard command answer: `200` with the command id, stream, version and consistency
    /// token plus the listed fields, or `202` while the command is queued but undecided.
    Command {
        /// The fields added to the standard ones.
        extra: &'static str,
    },
    /// Like [`Answer::Command`], with a fresh token pair (identity changes).
    CommandWithTokens {
        /// Status of a decided request (`201` for registration, else `200`).
        status: u16,
    },
    /// `200` with a fresh token pair.
    Tokens,
    /// `204`, no body.
    NoContent,
    /// `200` plain text (probes).
    Text,
    /// `200` when every readiness check passes, `503` when one does not; both carry
    /// `{"status", "checks": {name: "ok" | why not}}`.
    Readiness,
    /// `200` with this OpenAPI document.
    OpenApi,
    /// `200` with an HTML page.
    Html,
}

/// Generates a request body's schema (a `$ref` to a component).
pub type BodySchema = fn(&mut SchemaGenerator) -> Schema;

/// The schema of a request body type, registered as a component.
pub fn body<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// One routed operation, as the document and the page describe it.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    /// Method.
    pub method: Method,
    /// Path as routed, with `{param}` segments.
    pub path: &'static str,
    /// The group (OpenAPI tag) it belongs to.
    pub resource: &'static str,
    /// One line.
    pub summary: &'static str,
    /// What it does and anything surprising.
    pub description: &'static str,
    /// Who may call it.
    pub access: Access,
    /// Whether an `Idempotency-Key` makes a retry the same command.
    pub idempotent: bool,
    /// Whether it waits for `X-Consistency-Token` before reading a read model.
    pub consistency: bool,
    /// The request body's type, if it takes one.
    pub body: Option<BodySchema>,
    /// What success looks like.
    pub answer: Answer,
    /// Error codes specific to this operation (the general ones are added by
    /// [`Operation::errors`]).
    pub specific_errors: &'static [ErrorCode],
}

/// Starts a table row.
pub const fn op(
    method: Method,
    path: &'static str,
    resource: &'static str,
    summary: &'static str,
    access: Access,
) -> Operation {
    Operation {
        method,
        path,
        resource,
        summary,
        description: "",
        access,
        idempotent: false,
        consistency: false,
        body: None,
        answer: Answer::Command { extra: "" },
        specific_errors: &[],
    }
}

impl Operation {
    /// Sets the description.
    pub const fn describe(mut self, description: &'static str) -> Self {
        self.description = description;
        self
    }

    /// Marks `Idempotency-Key` as honoured.
    pub const fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }

    /// Marks `X-Consistency-Token` as honoured.
    pub const fn consistent(mut self) -> Self {
        self.consistency = true;
        self
    }

    /// Sets the request body type, e.g. `.body(body::<CreateProduct>)`.
    pub const fn body(mut self, schema: BodySchema) -> Self {
        self.body = Some(schema);
        self
    }

    /// Sets the success answer.
    pub const fn answers(mut self, answer: Answer) -> Self {
        self.answer = answer;
        self
    }

    /// Sets the operation's own error codes.
    pub const fn refuses(mut self, errors: &'static [ErrorCode]) -> Self {
        self.specific_errors = errors;
        self
    }

    /// Whether it sends commands to the processors (and so can find them unavailable).
    pub fn sends_commands(&self) -> bool {
        matches!(
            self.answer,
            Answer::Command { .. } | Answer::CommandWithTokens { .. }
        )
    }

    /// The path's `{param}` names, in order.
    pub fn path_params(&self) -> Vec<&'static str> {
        self.path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
            .collect()
    }

    /// Every error code the operation can answer, ordered by status then code: its own plus
    /// the general ones its shape implies (body, token, role, commands, rate limit).
    pub fn errors(&self) -> Vec<ErrorCode> {
        let mut all: Vec<ErrorCode> = self.specific_errors.to_vec();
        let parses_path = self
            .path_params()
            .iter()
            .any(|param| matches!(*param, "sku" | "code"));
        if self.body.is_some() {
            all.push(codes::BAD_REQUEST);
            all.push(codes::PAYLOAD_TOO_LARGE);
            all.push(codes::UNSUPPORTED_MEDIA_TYPE);
        } else if !self.path_params().is_empty() {
            all.push(codes::BAD_REQUEST);
        }
        if self.body.is_some() || self.idempotent || parses_path {
            all.push(codes::VALIDATION_FAILED);
        }
        if self.idempotent {
            all.push(codes::IDEMPOTENCY_KEY_REUSED);
        }
        if self.access.reads_token() {
            all.push(codes::UNAUTHENTICATED);
        }
        if self.access.can_forbid() {
            all.push(codes::FORBIDDEN);
        }
        if self.sends_commands() || self.consistency {
            all.push(codes::UNAVAILABLE);
        }
        // The probes and the docs are served outside the command rate limit and never fail
        // opaquely; everything else can meet both.
        if !matches!(
            self.answer,
            Answer::Text | Answer::Readiness | Answer::OpenApi | Answer::Html
        ) {
            all.push(codes::RATE_LIMITED);
            all.push(codes::INTERNAL);
        }
        all.sort_by_key(|code| (code.status, code.code));
        all.dedup();
        all
    }
}
