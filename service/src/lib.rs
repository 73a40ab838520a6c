//! What a Samtale node runs besides HTTP: commands run with their origin (who, which request,
//! when, the client's key), credentials and staff sessions with the revocation watch, customer
//! tokens, the live feed, the dispatcher with its lease, retention and bootstrap.
//!
//! It knows no HTTP: the api crate parses requests into the types here and maps their errors to
//! problem responses. Nothing here must survive a restart in memory: caches are optimisations.

pub mod bootstrap;
pub mod credentials;
pub mod dispatcher;
mod error;
pub mod identity;
pub mod live;
mod node;
pub mod origin;
pub mod places;
pub mod retention;
pub mod sessions;

pub use error::ServiceError;
pub use node::{Node, SessionSettings};
pub use origin::Origin;
