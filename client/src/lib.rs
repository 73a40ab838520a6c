//! What talks to a Samtale server from outside, over its public HTTP API only: an SSE client,
//! a small API client, and the load tool built on them. It depends on no server crate, so it
//! sees the server exactly as a customer's browser or an agent's console does.

pub mod api;
mod error;
pub mod load;
pub mod sse_client;

pub use error::Error;
