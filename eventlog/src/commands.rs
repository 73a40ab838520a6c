//! Executing commands through cqrs-es, once.
//!
//! Every command has an id. Its events carry that id in their metadata and a unique index on
//! (command id, index) lets it be written only once. When a client supplies a key (a
//! `client_message_id`, an `Idempotency-Key`), the id is derived from the key *and* from what
//! the key is for — the aggregate (type and id), the operation and the actor — so the same key
//! sent by another customer, into another chat or for another operation is another command.
//! A retry whose first attempt did commit — even if the reply was lost — finds those events and
//! returns them instead of acting again. The same check settles a race between two copies of
//! one command: the loser hits the unique index (or the aggregate's optimistic lock) and then
//! finds the winner's.

use crate::log::{EventLog, LogError, LogPosition, LoggedEvent};
use crate::repository::EventRepository;
use crate::store::{CachingEventStore, COMMAND_ID};
use crate::turns::Turns;
use chrono::{DateTime, SecondsFormat, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::persist::PersistenceError;
use cqrs_es::Aggregate;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use std::collections::HashMap;
use std::sync::Arc;
use thiserror::Error;
use uuid::Uuid;

/// A namespace for command ids derived from clients' keys.
const COMMAND_NAMESPACE: Uuid = Uuid::from_u128(0x5a3d_7e1c_4b2f_4c8e_9a61_d0c3_b7e4_2f19);

/// Who asked for a command, when, and whether the client marked it as retryable.
#[derive(Debug, Clone)]
pub struct CommandContext {
    /// The client's key, if it gave one: the command may be a retry.
    pub client_key: Option<ClientKey>,
    /// The actor as recorded in the metadata (JSON).
    pub actor: String,
    pub request_id: String,
    pub at: DateTime<Utc>,
}

/// A key the client chose for one request, and the operation it was given for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientKey {
    /// What the request does (`send_message`, `create_queue`, …): the same key given for
    /// another operation is another command.
    pub operation: &'static str,
    /// What the operation is about inside the aggregate, when the aggregate holds many things
    /// (a user or a queue of the one directory): the same key for another one is another command.
    pub resource: Option<String>,
    pub key: String,
}

impl CommandContext {
    /// The command's id on `aggregate`: derived from the client's key and everything the key
    /// is scoped to, so that only the same actor asking the same aggregate for the same
    /// operation again finds the first attempt; random when there is no key.
    pub fn command_id(&self, aggregate_type: &str, aggregate_id: &str) -> Uuid {
        match &self.client_key {
            Some(ClientKey {
                operation,
                resource,
                key,
            }) => {
                // Each part is length-prefixed, so no choice of key can make two different
                // scopes spell the same name.
                let resource = resource.as_deref().unwrap_or_default();
                let scope = [
                    aggregate_type,
                    aggregate_id,
                    operation,
                    resource,
                    &self.actor,
                    key,
                ]
                .iter()
                .map(|part| format!("{}:{part}", part.len()))
                .collect::<String>();
                Uuid::new_v5(&COMMAND_NAMESPACE, scope.as_bytes())
            }
            None => Uuid::now_v7(),
        }
    }

    fn metadata(&self, command_id: Uuid) -> HashMap<String, String> {
        HashMap::from([
            (COMMAND_ID.to_string(), command_id.to_string()),
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
    outcomes: Family<CommandOutcome, Counter>,
}

/// What became of the commands run on one kind of aggregate, for the node's metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CommandOutcome {
    pub aggregate: &'static str,
    /// `committed` (or a retry answered with what its first attempt committed), `unchanged`
    /// (nothing to do), `rejected`
    /// (a rule said no), `collided` (someone else appended first; decided again), `conflict`
    /// (collided on every attempt), `failed` (the database).
    pub outcome: &'static str,
}

impl<A: Aggregate + Clone> Commands<A>
where
    A::Command: Clone,
    A::Event: samtale_domain::Subject,
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
            outcomes: Family::default(),
        }
    }

    /// The count of each outcome of this node's commands; shared, to be registered once.
    pub fn outcomes(&self) -> Family<CommandOutcome, Counter> {
        self.outcomes.clone()
    }

    fn count(&self, outcome: &'static str) {
        self.outcomes
            .get_or_create(&CommandOutcome {
                aggregate: A::TYPE,
                outcome,
            })
            .inc();
    }

    /// Runs the command: see [`Executed`] for what it returns.
    pub async fn execute(
        &self,
        aggregate_id: &str,
        command: A::Command,
        context: &CommandContext,
    ) -> Result<Executed<A::Event>, CommandError<A::Error>> {
        let executed = self.decide(aggregate_id, command, context).await;
        self.count(match &executed {
            Ok(Executed {
                position: Some(_), ..
            }) => "committed",
            Ok(_) => "unchanged",
            Err(CommandError::Rejected(_)) => "rejected",
            Err(CommandError::Conflict(_)) => "conflict",
            Err(_) => "failed",
        });
        executed
    }

    /// Drops this node's in-memory copies of an erased aggregate (see
    /// [`CachingEventStore::forget`]).
    pub fn forget(&self, aggregate_id: &str) {
        self.store.forget(aggregate_id);
    }

    /// This is cqrs-es's `CqrsFramework::execute` (load, handle, commit) without its query
    /// dispatch, which Samtale does not use (read models tail the log). It costs one round
    /// trip on the common path: the aggregate comes from the cache and the append returns the
    /// position. Whatever that path could get wrong is caught and decided again: a stale cache
    /// collides on the sequence, a retried command on its id. Commands on one aggregate take
    /// turns on this node, so only another node can make the cache stale.
    async fn decide(
        &self,
        aggregate_id: &str,
        command: A::Command,
        context: &CommandContext,
    ) -> Result<Executed<A::Event>, CommandError<A::Error>> {
        let command_id = context.command_id(A::TYPE, aggregate_id);
        let metadata = context.metadata(command_id);
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
                if context.client_key.is_some() {
                    if let Some(earlier) = self.earlier(aggregate_id, command_id).await? {
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
                    self.count("collided");
                    // Either this very command was written already (a retry, or a concurrent
                    // copy, won) or someone else appended first (a customer and an agent
                    // writing at the same moment; another node, behind a stale cache).
                    // Deciding again on the new state is always right: the command either
                    // still holds (a message) or is now refused (a second pickup).
                    if let Some(earlier) = self.earlier(aggregate_id, command_id).await? {
                        return Ok(earlier);
                    }
                    verify = true;
                }
                Err(error) => return Err(classify(error)),
            }
        }
        Err(CommandError::Conflict(A::TYPE))
    }

    /// The aggregate as the log has it now: the cached state and any events after it. For
    /// facts a command on another aggregate needs (the directory's queue memberships for a
    /// pickup), read from the write model rather than a read model that may lag.
    pub async fn current(&self, aggregate_id: &str) -> Result<A, CommandError<A::Error>> {
        let loaded = self
            .store
            .load(aggregate_id, true)
            .await
            .map_err(classify)?;
        Ok(loaded.aggregate)
    }

    /// What an earlier run of this very command on this aggregate appended, if one did.
    /// Events of another aggregate under the same id are never an answer: whatever wrote
    /// them, they are not this client's.
    async fn earlier(
        &self,
        aggregate_id: &str,
        command_id: Uuid,
    ) -> Result<Option<Executed<A::Event>>, CommandError<A::Error>> {
        let mut logged = self.log.events_of_command(command_id).await?;
        logged.retain(|e| e.aggregate_type == A::TYPE && e.aggregate_id == aggregate_id);
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
