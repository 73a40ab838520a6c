//! Reading the log in commit order: [`EventLog`] over both backends, and [`Tail`], which
//! follows it live.
//!
//! PostgreSQL assigns `position` at insert, but concurrent transactions commit in another
//! order: a reader that has seen position 11 may later find 10 committed. So readers tail by
//! `(tx, position)`, and only read rows written by transactions older than every transaction
//! still running (`tx < pg_snapshot_xmin(pg_current_snapshot())`): no transaction can
//! commit below that horizon any more. SQLite has one writer at a time, so its rowid is
//! already commit order and every visible row is settled.

use crate::wake::Wake;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use sqlx::{PgPool, Row, SqlitePool};
use std::collections::HashMap;
use std::time::Duration;
use thiserror::Error;
use tokio::sync::watch;
use uuid::Uuid;

/// Where an event sits in the log. Ordered by commit: `(tx, position)` on PostgreSQL; on
/// SQLite `tx` is always 0. The `position` alone identifies an event (SSE ids are positions).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct LogPosition {
    pub tx: i64,
    pub position: i64,
}

impl LogPosition {
    /// Before the first event.
    pub const START: LogPosition = LogPosition { tx: 0, position: 0 };
}

#[derive(Debug, Clone)]
pub struct LoggedEvent {
    pub position: LogPosition,
    pub event_id: Uuid,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    /// The payload's JSON text as stored. Kept as text so that readers decode it straight
    /// into the event type they want: going through a `Value` first cost a rebuild most of
    /// its time in allocation.
    pub payload: Box<RawValue>,
    pub metadata: HashMap<String, String>,
}

impl LoggedEvent {
    /// The payload as stored (not upcast), as a JSON value whose text is canonical (keys
    /// ordered): equal payloads give equal text whichever backend stored them and however it
    /// spaces its JSON. The seals chain hashes this, so adding an upcaster breaks no seal.
    pub fn payload_value(&self) -> Result<Value, LogError> {
        serde_json::from_str(self.payload.get()).map_err(|e| LogError::Decode {
            position: self.position.position,
            reason: e.to_string(),
        })
    }
}

#[derive(Debug, Error)]
pub enum LogError {
    #[error("the event log is unavailable: {0}")]
    Unavailable(#[from] sqlx::Error),
    #[error("event at position {position} cannot be decoded: {reason}")]
    Decode { position: i64, reason: String },
}

/// The log as readers see it, on either backend.
#[async_trait]
pub trait EventLog: Send + Sync {
    /// Up to `limit` settled events after `after`, in commit order.
    async fn read_after(
        &self,
        after: LogPosition,
        limit: i64,
    ) -> Result<Vec<LoggedEvent>, LogError>;

    /// True if events after `after` have committed but are not yet settled (an older
    /// transaction is still running): worth re-reading in a moment rather than waiting.
    async fn has_unsettled_after(&self, after: LogPosition) -> Result<bool, LogError>;

    /// The log position of the event at `position`, if there is one.
    async fn locate(&self, position: i64) -> Result<Option<LogPosition>, LogError>;

    /// Every event of one aggregate, in log order: its audit trail.
    async fn events_of(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Vec<LoggedEvent>, LogError>;

    /// The events a command wrote, in log order; none if it wrote none.
    async fn events_of_command(&self, command_id: Uuid) -> Result<Vec<LoggedEvent>, LogError>;

    /// The position of the last event committed so far (settled or not): what a reader must
    /// reach to have seen everything written before this call.
    async fn head(&self) -> Result<LogPosition, LogError>;

    fn wake(&self) -> &Wake;
}

/// Follows the log from a position: returns each next batch as soon as it is settled.
pub struct Tail<'a> {
    log: &'a dyn EventLog,
    woken: watch::Receiver<u64>,
    after: LogPosition,
    limit: i64,
}

/// How long a reader waits for a wake-up before it looks anyway. Wake-ups can be lost (a
/// LISTEN connection dropping); this bounds how late an event can then be seen.
const SAFETY_POLL: Duration = Duration::from_millis(500);

impl<'a> Tail<'a> {
    pub fn new(log: &'a dyn EventLog, after: LogPosition, limit: i64) -> Self {
        Self {
            woken: log.wake().subscribe(),
            log,
            after,
            limit,
        }
    }

    pub fn position(&self) -> LogPosition {
        self.after
    }

