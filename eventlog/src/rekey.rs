//! Changing what protects the personal data, with every node stopped: rotating the key
//! file's key-encryption key ([`rotate_keys`]), and bringing a log written in plaintext by an
//! older version under erasure ([`encrypt_log`]).
//!
//! Both are ordered so that a crash at any point leaves a database and a key file that still
//! open together: the key file only ever gains keys before the database depends on them, and
//! loses them only after the database no longer does.

use crate::codec::{self, EventIdentity};
use crate::database::{Backend, Database};
use crate::keys::{KeyError, Keyring};
use crate::log::{position_of, LogError, LoggedEvent};
use crate::vault::{key_made_if_new, record_checks, VaultError};
use async_trait::async_trait;
use cqrs_es::{Aggregate, DomainEvent};
use samtale_domain::personal::Subject;
use serde_json::value::RawValue;
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use thiserror::Error;
use uuid::Uuid;

#[derive(Debug, Error)]
pub enum RekeyError {
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Log(#[from] LogError),
    #[error("{remaining} data keys were wrapped by an older key-encryption key during the rotation (was a node running?): nothing was changed in the database, and the key file holds the old keys and the new one. Stop every node and run `samtale keys rotate` again")]
    WrappedDuringRotation { remaining: i64 },
    #[error("this database's event log is already encrypted (its key checks are recorded): there is nothing to encrypt")]
    AlreadyEncrypted,
    #[error("the encrypted copy holds {copied} events but the log {stored}: nothing was replaced")]
    CopyIncomplete { copied: i64, stored: i64 },
}

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The key-encryption key that wraps every data key now.
    pub kek_id: u32,
    pub rewrapped: u64,
}

/// Rotates the key-encryption key of the key file at `key_file`, which `db` was opened with:
/// a new one is added, every data key is rewrapped by it, and the old ones are dropped.
///
/// Each step leaves a key file holding every key whose check the database records (what
/// [`Database::connect`] requires), so a crash between any two is harmless, and running the
/// rotation again completes it:
/// 1. the key file gains the new key (written atomically);
/// 2. the database records the new key's check;
/// 3. one transaction rewraps every data key with the new key and deletes the old keys'
///    checks;
/// 4. the key file is written without the old keys.
pub async fn rotate_keys(db: &Database, key_file: &Path) -> Result<Rotation, RekeyError> {
    let rotated = db.keyring().rotated();
    let current = rotated.current_id();
    rotated.write(key_file)?;
    record_checks(&mut *db.any().acquire().await?, &rotated).await?;

    let mut tx = db.any().begin().await?;
    if db.backend() == Backend::Postgres {
        // A node left running must not wrap a new data key with an old key meanwhile.
        sqlx::query("LOCK TABLE subject_keys IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
    }
    // A write first: on SQLite it takes the write lock before anything is read.
    for id in rotated.kek_ids().filter(|id| *id != current) {
        sqlx::query("DELETE FROM key_checks WHERE name = $1")
            .bind(format!("kek {id}"))
            .execute(&mut *tx)
            .await?;
    }
    let wrapped_by_old: Vec<(String, String, i64, Vec<u8>)> = sqlx::query_as(
        "SELECT aggregate_type, aggregate_id, kek_id, wrapped_key FROM subject_keys
          WHERE kek_id <> $1",
    )
    .bind(i64::from(current))
    .fetch_all(&mut *tx)
    .await?;
    for (aggregate_type, aggregate_id, kek_id, wrapped) in &wrapped_by_old {
        let kek_id = u32::try_from(*kek_id).unwrap_or_default();
        let key = rotated.unwrap(aggregate_type, aggregate_id, kek_id, wrapped)?;
        let (kek_id, wrapped) = rotated.wrap(aggregate_type, aggregate_id, &key);
        sqlx::query(
            "UPDATE subject_keys SET kek_id = $3, wrapped_key = $4
              WHERE aggregate_type = $1 AND aggregate_id = $2",
        )
        .bind(aggregate_type)
        .bind(aggregate_id)
        .bind(i64::from(kek_id))
        .bind(wrapped)
        .execute(&mut *tx)
        .await?;
    }
    let remaining: i64 = sqlx::query_scalar("SELECT count(*) FROM subject_keys WHERE kek_id <> $1")
        .bind(i64::from(current))
        .fetch_one(&mut *tx)
        .await?;
    if remaining > 0 {
        return Err(RekeyError::WrappedDuringRotation { remaining });
    }
    tx.commit().await?;

    rotated.without_old_keys().write(key_file)?;
    Ok(Rotation {
        kek_id: current,
        rewrapped: wrapped_by_old.len() as u64,
    })
}

/// What is told of each batch of events as the encrypted copy stores them, inside the copy's
/// transaction: the seal chain hashes the stored bytes, so it is recomputed over the copy in
/// the same transaction that replaces the log (the projections crate keeps the seals).
#[async_trait]
pub trait CopyObserver: Send + Sync {
    /// Before the first event is copied.
    async fn begin(&self, conn: &mut AnyConnection) -> Result<(), LogError>;
    /// The next events in log order, as they are stored in the copy.
    async fn copied(
        &self,
        conn: &mut AnyConnection,
        events: &[LoggedEvent],
    ) -> Result<(), LogError>;
}

/// What encrypting a log did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encryption {
    pub events: u64,
    /// Aggregates whose personal values are now encrypted under a data key of their own.
    pub encrypted: u64,
}

