//! postgres-es and sqlite-es behind one [`PersistedEventRepository`], chosen at start from the
//! database URL, so the rest of Samtale has one concrete type whichever backend runs — plus
//! [`EventRepository::append`], the write path commands use.

use crate::log::{last_of, LogPosition};
use cqrs_es::persist::{
    PersistedEventRepository, PersistenceError, ReplayStream, SerializedEvent, SerializedSnapshot,
};
use cqrs_es::Aggregate;
use postgres_es::PostgresEventRepository;
use serde_json::Value;
use sqlite_es::SqliteEventRepository;
use sqlx::{PgPool, SqlitePool};

pub enum EventRepository {
    Postgres(PostgresEventRepository, PgPool),
    Sqlite(SqliteEventRepository, SqlitePool),
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
    /// is one statement (a statement is its own transaction), returning the positions it got.
    /// A taken sequence or command id is a unique violation, reported as the optimistic-lock
    /// conflict it is.
    pub async fn append(
        &self,
        events: &[SerializedEvent],
    ) -> Result<LogPosition, PersistenceError> {
        let result = match self {
            EventRepository::Postgres(_, pool) => append_postgres(pool, events).await,
            EventRepository::Sqlite(_, pool) => append_sqlite(pool, events).await,
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

async fn append_postgres(
    pool: &PgPool,
    events: &[SerializedEvent],
) -> Result<LogPosition, sqlx::Error> {
    let column = |f: fn(&SerializedEvent) -> String| events.iter().map(f).collect::<Vec<_>>();
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                             payload, metadata)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[],
                              $6::jsonb[], $7::jsonb[])
         RETURNING tx::text, position",
    )
    .bind(column(|e| e.aggregate_type.clone()))
    .bind(column(|e| e.aggregate_id.clone()))
    .bind(events.iter().map(|e| e.sequence as i64).collect::<Vec<_>>())
    .bind(column(|e| e.event_type.clone()))
    .bind(column(|e| e.event_version.clone()))
    .bind(events.iter().map(|e| e.payload.clone()).collect::<Vec<_>>())
    .bind(
        events
            .iter()
            .map(|e| e.metadata.clone())
            .collect::<Vec<_>>(),
    )
    .fetch_all(pool)
    .await?;
    Ok(last_of(rows).unwrap_or_default())
}

async fn append_sqlite(
    pool: &SqlitePool,
    events: &[SerializedEvent],
) -> Result<LogPosition, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let mut last = LogPosition::START;
    for event in events {
        let position: i64 = sqlx::query_scalar(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type,
                                 event_version, payload, metadata)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING rowid",
        )
        .bind(&event.aggregate_type)
        .bind(&event.aggregate_id)
        .bind(event.sequence as i64)
        .bind(&event.event_type)
        .bind(&event.event_version)
        .bind(event.payload.to_string())
        .bind(event.metadata.to_string())
        .fetch_one(&mut *tx)
        .await?;
        last = LogPosition { tx: 0, position };
    }
    tx.commit().await?;
    Ok(last)
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
