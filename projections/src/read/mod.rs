//! Queries over the read models, for the API and for tools, one module per projection's rows.
//! They read the stable views, so they never notice a rebuild's swap.

mod board;
mod conversations;
mod directory;
mod presence;
mod routing;
mod status;

pub use board::*;
pub use conversations::*;
pub use directory::*;
pub use presence::*;
pub use routing::*;
pub use status::*;

pub type ReadResult<T> = Result<T, sqlx::Error>;
