//! # command-api
//!
//! Agora's write side: the HTTP command API that validates and authenticates requests and turns
//! them into commands on `agora.commands`, and the command processors that decide them, one
//! single writer per partition, appending commits to `agora.events`.
//!
//! # Layout
//! - [`config`]: settings of the API and the processors.
//! - [`startup`]: `Application::build` / `run_until_stopped` and the router.
//! - [`error`]: the one HTTP error envelope.
//! - [`auth`]: bearer tokens and roles.
//! - [`http`]: routes, one module per resource.
//! - [`commands`]: idempotency identity, envelopes, outcome → response.
//! - [`db`]: the Postgres pool.
//! - [`dispatch`]: producing commands and awaiting replies.
//! - [`identity`]: passwords, tokens, login throttling, account bootstrap.
//! - [`lookups`]: read-model look-ups that put prices and carts into commands.
//! - [`openapi`]: the OpenAPI document (`/openapi.json`) and the docs page (`/docs`).
//! - [`token`]: consistency tokens.
//! - [`wire`]: command envelope and reply contracts.
//! - [`aggregates`]: the aggregates the processors host, behind one face.
//! - [`processor`]: the single-writer command processors.
//! - [`saga`]: the checkout saga, a process manager from events to commands.

pub mod aggregates;
pub mod auth;
pub mod commands;
pub mod config;
pub mod db;
pub mod dispatch;
pub mod error;
pub mod http;
pub mod identity;
pub mod lookups;
pub mod openapi;
pub mod processor;
pub mod saga;
pub mod startup;
pub mod token;
pub mod wire;
