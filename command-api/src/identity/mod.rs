//! Identity: accounts, passwords and tokens for the command API.
//!
//! Accounts are Customer streams (with an EmailClaim stream per address for uniqueness); the
//! API hashes passwords (argon2id) before they enter a command, checks them at login against
//! the `customers` read model, and issues short-lived access tokens plus rotating refresh
//! tokens kept (hashed) in its own `refresh_tokens` table. The HTTP face is
//! `http::routes::auth` and `http::routes::customers`.
//!
//! # Layout
//! - [`passwords`]: argon2id hashing and verification, off the async runtime.
//! - [`tokens`]: access tokens (JWT) and refresh tokens.
//! - [`refresh_store`]: refresh tokens in Postgres: rotation, reuse detection, revocation.
//! - [`credentials`]: credentials from the `customers` read model.
//! - [`rate_limit`]: login throttling per account and per client IP (per instance).
//! - [`registration`]: claim the address, then register the customer.
//! - [`admin`]: the `create-admin` bootstrap command.
//! - [`errors`]: identity failures in the error envelope.

pub mod admin;
pub mod credentials;
pub mod errors;
pub mod passwords;
pub mod rate_limit;
pub mod refresh_store;
pub mod registration;
pub mod tokens;