/// Events copied per read of the old log.
const BATCH: i64 = 1000;

/// Brings a log written in plaintext by an older version under erasure, by copy and replace,
/// in one transaction: a new events table of the same definition is filled with every event
/// in log order, at the same position (and, on PostgreSQL, transaction id), each event of
/// aggregate `A` decoded into its current shape and written again as the append path writes
/// it (personal values encrypted under its aggregate's new data key, identifiers kept as
/// look-up hashes); other events are copied as they are. The old table is then dropped, the
/// copy takes its name, indexes and triggers, and the key file's checks are recorded: from
/// then on [`Database::connect`] opens it. A crash before the commit leaves the plaintext log
/// as it was.
///
/// `db` is opened with [`Database::connect_to_encrypt`]; every node must be stopped. On
/// PostgreSQL the log is locked for the copy, so a node left running cannot append meanwhile.
pub async fn encrypt_log<A>(
    db: &Database,
    observer: &dyn CopyObserver,
) -> Result<Encryption, RekeyError>
where
    A: Aggregate,
    A::Event: Subject,
{
    let keyring = db.keyring();
    let backend = db.backend();
    let mut tx = db.any().begin().await?;
    let create = match backend {
        Backend::Postgres => {
            sqlx::query("LOCK TABLE events IN ACCESS EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await?;
            // Indexes come after the copy (faster, and named as the migrations name them).
            "CREATE TABLE events_encrypted (LIKE events INCLUDING DEFAULTS INCLUDING IDENTITY
                 INCLUDING GENERATED INCLUDING CONSTRAINTS)"
        }
        // A write first: it takes SQLite's write lock before anything is read.
        Backend::Sqlite => SQLITE_EVENTS_TABLE,
    };
    sqlx::query(create).execute(&mut *tx).await?;
    let checks: i64 = sqlx::query_scalar("SELECT count(*) FROM key_checks")
        .fetch_one(&mut *tx)
        .await?;
    if checks > 0 {
        return Err(RekeyError::AlreadyEncrypted);
    }

    observer.begin(&mut tx).await?;
    let (read, write) = match backend {
        Backend::Postgres => (POSTGRES_READ, POSTGRES_WRITE),
        Backend::Sqlite => (SQLITE_READ, SQLITE_WRITE),
    };
    let mut after = 0_i64;
    let mut events = 0_u64;
    let mut encrypted = BTreeSet::new();
    loop {
        let rows = sqlx::query(read)
            .bind(after)
            .bind(BATCH)
            .fetch_all(&mut *tx)
            .await?;
        if rows.is_empty() {
            break;
        }
        let mut copied = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut event = stored_event(row)?;
            if event.aggregate_type == A::TYPE
                && reencode::<A>(&mut tx, &keyring, &mut event).await?
            {
                encrypted.insert(event.aggregate_id.clone());
            }
            let insert = sqlx::query(write)
                .bind(&event.aggregate_type)
                .bind(&event.aggregate_id)
                .bind(event.sequence)
                .bind(&event.event_type)
                .bind(&event.event_version)
                .bind(event.payload.get())
                .bind(row.get::<String, _>("metadata"))
                .bind(event.position.position);
            let insert = match backend {
                Backend::Postgres => insert.bind(row.get::<String, _>("tx")),
                Backend::Sqlite => insert,
            };
            insert.execute(&mut *tx).await?;
            after = event.position.position;
            copied.push(event);
        }
        events += copied.len() as u64;
        observer.copied(&mut tx, &copied).await?;
    }

    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&mut *tx)
        .await?;
    let copied: i64 = sqlx::query_scalar("SELECT count(*) FROM events_encrypted")
        .fetch_one(&mut *tx)
        .await?;
    if copied != stored {
        return Err(RekeyError::CopyIncomplete { copied, stored });
    }
    let swap = match backend {
        Backend::Postgres => POSTGRES_SWAP,
        Backend::Sqlite => SQLITE_SWAP,
    };
    for statement in swap {
        sqlx::query(statement).execute(&mut *tx).await?;
    }
    record_checks(&mut tx, &keyring).await?;
    tx.commit().await?;
    // The plaintext pages were zeroed as they were freed (secure_delete); the write-ahead log
    // still held them until now.
    db.scrub().await?;
    Ok(Encryption {
        events,
        encrypted: encrypted.len() as u64,
    })
}

