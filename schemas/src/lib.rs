//! # schemas
//!
//! Wire contracts shared by every service.
