//! postgres-es and sqlite-es behind one [`PersistedEventRepository`], chosen at start from the
//! database URL, so the rest of Samtale has one concrete type whichever backend runs — plus
//! [`EventRepository::append`], the write path commands use.

use crate::codec::{self, EventIdentity};
use crate::group_commit::{GroupCommit, NewEvent};
use crate::keys::DataKey;
use crate::log::LogPosition;
use crate::vault::{Vault, VaultError};
use cqrs_es::persist::{
    PersistedEventRepository, PersistenceError, ReplayStream, SerializedEvent, SerializedSnapshot,
};
use cqrs_es::Aggregate;
use postgres_es::PostgresEventRepository;
use serde_json::Value;
use sqlite_es::SqliteEventRepository;
use std::sync::Arc;

pub enum EventRepository {
    Postgres(PostgresEventRepository, GroupCommit, Arc<Vault>),
    Sqlite(SqliteEventRepository, GroupCommit, Arc<Vault>),
}

macro_rules! delegate {
    ($self:ident, $repo:ident => $call:expr) => {
        match $self {
            EventRepository::Postgres($repo, ..) => $call.await,
            EventRepository::Sqlite($repo, ..) => $call.await,
        }
    };
}

impl EventRepository {
    /// Appends one command's events atomically and returns the log position of the last.
    ///
    /// postgres-es writes a transaction of one insert per event, after which the position had
    /// to be looked up: five round trips for a typical one-event command. On PostgreSQL this
    /// is one statement (a statement is its own transaction) returning the positions it got;
    /// on both backends the commands appending at the same moment share the transaction
    /// ([`GroupCommit`]).
    /// A taken sequence or command id is a unique violation, reported as the optimistic-lock
    /// conflict it is.
    ///
    /// Personal values are encrypted here, under their aggregate's data key, on their way in.
    pub async fn append(&self, mut events: Vec<NewEvent>) -> Result<LogPosition, PersistenceError> {
        for event in &mut events {
            self.encrypt(event).await?;
        }
        let erased: Vec<(String, String)> = events
            .iter()
            .filter(|e| e.erases_subject)
            .map(|e| (e.aggregate_type.clone(), e.aggregate_id.clone()))
            .collect();
        let (EventRepository::Postgres(_, group, _) | EventRepository::Sqlite(_, group, _)) = self;
        let appended = group.append(events).await;
        if appended.is_ok() {
            for (aggregate_type, aggregate_id) in erased {
                self.vault().forget(&aggregate_type, &aggregate_id);
            }
        }
        appended.map_err(|error| match &error {
            sqlx::Error::Database(e) if e.is_unique_violation() => {
                PersistenceError::OptimisticLockError
            }
            _ if crate::is_unreachable(&error) => PersistenceError::ConnectionError(error.into()),
            _ => PersistenceError::UnknownError(error.into()),
        })
    }
}

impl EventRepository {
    pub fn vault(&self) -> &Vault {
        let (EventRepository::Postgres(_, _, vault) | EventRepository::Sqlite(_, _, vault)) = self;
        vault
    }

    async fn key_for(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Arc<DataKey>, PersistenceError> {
        self.vault()
            .key_for_writing(aggregate_type, aggregate_id)
            .await
            .map_err(|error| match error {
                // Decided on a cached state from before the erasure: decide again on the log's.
                VaultError::Erased(_) => PersistenceError::OptimisticLockError,
                VaultError::Sql(e) if crate::is_unreachable(&e) => {
                    PersistenceError::ConnectionError(e.into())
                }
                error => PersistenceError::UnknownError(error.into()),
            })
    }

    async fn encrypt(&self, event: &mut NewEvent) -> Result<(), PersistenceError> {
        if !codec::marks_personal(&event.payload) {
            return Ok(());
        }
        let key = self
            .key_for(&event.aggregate_type, &event.aggregate_id)
            .await?;
        let mut payload: Value = serde_json::from_str(&event.payload)?;
        let identity = EventIdentity {
            aggregate_type: &event.aggregate_type,
            aggregate_id: &event.aggregate_id,
            sequence: event.sequence,
            event_type: &event.event_type,
        };
        codec::encrypt(&mut payload, &key, identity);
        event.payload = payload.to_string();
        Ok(())
    }
}

impl PersistedEventRepository for EventRepository {
    async fn get_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        delegate!(self, repo => repo.get_events::<A>(aggregate_id))
    }

    async fn get_last_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
        last_sequence: usize,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        delegate!(self, repo => repo.get_last_events::<A>(aggregate_id, last_sequence))
    }

    async fn get_snapshot<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Option<SerializedSnapshot>, PersistenceError> {
        delegate!(self, repo => repo.get_snapshot::<A>(aggregate_id))
    }

    /// Personal values are encrypted here too: no path into the log bypasses the codec.
    async fn persist<A: Aggregate>(
        &self,
        events: &[SerializedEvent],
        snapshot_update: Option<(String, Value, usize)>,
    ) -> Result<(), PersistenceError> {
        let mut encrypted = events.to_vec();
        for event in &mut encrypted {
            if !codec::marks_personal(&event.payload.to_string()) {
                continue;
            }
            let key = self
                .key_for(&event.aggregate_type, &event.aggregate_id)
                .await?;
            let identity = EventIdentity {
                aggregate_type: &event.aggregate_type,
                aggregate_id: &event.aggregate_id,
                sequence: i64::try_from(event.sequence).unwrap_or_default(),
                event_type: &event.event_type,
            };
            codec::encrypt(&mut event.payload, &key, identity);
        }
        delegate!(self, repo => repo.persist::<A>(&encrypted, snapshot_update))
    }

    async fn stream_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<ReplayStream, PersistenceError> {
        delegate!(self, repo => repo.stream_events::<A>(aggregate_id))
    }

    async fn stream_all_events<A: Aggregate>(&self) -> Result<ReplayStream, PersistenceError> {
        delegate!(self, repo => repo.stream_all_events::<A>())
    }
}