/// Rewrites `event` (of aggregate `A`) as the append path writes it now; true if it holds
/// personal values, which are then encrypted.
async fn reencode<A>(
    conn: &mut AnyConnection,
    keyring: &Keyring,
    event: &mut LoggedEvent,
) -> Result<bool, RekeyError>
where
    A: Aggregate,
    A::Event: Subject,
{
    // Legacy personal values are bare values, which read as known ones.
    let decoded: A::Event = event.decode()?;
    let failed = |e: serde_json::Error| LogError::Decode {
        position: event.position.position,
        reason: e.to_string(),
    };
    let mut payload = serde_json::to_value(&decoded).map_err(failed)?;
    let text = payload.to_string();
    let personal = codec::marks_personal(&text);
    if personal {
        let key =
            key_made_if_new(conn, keyring, &event.aggregate_type, &event.aggregate_id).await?;
        let identity = EventIdentity {
            aggregate_type: &event.aggregate_type,
            aggregate_id: &event.aggregate_id,
            sequence: event.sequence,
            event_type: &event.event_type,
        };
        codec::encrypt(&mut payload, &key, identity);
    }
    for (kind, value) in decoded.identifiers() {
        sqlx::query(
            "INSERT INTO subject_lookup (hash, aggregate_type, aggregate_id)
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(keyring.lookup_hash(kind, &value))
        .bind(&event.aggregate_type)
        .bind(&event.aggregate_id)
        .execute(&mut *conn)
        .await?;
    }
    event.event_version = decoded.event_version();
    event.payload = serde_json::value::to_raw_value(&payload).map_err(failed)?;
    Ok(personal)
}

/// An event as the old table holds it (no data key: its values are in plaintext).
fn stored_event(row: &sqlx::any::AnyRow) -> Result<LoggedEvent, RekeyError> {
    let position: i64 = row.get("position");
    let payload = RawValue::from_string(row.get("payload")).map_err(|e| LogError::Decode {
        position,
        reason: e.to_string(),
    })?;
    let metadata: HashMap<String, String> =
        serde_json::from_str(&row.get::<String, _>("metadata")).unwrap_or_default();
    let tx: String = row.get("tx");
    Ok(LoggedEvent {
        position: position_of(&tx, position),
        event_id: metadata
            .get("event_id")
            .and_then(|id| Uuid::parse_str(id).ok())
            .unwrap_or_default(),
        aggregate_type: row.get("aggregate_type"),
        aggregate_id: row.get("aggregate_id"),
        sequence: row.get("sequence"),
        event_type: row.get("event_type"),
        event_version: row.get("event_version"),
        payload,
        metadata,
        key: None,
    })
}

const POSTGRES_READ: &str = "SELECT position, tx::text AS tx, aggregate_type, aggregate_id,
    sequence, event_type, event_version, payload::text AS payload, metadata::text AS metadata
    FROM events WHERE position > $1 ORDER BY position LIMIT $2";

const SQLITE_READ: &str = "SELECT rowid AS position, '0' AS tx, aggregate_type, aggregate_id,
    sequence, event_type, event_version, payload, metadata
    FROM events WHERE rowid > $1 ORDER BY rowid LIMIT $2";

const POSTGRES_WRITE: &str = "INSERT INTO events_encrypted (aggregate_type, aggregate_id,
    sequence, event_type, event_version, payload, metadata, position, tx)
    OVERRIDING SYSTEM VALUE
    VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9::xid8)";

