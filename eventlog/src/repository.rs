//! postgres-es and sqlite-es behind one [`PersistedEventRepository`], chosen at start from the
//! database URL, so the rest of Samtale has one concrete type whichever backend runs — plus
//! [`EventRepository::append`], the write path commands use.

use crate::group_commit::{GroupCommit, NewEvent};
use crate::log::LogPosition;
use cqrs_es::persist::{
    PersistedEventRepository, PersistenceError, ReplayStream, SerializedEvent, SerializedSnapshot,
};
use cqrs_es::Aggregate;
use postgres_es::PostgresEventRepository;
use serde_json::Value;
use sqlite_es::SqliteEventRepository;

pub enum EventRepository {
    Postgres(PostgresEventRepository, GroupCommit),
    Sqlite(SqliteEventRepository, GroupCommit),
}

macro_rules! delegate {
    ($self:ident, $repo:ident => $call:expr) => {
        match $self {
            EventRepository::Postgres($repo, _) => $call.await,
            EventRepository::Sqlite($repo, _) => $call.await,
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
    pub async fn append(&self, events: Vec<NewEvent>) -> Result<LogPosition, PersistenceError> {
        let result = match self {
            EventRepository::Postgres(_, group) | EventRepository::Sqlite(_, group) => {
                group.append(events).await
            }
        };
        result.map_err(|error| match &error {
            sqlx::Error::Database(e) if e.is_unique_violation() => {
                PersistenceError::OptimisticLockError
            }
            _ if crate::is_unreachable(&error) => PersistenceError::ConnectionError(error.into()),
            _ => PersistenceError::UnknownError(error.into()),
        })
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

    async fn persist<A: Aggregate>(
        &self,
        events: &[SerializedEvent],
        snapshot_update: Option<(String, Value, usize)>,
    ) -> Result<(), PersistenceError> {
        delegate!(self, repo => repo.persist::<A>(events, snapshot_update))
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
