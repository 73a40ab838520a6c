//! What can go wrong talking to a server.

use reqwest::StatusCode;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Http(#[from] reqwest::Error),
    /// The server answered, but not with success.
    #[error("{path}: {status} {body}")]
    Status {
        path: String,
        status: StatusCode,
        body: String,
    },
    /// A successful answer without a field the client needs.
    #[error("{path}: the answer has no {field}")]
    Missing { path: String, field: &'static str },
    #[error("at most 20 chats per agent: use more agents")]
    TooManyChats,
    #[error("a load task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("the load's send slots were closed")]
    SlotsClosed(#[from] tokio::sync::AcquireError),
}
