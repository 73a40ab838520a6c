//! What a Samtale node runs besides HTTP: commands run with their origin (who, which request,
//! when, the client's key), credentials and staff sessions with the revocation watch, customer
//! tokens, the live feed, the dispatcher with its lease, erasure and retention, pruning and bootstrap.
//!
//! It knows no HTTP: the api crate parses requests into the types here and maps their errors to
//! problem responses. Nothing here must survive a restart in memory: caches are optimisations.

pub mod attachments;
pub mod bootstrap;
pub mod credentials;
pub mod dispatcher;
pub mod erasure;
mod error;
mod folded;
pub mod identity;
pub mod live;
pub mod mail;
mod node;
pub mod origin;
pub mod places;
pub mod pruning;
mod scope;
pub mod sessions;
pub mod transcript_retention;
mod turn;
pub mod typing;

pub use error::ServiceError;
pub use node::{Node, NodeSettings};
pub use origin::Origin;
