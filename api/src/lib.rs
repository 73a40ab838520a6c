//! Samtale's HTTP API (REST + SSE) and the wiring that runs it: configuration, the shared
//! state, authentication, the live feed, and bootstrap of a fresh installation.
//!
//! Handlers are thin: parse, authorize, run a domain command or read a projection, map errors.

pub mod app;
pub mod auth;
pub mod config;
pub mod error;
pub mod extract;
pub mod http;
pub mod load;
pub mod outage;
pub mod rate_limit;
pub mod replay_cli;
pub mod sse_client;
pub mod state;
pub mod write_timeout;

pub use app::{Application, StartError};
pub use state::AppState;
