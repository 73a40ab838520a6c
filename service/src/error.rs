//! What can go wrong in the node's own work, apart from a command's refusal (`CommandError`).

use samtale_domain::directory::DirectoryError;
use samtale_domain::text::TextError;
use samtale_eventlog::{CommandError, DatabaseError, LogError};
use samtale_projections::ProjectionError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ServiceError {
    #[error(transparent)]
    Connect(#[from] DatabaseError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Log(#[from] LogError),
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    /// A configuration that cannot work (an administrator password that is too short).
    #[error("{0}")]
    Config(String),
    /// A command of the service's own was refused or could not run.
    #[error("{0}")]
    Command(String),
    /// Data the service made itself (demo names, stored ids) did not parse.
    #[error("{0}")]
    Malformed(String),
    #[error("{0}")]
    Internal(String),
}

impl<E: std::error::Error> From<CommandError<E>> for ServiceError {
    fn from(error: CommandError<E>) -> Self {
        ServiceError::Command(error.to_string())
    }
}

impl From<TextError> for ServiceError {
    fn from(error: TextError) -> Self {
        ServiceError::Malformed(error.to_string())
    }
}

impl From<DirectoryError> for ServiceError {
    fn from(error: DirectoryError) -> Self {
        ServiceError::Malformed(error.to_string())
    }
}

impl From<uuid::Error> for ServiceError {
    fn from(error: uuid::Error) -> Self {
        ServiceError::Malformed(error.to_string())
    }
}

impl From<chrono::ParseError> for ServiceError {
    fn from(error: chrono::ParseError) -> Self {
        ServiceError::Malformed(error.to_string())
    }
}
