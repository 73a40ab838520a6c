//! Tamper evidence: every event is sealed with a SHA-256 hash chained over the previous
//! event's seal, in log order. `verify` walks the log, recomputes the chain and reports the
//! first event whose content no longer matches its seal, or that is missing.
//!
//! The seals are folded like a projection (exactly once, checkpoint in the same transaction)
//! but are never rebuilt: rebuilding them from an altered log would launder the alteration.
//! Printing or exporting the head seal now and then anchors the chain outside the database.

use crate::bulk;
use crate::event::SamtaleEvent;
use crate::projection::{Projection, ProjectionError};
use crate::schema::{Generation, Table};
use async_trait::async_trait;
use samtale_eventlog::{EventLog, LogError, LogPosition, LoggedEvent};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, AnyPool};

pub struct Seals;

const TABLES: &[Table] = &[Table {
    name: "event_seals",
    columns: "position bigint PRIMARY KEY, hash text NOT NULL",
    indexes: &[],
}];

/// The seal of `event` given the seal before it (empty for the first event).
pub fn seal(previous: &str, event: &LoggedEvent) -> Result<String, LogError> {
    let mut metadata: Vec<_> = event.metadata.iter().collect();
    metadata.sort();
    let mut hasher = Sha256::new();
    for part in [
        previous.to_string(),
        event.position.position.to_string(),
        event.event_id.to_string(),
        event.aggregate_type.clone(),
        event.aggregate_id.clone(),
        event.sequence.to_string(),
        event.event_type.clone(),
        event.event_version.clone(),
        event.payload_value()?.to_string(),
        format!("{metadata:?}"),
    ] {
        hasher.update(part.len().to_le_bytes());
        hasher.update(part.as_bytes());
    }
    Ok(hex::encode(hasher.finalize()))
}

async fn last_seal(conn: &mut AnyConnection, table: &str) -> Result<String, sqlx::Error> {
    let last: Option<String> = sqlx::query_scalar(&format!(
        "SELECT hash FROM {table} WHERE position = (SELECT max(position) FROM {table})"
    ))
    .fetch_optional(&mut *conn)
    .await?;
    Ok(last.unwrap_or_default())
}

#[async_trait]
impl Projection for Seals {
    fn name(&self) -> &'static str {
        "seals"
    }

    fn version(&self) -> i64 {
        1
    }

    fn tables(&self) -> &'static [Table] {
        TABLES
    }

    fn rebuildable(&self) -> bool {
        false
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        g: Generation,
        event: &SamtaleEvent,
    ) -> Result<(), ProjectionError> {
        self.apply_batch(conn, g, std::slice::from_ref(event)).await
    }

    async fn apply_batch(
        &self,
        conn: &mut AnyConnection,
        g: Generation,
        events: &[SamtaleEvent],
    ) -> Result<(), ProjectionError> {
        let table = g.table("event_seals");
        let mut previous = last_seal(conn, &table).await?;
        let mut rows = Vec::with_capacity(events.len());
        for event in events {
            previous = seal(&previous, &event.logged)?;
            rows.push(vec![
                event.position.position.into(),
                previous.clone().into(),
            ]);
        }
        bulk::insert(conn, &table, &["position", "hash"], &rows, "").await?;
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Every event matches its seal; the head seal anchors the chain.
    Intact { events: u64, head: String },
    /// The event at this position differs from what was sealed.
    Altered { position: i64 },
    /// A sealed event is no longer in the log.
    Missing { position: i64 },
}

/// Recomputes the chain over the whole log and compares it with the stored seals. Events not
/// sealed yet (the sealer lags by a moment) are not judged.
pub async fn verify(log: &dyn EventLog, db: &AnyPool) -> Result<Verdict, ProjectionError> {
    let mut stored: Vec<(i64, String)> =
        sqlx::query_as("SELECT position, hash FROM event_seals ORDER BY position")
            .fetch_all(db)
            .await?;
    stored.reverse();
    let mut previous = String::new();
    let mut after = LogPosition::START;
    let mut events = 0;
    loop {
        let batch = log.read_after(after, 5000).await?;
        let Some(last) = batch.last() else { break };
        after = last.position;
        for event in &batch {
            let Some((position, hash)) = stored.last().cloned() else {
                return Ok(Verdict::Intact {
                    events,
                    head: previous,
                });
            };
            if position < event.position.position {
                return Ok(Verdict::Missing { position });
            }
            if position > event.position.position {
                // An event without a seal: only possible if rows were inserted behind the log.
                return Ok(Verdict::Altered {
                    position: event.position.position,
                });
            }
            previous = seal(&previous, event)?;
            if previous != hash {
                return Ok(Verdict::Altered { position });
            }
            stored.pop();
            events += 1;
        }
    }
    match stored.last() {
        Some((position, _)) => Ok(Verdict::Missing {
            position: *position,
        }),
        None => Ok(Verdict::Intact {
            events,
            head: previous,
        }),
    }
}

/// The seals recomputed over a copy of the log that replaces it (`samtale log encrypt`), in
/// the copy's transaction: the copy's stored bytes differ from the old log's, so its old seals
/// would all read as altered. This is the one place seals are written anew rather than
/// appended, and it is run only after the old log was verified intact against them.
#[derive(Default)]
pub struct Reseal {
    /// The seals' table and the last seal computed so far.
    chain: std::sync::Mutex<Option<(String, String)>>,
}

#[async_trait]
impl samtale_eventlog::CopyObserver for Reseal {
    async fn begin(&self, conn: &mut AnyConnection) -> Result<(), LogError> {
        let generation: Option<i64> =
            sqlx::query_scalar("SELECT generation FROM projection_checkpoints WHERE name = $1")
                .bind(Seals.name())
                .fetch_optional(&mut *conn)
                .await?;
        // Never installed: the sealer seals the copy from the start when it first runs.
        let Some(generation) = generation else {
            return Ok(());
        };
        let table = Generation(generation).table("event_seals");
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *conn)
            .await?;
        if let Ok(mut chain) = self.chain.lock() {
            *chain = Some((table, String::new()));
        }
        Ok(())
    }

    async fn copied(
        &self,
        conn: &mut AnyConnection,
        events: &[LoggedEvent],
    ) -> Result<(), LogError> {
        let Some((table, mut previous)) = self.chain.lock().ok().and_then(|c| c.clone()) else {
            return Ok(());
        };
        let mut rows = Vec::with_capacity(events.len());
        for event in events {
            previous = seal(&previous, event)?;
            rows.push(vec![
                event.position.position.into(),
                previous.clone().into(),
            ]);
        }
        bulk::insert(conn, &table, &["position", "hash"], &rows, "").await?;
        // Every copied event is sealed now, whatever the sealer had reached.
        if let Some(last) = events.last() {
            sqlx::query("UPDATE projection_checkpoints SET tx = $1, position = $2 WHERE name = $3")
                .bind(last.position.tx)
                .bind(last.position.position)
                .bind(Seals.name())
                .execute(&mut *conn)
                .await?;
        }
        if let Ok(mut chain) = self.chain.lock() {
            *chain = Some((table, previous));
        }
        Ok(())
    }
}
