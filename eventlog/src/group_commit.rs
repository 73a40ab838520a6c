//! Group commit: commands appending at the same moment share one transaction, so one flush
//! to disk.
//!
//! Writer tasks take appends from a queue. A writer that finds several waiting writes them
//! together and tells each command where its events landed. An idle writer takes the next
//! append at once, so a lone command waits for nobody. On PostgreSQL the group is one
//! `INSERT`; if it fails (one of the commands lost a race for its sequence or command id, say),
//! each append is written on its own. On SQLite, which takes one writer at a time, one writer
//! writes the group in one transaction with each append in a savepoint of its own, so one that
//! fails is undone alone. Either way a command's result never depends on another's.

use crate::log::{position_of, LogPosition};
use sqlx::{Connection, PgPool, SqliteConnection, SqlitePool};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot, Mutex};

/// An event ready to append, its payload and metadata already written out as JSON: a
/// `serde_json::Value` would be cloned on the way to the writer and serialised again there.
#[derive(Debug)]
pub struct NewEvent {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: String,
    pub metadata: String,
    /// Appending it erases its aggregate: the aggregate's data key and look-up hashes are
    /// deleted, and the aggregate fenced, in the same transaction.
    pub erases_subject: bool,
    /// Keyed hashes of identifiers in it (see [`crate::Keyring::lookup_hash`]), recorded in
    /// the same transaction.
    pub lookups: Vec<Vec<u8>>,
}

/// PostgreSQL writers running at once. With four, concurrent appends seldom queued (1.2
/// events per statement under closed-loop load) and nothing was gained; with one, 2 events
/// per statement, but a command could wait behind another's flush. Two measured best
/// (docs/performance.md). SQLite has one: it lets one transaction write at a time anyway.
const POSTGRES_WRITERS: usize = 2;

/// Events written by one statement at most.
const GROUP_EVENTS: usize = 256;

struct Append {
    events: Vec<NewEvent>,
    done: oneshot::Sender<Result<LogPosition, sqlx::Error>>,
}

#[derive(Clone)]
enum Target {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

pub struct GroupCommit {
    target: Target,
    /// The writers' queue, started by the first append: that runs on the runtime, whereas
    /// the repository may be made outside one.
    queue: OnceLock<mpsc::Sender<Append>>,
}

impl GroupCommit {
    pub(crate) fn postgres(pool: PgPool) -> Self {
        Self::new(Target::Postgres(pool))
    }

    pub(crate) fn sqlite(pool: SqlitePool) -> Self {
        Self::new(Target::Sqlite(pool))
    }

    fn new(target: Target) -> Self {
        Self {
            target,
            queue: OnceLock::new(),
        }
    }

