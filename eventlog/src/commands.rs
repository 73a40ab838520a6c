//! Executing commands through cqrs-es, once.
//!
//! Every command has an id. Its events carry that id in their metadata and a unique index on
//! (command id, index) lets it be written only once. When a client supplies the id (a
//! `client_message_id`, an `Idempotency-Key`), a retry whose first attempt did commit —
//! even if the reply was lost — finds those events and returns their position instead of
//! acting again. The same check settles a race between two copies of one command: the loser
//! hits the unique index (or the aggregate's optimistic lock) and then finds the winner's.

use crate::log::{EventLog, LogError, LogPosition, LoggedEvent};
use crate::repository::EventRepository;
use crate::store::{CachingEventStore, COMMAND_ID};
use crate::turns::Turns;
use chrono::{DateTime, SecondsFormat, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::persist::PersistenceError;
use cqrs_es::Aggregate;
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

/// What running a command did.
#[derive(Debug)]
pub struct Executed<E> {
    /// The log position of the command's last event — what a reader must have reached to see
    /// its effect — or `None` if the command changed nothing.
    pub position: Option<LogPosition>,
    /// The command's events: appended by this run or, for a retry, by the first attempt.
    pub events: Vec<E>,
}

impl<E> Default for Executed<E> {
    fn default() -> Self {
        Self {
            position: None,
            events: Vec::new(),
        }
    }
}

pub struct Commands<A: Aggregate + Clone> {
    store: CachingEventStore<A>,
    services: A::Services,
    log: Arc<dyn EventLog>,
    turns: Turns,
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
        Self {
            store: CachingEventStore::new(repo, cache_capacity),
            services,
            log,
            turns: Turns::default(),
        }
    }

    /// Runs the command: see [`Executed`] for what it returns.
    ///
    /// This is cqrs-es's `CqrsFramework::execute` (load, handle, commit) without its query
    /// dispatch, which Samtale does not use (read models tail the log). It costs one round
    /// trip on the common path: the aggregate comes from the cache and the append returns the
    /// position. Whatever that path could get wrong is caught and decided again: a stale cache
    /// collides on the sequence, a retried command on its id. Commands on one aggregate take
    /// turns on this node, so only another node can make the cache stale.
    pub async fn execute(
        &self,
        aggregate_id: &str,
        command: A::Command,
        context: &CommandContext,
    ) -> Result<Executed<A::Event>, CommandError<A::Error>> {
        let metadata = context.metadata();
        let _turn = self.turns.take(aggregate_id).await;
        let mut verify = false;
        for _ in 0..DECISION_ATTEMPTS {
            let mut loaded = self
                .store
                .load(aggregate_id, verify)
                .await
                .map_err(classify)?;
            let sink = EventSink::default();
            let decided = loaded
                .aggregate
                .handle(command.clone(), &self.services, &sink)
                .await;
            let events = sink.collect().await;
            if decided.is_err() || events.is_empty() {
                if !loaded.verified {
                    verify = true;
                    continue;
                }
                // A retry of a command that did commit is answered as the first attempt was,
                // even if the state has moved on since (the chat ended after the message).
                if context.from_client {
                    if let Some(earlier) = self.earlier(context.command_id).await? {
                        return Ok(earlier);
                    }
                }
                return decided
                    .map(|()| Executed::default())
                    .map_err(CommandError::Rejected);
            }
            match self
                .store
                .commit(aggregate_id, loaded, &events, &metadata)
                .await
            {
                Ok(position) => {
                    self.log.wake().appended();
                    return Ok(Executed {
                        position: Some(position),
                        events,
                    });
                }
                Err(PersistenceError::OptimisticLockError) => {
                    // Either this very command was written already (a retry, or a concurrent
                    // copy, won) or someone else appended first (a customer and an agent
                    // writing at the same moment; another node, behind a stale cache).
                    // Deciding again on the new state is always right: the command either
                    // still holds (a message) or is now refused (a second pickup).
                    if let Some(earlier) = self.earlier(context.command_id).await? {
                        return Ok(earlier);
                    }
                    verify = true;
                }
                Err(error) => return Err(classify(error)),
            }
        }
        Err(CommandError::Conflict(A::TYPE))
    }

    /// What an earlier run of this very command appended, if one did.
    async fn earlier(
        &self,
        command_id: Uuid,
    ) -> Result<Option<Executed<A::Event>>, CommandError<A::Error>> {
        let logged = self.log.events_of_command(command_id).await?;
        let Some(position) = logged.last().map(|e| e.position) else {
            return Ok(None);
        };
        let events = logged
            .iter()
            .map(LoggedEvent::decode)
            .collect::<Result<_, _>>()?;
        Ok(Some(Executed {
            position: Some(position),
            events,
        }))
    }
}

/// How often a command is decided before it gives up on losing optimistic-lock races.
const DECISION_ATTEMPTS: usize = 6;

/// A server going away, and SQLite's "database is locked", mean the same to a client as a
/// lost connection: try again shortly.
fn classify<E: std::error::Error>(error: PersistenceError) -> CommandError<E> {
    let unreachable = match &error {
        PersistenceError::ConnectionError(_) => true,
        PersistenceError::UnknownError(cause) => cause
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
