//! The log on SQLite: one writer at a time, so the rowid is commit order.

use super::*;

pub struct SqliteLog {
    pub(crate) pool: SqlitePool,
    pub(crate) wake: Wake,
    pub(crate) keyring: Arc<Keyring>,
}

impl SqliteLog {
    fn events(&self, rows: &[sqlx::sqlite::SqliteRow]) -> Result<Vec<LoggedEvent>, LogError> {
        let mut keys = Keys::new(&self.keyring);
        rows.iter()
            .map(|row| sqlite_event(row, &mut keys))
            .collect()
    }
}

/// The columns [`sqlite_event`] reads.
const SQLITE_COLUMNS: &str = "e.rowid AS position, e.event_id, e.aggregate_type, e.aggregate_id,
    e.sequence, e.event_type, e.event_version, e.payload, e.metadata, k.kek_id, k.wrapped_key";

fn sqlite_event(row: &sqlx::sqlite::SqliteRow, keys: &mut Keys) -> Result<LoggedEvent, LogError> {
    let position: i64 = row.get("position");
    let (payload, metadata) = json_columns(position, row.get("payload"), row.get("metadata"))?;
    let aggregate_type: String = row.get("aggregate_type");
    let aggregate_id: String = row.get("aggregate_id");
    let wrapped: Option<i64> = row.get("kek_id");
    let key = keys.key(
        &aggregate_type,
        &aggregate_id,
        wrapped.map(|kek| (kek, row.get("wrapped_key"))),
    )?;
    Ok(LoggedEvent {
        position: sqlite_position(position),
        event_id: uuid_of(row.get("event_id")),
        aggregate_type,
        aggregate_id,
        sequence: row.get("sequence"),
        event_type: row.get("event_type"),
        event_version: row.get("event_version"),
        payload,
        metadata,
        key,
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
            "SELECT {SQLITE_COLUMNS} FROM {EVENTS_WITH_KEYS}
              WHERE e.rowid > $1 ORDER BY e.rowid LIMIT $2"
        ))
        .bind(after.position)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        self.events(&rows)
    }

    async fn events_of(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Vec<LoggedEvent>, LogError> {
        let rows = sqlx::query(&format!(
            "SELECT {SQLITE_COLUMNS} FROM {EVENTS_WITH_KEYS}
              WHERE e.aggregate_type = $1 AND e.aggregate_id = $2 ORDER BY e.sequence"
        ))
        .bind(aggregate_type.to_string())
        .bind(aggregate_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        self.events(&rows)
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
            "SELECT {SQLITE_COLUMNS} FROM {EVENTS_WITH_KEYS}
              WHERE json_extract(e.metadata, '$.command_id') = $1 ORDER BY e.rowid"
        ))
        .bind(command_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        self.events(&rows)
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
