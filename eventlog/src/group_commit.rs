//! Group commit on PostgreSQL: commands appending at the same moment share one `INSERT`.
//!
//! A few writer tasks take appends from a queue. A writer that finds several waiting writes
//! them all in one statement — one transaction, one WAL flush — and tells each command where
//! its events landed. An idle writer takes the next append at once, so a lone command waits
//! for nobody. If the shared statement fails (one of the commands lost a race for its
//! sequence or command id, say), each append is written on its own, so a command's result
//! never depends on another's.

use crate::log::{position_of, LogPosition};
use crate::repository::NewEvent;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot, Mutex};

/// Writers running at once. With four, concurrent appends seldom queued (1.2 events per
/// statement under closed-loop load) and nothing was gained; with one, 2 events per statement,
/// but a command could wait behind another's flush. Two measured best (docs/performance.md).
const WRITERS: usize = 2;

/// Events written by one statement at most.
const GROUP_EVENTS: usize = 256;

struct Append {
    events: Vec<NewEvent>,
    done: oneshot::Sender<Result<LogPosition, sqlx::Error>>,
}

pub struct GroupCommit {
    pool: PgPool,
    /// The writers' queue, started by the first append: that runs on the runtime, whereas
    /// the repository may be made outside one.
    queue: OnceLock<mpsc::Sender<Append>>,
}

impl GroupCommit {
    pub(crate) fn new(pool: PgPool) -> Self {
        Self {
            pool,
            queue: OnceLock::new(),
        }
    }

    fn queue(&self) -> &mpsc::Sender<Append> {
        self.queue.get_or_init(|| {
            let (queue, appends) = mpsc::channel(1024);
            let appends = Arc::new(Mutex::new(appends));
            for _ in 0..WRITERS {
                tokio::spawn(write(self.pool.clone(), appends.clone()));
            }
            queue
        })
    }

    /// Appends one command's events atomically; the position of the last.
    pub(crate) async fn append(&self, events: Vec<NewEvent>) -> Result<LogPosition, sqlx::Error> {
        let (done, written) = oneshot::channel();
        let append = Append { events, done };
        self.queue()
            .send(append)
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        written.await.map_err(|_| sqlx::Error::PoolClosed)?
    }
}

async fn write(pool: PgPool, appends: Arc<Mutex<mpsc::Receiver<Append>>>) {
    loop {
        let group = {
            let mut appends = appends.lock().await;
            let Some(first) = appends.recv().await else {
                return;
            };
            let mut events = first.events.len();
            let mut group = vec![first];
            while events < GROUP_EVENTS {
                let Ok(next) = appends.try_recv() else { break };
                events += next.events.len();
                group.push(next);
            }
            group
        };
        commit(&pool, group).await;
    }
}

async fn commit(pool: &PgPool, group: Vec<Append>) {
    if group.len() > 1 {
        let events: Vec<&NewEvent> = group.iter().flat_map(|a| &a.events).collect();
        match insert(pool, &events).await {
            Ok(rows) => {
                let landed: HashMap<(&str, &str, i64), LogPosition> =
                    rows.iter().map(|row| (row.key(), row.position)).collect();
                for append in group {
                    let last = append
                        .events
                        .iter()
                        .filter_map(|e| {
                            landed.get(&(&e.aggregate_type, &e.aggregate_id, e.sequence))
                        })
                        .max()
                        .copied()
                        .unwrap_or_default();
                    let _ = append.done.send(Ok(last));
                }
                return;
            }
            // The database is away: each would fail alike, one after another.
            Err(error) if crate::is_unreachable(&error) => {
                for append in group {
                    let cause = std::io::Error::other(error.to_string());
                    let _ = append.done.send(Err(sqlx::Error::Io(cause)));
                }
                return;
            }
            Err(_) => {}
        }
    }
    for append in group {
        let events: Vec<&NewEvent> = append.events.iter().collect();
        let written = insert(pool, &events).await.map(|rows| {
            rows.into_iter()
                .map(|r| r.position)
                .max()
                .unwrap_or_default()
        });
        let _ = append.done.send(written);
    }
}

/// Where an event landed, and what identifies it: its aggregate and sequence.
struct Written {
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    position: LogPosition,
}

impl Written {
    fn key(&self) -> (&str, &str, i64) {
        (&self.aggregate_type, &self.aggregate_id, self.sequence)
    }
}

/// One statement (so one transaction) writing every event, and where each landed. A taken
/// sequence or command id fails it as a unique violation.
async fn insert(pool: &PgPool, events: &[&NewEvent]) -> Result<Vec<Written>, sqlx::Error> {
    let column = |f: fn(&NewEvent) -> &str| events.iter().map(|e| f(e)).collect::<Vec<_>>();
    let rows: Vec<(String, String, i64, String, i64)> = sqlx::query_as(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                             payload, metadata)
         SELECT t, a, s, e, v, p::jsonb, m::jsonb
           FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[],
                       $6::text[], $7::text[]) AS u (t, a, s, e, v, p, m)
         RETURNING aggregate_type, aggregate_id, sequence, tx::text, position",
    )
    .bind(column(|e| &e.aggregate_type))
    .bind(column(|e| &e.aggregate_id))
    .bind(events.iter().map(|e| e.sequence).collect::<Vec<_>>())
    .bind(column(|e| &e.event_type))
    .bind(column(|e| &e.event_version))
    .bind(column(|e| &e.payload))
    .bind(column(|e| &e.metadata))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(aggregate_type, aggregate_id, sequence, tx, position)| Written {
                aggregate_type,
                aggregate_id,
                sequence,
                position: position_of(&tx, position),
            },
        )
        .collect())
}