    /// The next non-empty batch after the last one returned.
    pub async fn next_batch(&mut self) -> Result<Vec<LoggedEvent>, LogError> {
        let mut settling = Settling::default();
        loop {
            // Mark the wake-ups seen *before* reading: one arriving after the read is kept.
            self.woken.borrow_and_update();
            let batch = self.log.read_after(self.after, self.limit).await?;
            if let Some(last) = batch.last() {
                self.after = last.position;
                return Ok(batch);
            }
            if self.log.has_unsettled_after(self.after).await? {
                settling.wait().await;
            } else if tokio::time::timeout(SAFETY_POLL, self.woken.changed())
                .await
                .is_ok_and(|changed| changed.is_err())
            {
                // The waker is gone (shutting down): fall back to polling.
                tokio::time::sleep(SAFETY_POLL).await;
            }
        }
    }
}

/// Every event committed before the call, in commit order — waiting, if need be, for the
/// last of them to settle behind older transactions still running elsewhere.
pub async fn read_to_head(log: &dyn EventLog) -> Result<Vec<LoggedEvent>, LogError> {
    let head = log.head().await?;
    let mut tail = Tail::new(log, LogPosition::START, 5000);
    let mut events = Vec::new();
    while tail.position() < head {
        events.extend(tail.next_batch().await?);
    }
    Ok(events)
}

/// Waiting for committed events to settle behind an older, still running transaction. Those
/// transactions are short (an append, a projection batch), so the wait starts at 1 ms and never
/// grows past 4 ms: a longer sleep would only add latency to every event behind it.
#[derive(Debug)]
pub struct Settling(Duration);

impl Default for Settling {
    fn default() -> Self {
        Self(Duration::from_millis(1))
    }
}

impl Settling {
    pub async fn wait(&mut self) {
        tokio::time::sleep(self.0).await;
        self.0 = (self.0 * 2).min(Duration::from_millis(4));
    }
}

/// A position from PostgreSQL's `tx::text` and `position` (sqlx has no integer type for xid8).
pub(crate) fn position_of(tx: &str, position: i64) -> LogPosition {
    LogPosition {
        tx: tx.parse().unwrap_or_default(),
        position,
    }
}

fn uuid_of(text: Option<String>) -> Uuid {
    text.and_then(|t| Uuid::parse_str(&t).ok())
        .unwrap_or_default()
}

/// The payload and metadata columns, both read as JSON text on either backend.
fn json_columns(
    position: i64,
    payload: String,
    metadata: &str,
) -> Result<(Box<RawValue>, HashMap<String, String>), LogError> {
    let payload = RawValue::from_string(payload).map_err(|e| LogError::Decode {
        position,
        reason: e.to_string(),
    })?;
    Ok((payload, serde_json::from_str(metadata).unwrap_or_default()))
}

/// The columns [`postgres_event`] reads, from `events e`. xid8 has no integer type in sqlx, so
/// `tx` travels as text, and so do the JSON columns (see [`LoggedEvent::payload`]).
const POSTGRES_COLUMNS: &str = "e.position, e.tx::text AS tx_text, e.event_id::text AS event_id,
    e.aggregate_type, e.aggregate_id, e.sequence, e.event_type, e.event_version,
    e.payload::text AS payload, e.metadata::text AS metadata";

fn postgres_event(row: &sqlx::postgres::PgRow) -> Result<LoggedEvent, LogError> {
    let position: i64 = row.get("position");
    let (payload, metadata) = json_columns(position, row.get("payload"), row.get("metadata"))?;
    Ok(LoggedEvent {
        position: position_of(row.get("tx_text"), position),
        event_id: uuid_of(row.get("event_id")),
        aggregate_type: row.get("aggregate_type"),
        aggregate_id: row.get("aggregate_id"),
        sequence: row.get("sequence"),
        event_type: row.get("event_type"),
        event_version: row.get("event_version"),
        payload,
        metadata,
    })
}

pub struct PostgresLog {
    pub(crate) pool: PgPool,
    pub(crate) wake: Wake,
}

#[async_trait]
impl EventLog for PostgresLog {
    async fn read_after(
        &self,
        after: LogPosition,
        limit: i64,
    ) -> Result<Vec<LoggedEvent>, LogError> {
        let rows = sqlx::query(&format!(
            // Ordering must use the column itself: `ORDER BY tx` against the text alias
            // would sort "10" < "9".
            "SELECT {POSTGRES_COLUMNS} FROM events e
              WHERE (e.tx, e.position) > ($1::text::xid8, $2)
                AND e.tx < pg_snapshot_xmin(pg_current_snapshot())
              ORDER BY e.tx, e.position
              LIMIT $3"
        ))
        .bind(after.tx.to_string())
        .bind(after.position)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(postgres_event).collect()
    }

