//! Samtale's HTTP surface (REST + SSE): the router, extractors, problem responses, rate limits,
//! the outage breaker, OpenAPI, and the console and widget assets, over the node that
//! `samtale_service` runs.
//!
//! Handlers are thin: parse, authorize, run a domain command or read a projection, map errors.

pub mod app;
pub mod auth;
pub mod client_addr;
pub mod config;
pub mod error;
pub mod extract;
pub mod http;
pub mod listen;
pub mod metrics;
pub mod occupancy;
pub mod outage;
pub mod rate_limit;
pub mod state;
pub mod write_timeout;

pub use app::{Application, StartError};
pub use state::AppState;
