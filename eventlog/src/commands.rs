//! Executing commands through cqrs-es, once.
//!
//! Every command has an id. Its events carry that id in their metadata and a unique index on
//! (command id, index) lets it be written only once. When a client supplies the id (a
//! `client_message_id`, an `Idempotency-Key`), a retry whose first attempt did commit —
//! even if the reply was lost — finds those events and returns their position instead of
//! acting again. The same check settles a race between two copies of one command: the loser
//! hits the unique index (or the aggregate's optimistic lock) and then finds the winner's.

use crate::log::{EventLog, LogError, LogPosition};
use crate::repository::EventRepository;
use crate::store::{CachingEventStore, COMMAND_ID};
use chrono::{DateTime, SecondsFormat, Utc};
use cqrs_es::{Aggregate, AggregateError, CqrsFramework};
use std::collections::HashMap;
use std::sync::Arc;
use thiserror::Error;
use uuid::Uuid;

/// Who asked for a command, when, and under which id.
#[derive(Debug, Clone)]
pub struct CommandContext {
    pub command_id: Uuid,
    /// True when the id came from the client, so the command may be a retry.
    pub from_client: bool,
    /// The actor as recorded in the metadata (JSON).
    pub actor: String,
    pub request_id: String,
    pub at: DateTime<Utc>,
}

impl CommandContext {
    fn metadata(&self) -> HashMap<String, String> {
        HashMap::from([
            (COMMAND_ID.to_string(), self.command_id.to_string()),
            ("actor".to_string(), self.actor.clone()),
            ("request_id".to_string(), self.request_id.clone()),
            (
                "recorded_at".to_string(),
                self.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            ),
        ])
    }
}

#[derive(Debug, Error)]
pub enum CommandError<E: std::error::Error> {
    /// The domain said no.
    #[error(transparent)]
    Rejected(E),
    /// Someone else changed the aggregate first; the caller may reload and decide again.
    #[error("the {0} was changed concurrently")]
    Conflict(&'static str),
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl<E: std::error::Error> From<LogError> for CommandError<E> {
    fn from(error: LogError) -> Self {
        match error {
            LogError::Unavailable(e) => CommandError::Unavailable(e.to_string()),
            other => CommandError::Internal(other.to_string()),
        }
    }
}

pub struct Commands<A: Aggregate + Clone> {
    cqrs: CqrsFramework<A, CachingEventStore<A>>,
    log: Arc<dyn EventLog>,
}

impl<A: Aggregate + Clone> Commands<A>
where
    A::Command: Clone,
{
    pub fn new(
        repo: Arc<EventRepository>,
        log: Arc<dyn EventLog>,
        services: A::Services,
        cache_capacity: usize,
    ) -> Self {
        let store = CachingEventStore::new(repo, cache_capacity);
        Self {
            cqrs: CqrsFramework::new(store, vec![], services),
            log,
        }
    }

    /// Runs the command. Returns the log position of its last event — what a reader must
    /// have reached to see its effect — or `None` if the command changed nothing.
    pub async fn execute(
        &self,
        aggregate_id: &str,
        command: A::Command,
        context: &CommandContext,
    ) -> Result<Option<LogPosition>, CommandError<A::Error>> {
        if context.from_client {
            if let Some(done) = self.log.command_position(context.command_id).await? {
                return Ok(Some(done));
            }
        }
        let mut attempts = 0;
        loop {
            attempts += 1;
            let outcome = self
                .cqrs
                .execute_with_metadata(aggregate_id, command.clone(), context.metadata())
                .await;
            match outcome {
                Ok(()) => {
                    let position = self.log.command_position(context.command_id).await?;
                    if position.is_some() {
                        self.log.wake().appended();
                    }
                    return Ok(position);
                }
                Err(AggregateError::UserError(e)) => return Err(CommandError::Rejected(e)),
                Err(AggregateError::DatabaseConnectionError(e)) => {
                    return Err(CommandError::Unavailable(e.to_string()))
                }
                Err(
                    error
                    @ (AggregateError::AggregateConflict | AggregateError::UnexpectedError(_)),
                ) => {
                    if let Some(done) = self.log.command_position(context.command_id).await? {
                        return Ok(Some(done));
                    }
                    if !matches!(error, AggregateError::AggregateConflict) {
                        return Err(classify_unexpected(error));
                    }
                    // Someone else appended first (a customer and an agent writing at the same
                    // moment). Deciding again on the new state is always right: the command
                    // either still holds (a message) or is now refused (a second pickup).
                    if attempts == CONFLICT_ATTEMPTS {
                        return Err(CommandError::Conflict(A::TYPE));
                    }
                }
                Err(error @ AggregateError::DeserializationError(_)) => {
                    return Err(CommandError::Internal(error.to_string()))
                }
            }
        }
    }
}

/// How often a command is decided again after losing an optimistic-lock race.
const CONFLICT_ATTEMPTS: usize = 5;

/// postgres-es reports a server going away, and sqlite-es "database is locked", as unexpected
/// errors; to a client they mean the same as a lost connection: try again shortly.
fn classify_unexpected<E: std::error::Error>(error: AggregateError<E>) -> CommandError<E> {
    let unreachable = match &error {
        AggregateError::UnexpectedError(cause) => cause
            .downcast_ref::<sqlx::Error>()
            .is_some_and(crate::is_unreachable),
        _ => false,
    };
    let text = error.to_string();
    if unreachable || text.contains("database is locked") || text.contains("pool timed out") {
        CommandError::Unavailable(text)
    } else {
        CommandError::Internal(text)
    }
}
