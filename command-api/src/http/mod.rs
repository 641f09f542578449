//! The HTTP surface: one module per resource under [`routes`].

pub mod routes;
