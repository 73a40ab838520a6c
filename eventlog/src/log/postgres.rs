//! The log on PostgreSQL: read in `(tx, position)` order below the oldest running
//! transaction's horizon.

use super::*;

/// The columns [`postgres_event`] reads, from `events e`. xid8 has no integer type in sqlx, so
/// `tx` travels as text, and so do the JSON columns (see [`LoggedEvent::payload`]).
const POSTGRES_COLUMNS: &str = "e.position, e.tx::text AS tx_text, e.event_id::text AS event_id,
    e.aggregate_type, e.aggregate_id, e.sequence, e.event_type, e.event_version,
    e.payload::text AS payload, e.metadata::text AS metadata,
    k.kek_id::bigint AS kek_id, k.wrapped_key";

fn postgres_event(row: &sqlx::postgres::PgRow, keys: &mut Keys) -> Result<LoggedEvent, LogError> {
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
        position: position_of(row.get("tx_text"), position),
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

pub struct PostgresLog {
    pub(crate) pool: PgPool,
    pub(crate) wake: Wake,
    pub(crate) keyring: Arc<Keyring>,
}

impl PostgresLog {
    fn events(&self, rows: &[sqlx::postgres::PgRow]) -> Result<Vec<LoggedEvent>, LogError> {
        let mut keys = Keys::new(&self.keyring);
        rows.iter()
            .map(|row| postgres_event(row, &mut keys))
            .collect()
    }
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
            "SELECT {POSTGRES_COLUMNS} FROM {EVENTS_WITH_KEYS}
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
        self.events(&rows)
    }

    async fn events_of(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Vec<LoggedEvent>, LogError> {
        let rows = sqlx::query(&format!(
            "SELECT {POSTGRES_COLUMNS} FROM {EVENTS_WITH_KEYS}
              WHERE e.aggregate_type = $1 AND e.aggregate_id = $2
              ORDER BY e.sequence"
        ))
        .bind(aggregate_type.to_string())
        .bind(aggregate_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        self.events(&rows)
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
            "SELECT {POSTGRES_COLUMNS} FROM {EVENTS_WITH_KEYS} WHERE e.metadata ->> 'command_id' = $1"
        ))
        .bind(command_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        let mut events = self.events(&rows)?;
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