    fn queue(&self) -> &mpsc::Sender<Append> {
        self.queue.get_or_init(|| {
            let (queue, appends) = mpsc::channel(1024);
            let appends = Arc::new(Mutex::new(appends));
            let writers = match self.target {
                Target::Postgres(_) => POSTGRES_WRITERS,
                Target::Sqlite(_) => 1,
            };
            for _ in 0..writers {
                tokio::spawn(write(self.target.clone(), appends.clone()));
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

async fn write(target: Target, appends: Arc<Mutex<mpsc::Receiver<Append>>>) {
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
        match &target {
            Target::Postgres(pool) => commit_postgres(pool, group).await,
            Target::Sqlite(pool) => commit_sqlite(pool, group).await,
        }
    }
}

/// Tells every command of a group that failed as a whole why: the database is away or busy,
/// and each would have failed alike.
fn fail_all(group: Vec<Append>, error: &sqlx::Error) {
    for append in group {
        let cause = std::io::Error::other(error.to_string());
        let _ = append.done.send(Err(sqlx::Error::Io(cause)));
    }
}

async fn commit_postgres(pool: &PgPool, group: Vec<Append>) {
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
            Err(error) if crate::is_unreachable(&error) => return fail_all(group, &error),
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

/// The insert of a group's events, returning where each landed.
macro_rules! insert_events {
    () => {
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                             payload, metadata)
         SELECT t, a, s, e, v, p::jsonb, m::jsonb
           FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[],
                       $6::text[], $7::text[]) AS u (t, a, s, e, v, p, m)
         RETURNING aggregate_type, aggregate_id, sequence, tx::text, position"
    };
}

/// Events and nothing else: what nearly every group is (messages, assignments, presence).
const INSERT_EVENTS: &str = insert_events!();

/// Events with the key deletions and fences of those that erase their aggregate, and the
/// look-up hashes of those that name a person.
const INSERT_EVENTS_WITH_KEYS: &str = concat!(
    "WITH written AS (",
    insert_events!(),
    "),
     erasing AS (SELECT * FROM UNNEST($8::text[], $9::text[]) AS x (t, a)),
     forgotten AS (
         DELETE FROM subject_keys k USING erasing
          WHERE k.aggregate_type = erasing.t AND k.aggregate_id = erasing.a),
     unfindable AS (
         DELETE FROM subject_lookup l USING erasing
          WHERE l.aggregate_type = erasing.t AND l.aggregate_id = erasing.a),
     fenced AS (
         INSERT INTO erased_subjects (aggregate_type, aggregate_id)
         SELECT t, a FROM erasing ON CONFLICT DO NOTHING),
     findable AS (
         INSERT INTO subject_lookup (hash, aggregate_type, aggregate_id)
         SELECT h, t, a FROM UNNEST($10::bytea[], $11::text[], $12::text[]) AS l (h, t, a)
         ON CONFLICT DO NOTHING)
     SELECT aggregate_type, aggregate_id, sequence, tx, position FROM written"
);

/// One statement (so one transaction) writing every event, with the key deletions and look-up
/// hashes they bring, and where each event landed. A taken sequence or command id fails it
/// as a unique violation, and then none of it is written. A group that erases nothing and
/// names no one is the plain insert: the key tables cost it nothing.
async fn insert(pool: &PgPool, events: &[&NewEvent]) -> Result<Vec<Written>, sqlx::Error> {
    let column = |f: fn(&NewEvent) -> &str| events.iter().map(|e| f(e)).collect::<Vec<_>>();
    let erasing = events.iter().filter(|e| e.erases_subject);
    let (erasing_types, erasing_ids): (Vec<&str>, Vec<&str>) = erasing
        .map(|e| (e.aggregate_type.as_str(), e.aggregate_id.as_str()))
        .unzip();
    let lookups = events
        .iter()
        .flat_map(|e| e.lookups.iter().map(move |hash| (*e, hash)));
    let (lookup_events, lookup_hashes): (Vec<&NewEvent>, Vec<&Vec<u8>>) = lookups.unzip();
    let plain = erasing_types.is_empty() && lookup_hashes.is_empty();
    let statement = if plain {
        INSERT_EVENTS
    } else {
        INSERT_EVENTS_WITH_KEYS
    };
    let mut query = sqlx::query_as::<_, (String, String, i64, String, i64)>(statement)
        .bind(column(|e| &e.aggregate_type))
        .bind(column(|e| &e.aggregate_id))
        .bind(events.iter().map(|e| e.sequence).collect::<Vec<_>>())
        .bind(column(|e| &e.event_type))
        .bind(column(|e| &e.event_version))
        .bind(column(|e| &e.payload))
        .bind(column(|e| &e.metadata));
    if !plain {
        query = query
            .bind(erasing_types)
            .bind(erasing_ids)
            .bind(lookup_hashes)
            .bind(
                lookup_events
                    .iter()
                    .map(|e| e.aggregate_type.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(
                lookup_events
                    .iter()
                    .map(|e| e.aggregate_id.as_str())
                    .collect::<Vec<_>>(),
            );
    }
    let rows = query.fetch_all(pool).await?;
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

async fn commit_sqlite(pool: &SqlitePool, mut group: Vec<Append>) {
    // A lone append needs no savepoint, and its own error is what its command should see.
    if group.len() == 1 {
        if let Some(append) = group.pop() {
            let written = async {
                let mut tx = pool.begin().await?;
                let position = insert_sqlite(&mut tx, &append.events).await?;
                tx.commit().await?;
                Ok(position)
            };
            let _ = append.done.send(written.await);
        }
        return;
    }
    match write_sqlite_group(pool, &group).await {
        Ok(results) => {
            for (append, result) in group.into_iter().zip(results) {
                let _ = append.done.send(result);
            }
        }
        Err(error) => fail_all(group, &error),
    }
}

/// One transaction for the group, a savepoint for each append; each append's own result.
async fn write_sqlite_group(
    pool: &SqlitePool,
    group: &[Append],
) -> Result<Vec<Result<LogPosition, sqlx::Error>>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let mut results = Vec::with_capacity(group.len());
    for append in group {
        let mut savepoint = Connection::begin(&mut *tx).await?;
        match insert_sqlite(&mut savepoint, &append.events).await {
            Ok(position) => {
                savepoint.commit().await?;
                results.push(Ok(position));
            }
            Err(error) => {
                savepoint.rollback().await?;
                results.push(Err(error));
            }
        }
    }
    tx.commit().await?;
    Ok(results)
}

/// Inserts one append's events; the position (rowid) of the last.
async fn insert_sqlite(
    conn: &mut SqliteConnection,
    events: &[NewEvent],
) -> Result<LogPosition, sqlx::Error> {
    let mut last = LogPosition::START;
    for event in events {
        let position: i64 = sqlx::query_scalar(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type,
                                 event_version, payload, metadata)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING rowid",
        )
        .bind(&event.aggregate_type)
        .bind(&event.aggregate_id)
        .bind(event.sequence)
        .bind(&event.event_type)
        .bind(&event.event_version)
        .bind(&event.payload)
        .bind(&event.metadata)
        .fetch_one(&mut *conn)
        .await?;
        last = LogPosition { tx: 0, position };
        if event.erases_subject {
            erase_sqlite(conn, event).await?;
        }
        for hash in &event.lookups {
            sqlx::query(
                "INSERT INTO subject_lookup (hash, aggregate_type, aggregate_id)
                 VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(hash)
            .bind(&event.aggregate_type)
            .bind(&event.aggregate_id)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(last)
}

/// Deletes the key and look-up hashes of the aggregate `event` erases, and fences it.
async fn erase_sqlite(conn: &mut SqliteConnection, event: &NewEvent) -> Result<(), sqlx::Error> {
    for statement in [
        "DELETE FROM subject_keys WHERE aggregate_type = $1 AND aggregate_id = $2",
        "DELETE FROM subject_lookup WHERE aggregate_type = $1 AND aggregate_id = $2",
        "INSERT INTO erased_subjects (aggregate_type, aggregate_id) VALUES ($1, $2)
         ON CONFLICT DO NOTHING",
    ] {
        sqlx::query(statement)
            .bind(&event.aggregate_type)
            .bind(&event.aggregate_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
