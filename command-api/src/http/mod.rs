//! The HTTP surface: one module per resource under [`routes`], and the per-caller command rate
//! limit in [`rate_limit`].

pub mod rate_limit;
pub mod routes;
