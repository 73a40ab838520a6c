//! Samtale's HTTP API (REST + SSE) and the wiring that runs it: configuration, the shared
//! state, authentication, the live feed, and bootstrap of a fresh installation.
//!
//! Handlers are thin: parse, authorize, run a domain command or read a projection, map errors.

pub mod app;
pub mod auth;
pub mod bootstrap;
pub mod config;
pub mod error;
pub mod extract;
pub mod http;
pub mod live;
pub mod outage;
pub mod rate_limit;
pub mod retention;
pub mod routing;
pub mod sessions;
pub mod write_timeout;

pub use app::{AppState, Application};