    async fn events_of(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Vec<LoggedEvent>, LogError> {
        let rows = sqlx::query(&format!(
            "SELECT {POSTGRES_COLUMNS} FROM events e
              WHERE e.aggregate_type = $1 AND e.aggregate_id = $2
              ORDER BY e.sequence"
        ))
        .bind(aggregate_type.to_string())
        .bind(aggregate_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(postgres_event).collect()
    }

    async fn has_unsettled_after(&self, after: LogPosition) -> Result<bool, LogError> {
        // Only the newest event need be looked at: if any event after `after` is unsettled,
        // so is the newest (its tx is at least as high). Asked directly, "any such event?"
        // made the planner scan the whole table, thinking a match would turn up early.
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1
                              FROM (SELECT tx, position FROM events
                                     ORDER BY tx DESC, position DESC LIMIT 1) newest
                             WHERE (newest.tx, newest.position) > ($1::text::xid8, $2)
                               AND newest.tx >= pg_snapshot_xmin(pg_current_snapshot()))",
        )
        .bind(after.tx.to_string())
        .bind(after.position)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn locate(&self, position: i64) -> Result<Option<LogPosition>, LogError> {
        let tx: Option<String> =
            sqlx::query_scalar("SELECT tx::text FROM events WHERE position = $1")
                .bind(position)
                .fetch_optional(&self.pool)
                .await?;
        Ok(tx.map(|tx| position_of(&tx, position)))
    }

    async fn events_of_command(&self, command_id: Uuid) -> Result<Vec<LoggedEvent>, LogError> {
        // Sorted here, not by the query: with an ORDER BY the planner may prefer walking the
        // position index over the (command_id, index) index, a scan that grows with the log.
        let rows = sqlx::query(&format!(
            "SELECT {POSTGRES_COLUMNS} FROM events e WHERE e.metadata ->> 'command_id' = $1"
        ))
        .bind(command_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        let mut events = rows
            .iter()
            .map(postgres_event)
            .collect::<Result<Vec<_>, _>>()?;
        events.sort_by_key(|e| e.position);
        Ok(events)
    }

    async fn head(&self) -> Result<LogPosition, LogError> {
        let row: Option<(String, i64)> = sqlx::query_as(
            "SELECT e.tx::text, e.position FROM events e ORDER BY e.tx DESC, e.position DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row
            .map(|(tx, position)| position_of(&tx, position))
            .unwrap_or(LogPosition::START))
    }

    fn wake(&self) -> &Wake {
        &self.wake
    }
}

pub struct SqliteLog {
    pub(crate) pool: SqlitePool,
    pub(crate) wake: Wake,
}

/// The columns [`sqlite_event`] reads.
const SQLITE_COLUMNS: &str = "rowid AS position, event_id, aggregate_type, aggregate_id, sequence,
    event_type, event_version, payload, metadata";

fn sqlite_event(row: &sqlx::sqlite::SqliteRow) -> Result<LoggedEvent, LogError> {
    let position: i64 = row.get("position");
    let (payload, metadata) = json_columns(position, row.get("payload"), row.get("metadata"))?;
    Ok(LoggedEvent {
        position: sqlite_position(position),
        event_id: uuid_of(row.get("event_id")),
        aggregate_type: row.get("aggregate_type"),
        aggregate_id: row.get("aggregate_id"),
        sequence: row.get("sequence"),
        event_type: row.get("event_type"),
        event_version: row.get("event_version"),
        payload,
        metadata,
    })
}

fn sqlite_position(position: i64) -> LogPosition {
    LogPosition { tx: 0, position }
}

#[async_trait]
impl EventLog for SqliteLog {
    async fn read_after(
        &self,
        after: LogPosition,
        limit: i64,
    ) -> Result<Vec<LoggedEvent>, LogError> {
        let rows = sqlx::query(&format!(
            "SELECT {SQLITE_COLUMNS} FROM events WHERE rowid > $1 ORDER BY rowid LIMIT $2"
        ))
        .bind(after.position)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(sqlite_event).collect()
    }

    async fn events_of(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Vec<LoggedEvent>, LogError> {
        let rows = sqlx::query(&format!(
            "SELECT {SQLITE_COLUMNS} FROM events
              WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY sequence"
        ))
        .bind(aggregate_type.to_string())
        .bind(aggregate_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(sqlite_event).collect()
    }

    async fn has_unsettled_after(&self, _after: LogPosition) -> Result<bool, LogError> {
        Ok(false)
    }

    async fn locate(&self, position: i64) -> Result<Option<LogPosition>, LogError> {
        let found: Option<i64> = sqlx::query_scalar("SELECT rowid FROM events WHERE rowid = $1")
            .bind(position)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.map(sqlite_position))
    }

    async fn events_of_command(&self, command_id: Uuid) -> Result<Vec<LoggedEvent>, LogError> {
        let rows = sqlx::query(&format!(
            "SELECT {SQLITE_COLUMNS} FROM events
              WHERE json_extract(metadata, '$.command_id') = $1 ORDER BY rowid"
        ))
        .bind(command_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(sqlite_event).collect()
    }

    async fn head(&self) -> Result<LogPosition, LogError> {
        let last: Option<i64> = sqlx::query_scalar("SELECT max(rowid) FROM events")
            .fetch_one(&self.pool)
            .await?;
        Ok(last.map(sqlite_position).unwrap_or(LogPosition::START))
    }

    fn wake(&self) -> &Wake {
        &self.wake
    }
}