/// The position is the rowid.
const SQLITE_WRITE: &str = "INSERT INTO events_encrypted (aggregate_type, aggregate_id,
    sequence, event_type, event_version, payload, metadata, rowid)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// The events table of migrations/sqlite/0001_event_log.sql, under the copy's name.
const SQLITE_EVENTS_TABLE: &str = "CREATE TABLE events_encrypted (
    aggregate_type text    NOT NULL,
    aggregate_id   text    NOT NULL,
    sequence       integer NOT NULL CHECK (sequence >= 0),
    event_type     text    NOT NULL,
    event_version  text    NOT NULL,
    payload        text    NOT NULL,
    metadata       text    NOT NULL,
    event_id       text    GENERATED ALWAYS AS (json_extract(metadata, '$.event_id')) STORED,
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
)";

/// The copy becomes the log: its indexes and triggers as migrations/sqlite/0001 names them.
/// (Dropping a table fires no delete trigger.)
const SQLITE_SWAP: &[&str] = &[
    "DROP TABLE events",
    "ALTER TABLE events_encrypted RENAME TO events",
    "CREATE UNIQUE INDEX events_event_id ON events (event_id)",
    "CREATE UNIQUE INDEX events_command ON events (json_extract(metadata, '$.command_id'),
         json_extract(metadata, '$.command_index'))",
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events
     BEGIN
         SELECT RAISE(ABORT, 'the event log is append-only');
     END",
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events
     BEGIN
         SELECT RAISE(ABORT, 'the event log is append-only');
     END",
];

/// As [`SQLITE_SWAP`], after migrations/postgres/0001; and the position's sequence, which
/// the copy's inserts with explicit positions did not advance, continues after the last.
const POSTGRES_SWAP: &[&str] = &[
    "DROP TABLE events",
    "ALTER TABLE events_encrypted RENAME TO events",
    "ALTER SEQUENCE events_encrypted_position_seq RENAME TO events_position_seq",
    "SELECT setval('events_position_seq', (SELECT coalesce(max(position), 0) + 1 FROM events),
         false)",
    "ALTER TABLE events ADD PRIMARY KEY (aggregate_type, aggregate_id, sequence)",
    "CREATE UNIQUE INDEX events_position ON events (position)",
    "CREATE INDEX events_tail ON events (tx, position)",
    "CREATE UNIQUE INDEX events_event_id ON events (event_id)",
    "CREATE UNIQUE INDEX events_command ON events ((metadata ->> 'command_id'),
         (metadata ->> 'command_index'))",
    "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
         FOR EACH ROW EXECUTE FUNCTION events_are_immutable()",
];
