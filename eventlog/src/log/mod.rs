//! Reading the log in commit order: [`EventLog`] over both backends, and [`Tail`], which
//! follows it live.
//!
//! PostgreSQL assigns `position` at insert, but concurrent transactions commit in another
//! order: a reader that has seen position 11 may later find 10 committed. So readers tail by
//! `(tx, position)`, and only read rows written by transactions older than every transaction
//! still running (`tx < pg_snapshot_xmin(pg_current_snapshot())`): no transaction can
//! commit below that horizon any more. SQLite has one writer at a time, so its rowid is
//! already commit order and every visible row is settled.

use crate::keys::{DataKey, KeyError, Keyring};
use crate::wake::Wake;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use sqlx::{PgPool, Row, SqlitePool};
use std::collections::HashMap;
use std::sync::Arc;
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
    /// The aggregate's data key, read with the event, if it still has one: what its personal
    /// values decrypt with (see [`crate::codec`]). `None` once it is erased.
    pub key: Option<Arc<DataKey>>,
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
    #[error(transparent)]
    Key(#[from] KeyError),
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

/// The events table joined with the data keys, for the columns [`Keys`] reads (`k.`).
const EVENTS_WITH_KEYS: &str = "events e LEFT JOIN subject_keys k
    ON k.aggregate_type = e.aggregate_type AND k.aggregate_id = e.aggregate_id";

/// Unwraps the data keys read with a page of events, once per aggregate.
pub(crate) struct Keys<'a> {
    keyring: &'a Keyring,
    unwrapped: HashMap<(String, String), Arc<DataKey>>,
}

impl<'a> Keys<'a> {
    pub(crate) fn new(keyring: &'a Keyring) -> Self {
        Self {
            keyring,
            unwrapped: HashMap::new(),
        }
    }

    fn key(
        &mut self,
        aggregate_type: &str,
        aggregate_id: &str,
        wrapped: Option<(i64, Vec<u8>)>,
    ) -> Result<Option<Arc<DataKey>>, LogError> {
        let Some((kek_id, wrapped)) = wrapped else {
            return Ok(None);
        };
        let subject = (aggregate_type.to_string(), aggregate_id.to_string());
        if let Some(key) = self.unwrapped.get(&subject) {
            return Ok(Some(key.clone()));
        }
        let kek_id = u32::try_from(kek_id).unwrap_or_default();
        let key = Arc::new(
            self.keyring
                .unwrap(aggregate_type, aggregate_id, kek_id, &wrapped)?,
        );
        self.unwrapped.insert(subject, key.clone());
        Ok(Some(key))
    }
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

mod postgres;
mod sqlite;

pub use postgres::PostgresLog;
pub use sqlite::SqliteLog;
