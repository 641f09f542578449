//! # domain
//!
//! Agora's business rules, pure: no async, no IO, no clock, no randomness.
