use crate::event::SamtaleEvent;
use crate::schema::{Generation, Table};
use async_trait::async_trait;
use samtale_eventlog::LogError;
use sqlx::AnyConnection;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ProjectionError {
    #[error("projection storage failed: {0}")]
    Sql(#[from] sqlx::Error),
    #[error(transparent)]
    Log(#[from] LogError),
    #[error("no projection named {0:?}")]
    Unknown(String),
    #[error("the {0} projection is never rebuilt")]
    NotRebuildable(&'static str),
    #[error("the {0} projection has no checkpoint: it was never installed")]
    NotInstalled(&'static str),
    #[error("a background task failed: {0}")]
    Task(String),
}

/// A read model folded from the log.
#[async_trait]
pub trait Projection: Send + Sync {
    fn name(&self) -> &'static str;

    /// Bump when the tables or the fold change: the projection is then rebuilt at start.
    fn version(&self) -> i64;

    fn tables(&self) -> &'static [Table];

    /// May `projections rebuild` fold this projection again from the log? Not the seals:
    /// rebuilding them from an altered log would hide the alteration.
    fn rebuildable(&self) -> bool {
        true
    }

    /// Folds one event into the generation's tables. Must be deterministic: the same events
    /// give the same rows, whenever and however often they are folded from the start.
    async fn apply(
        &self,
        conn: &mut AnyConnection,
        generation: Generation,
        event: &SamtaleEvent,
    ) -> Result<(), ProjectionError>;

    /// Folds a batch of consecutive events. The default folds them one by one; a projection
    /// whose events come in runs (messages) overrides it to write a run in one statement.
    async fn apply_batch(
        &self,
        conn: &mut AnyConnection,
        generation: Generation,
        events: &[SamtaleEvent],
    ) -> Result<(), ProjectionError> {
        for event in events {
            self.apply(conn, generation, event).await?;
        }
        Ok(())
    }
}
