//! Connecting to the database the URL names, running the migrations, and handing out the
//! pieces built on it: the event repository, the log reader, and a pool for projections.

use crate::group_commit::GroupCommit;
use crate::keys::Keyring;
use crate::log::{EventLog, PostgresLog, SqliteLog};
use crate::repository::EventRepository;
use crate::vault::{open_keys, KeyCheckError, PlaintextLog, Vault};
use crate::wake::Wake;
use postgres_es::PostgresEventRepository;
use sqlite_es::SqliteEventRepository;
use sqlx::any::AnyPoolOptions;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AnyPool, Executor, PgPool, SqlitePool};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

#[derive(Debug, Error)]
pub enum DatabaseError {
    #[error("unsupported database URL {0:?}: use postgres://… or sqlite://…")]
    UnsupportedUrl(String),
    /// The server could not be reached or refused the connection; the pool's own error would
    /// say only that it timed out.
    #[error("cannot connect to PostgreSQL at {server}: {cause}")]
    Unreachable { server: String, cause: String },
    /// The log holds transaction ids this server has not reached: a dump restored into
    /// another cluster. Readers tail by transaction id, so every new event would sort before
    /// the restored ones and never be read.
    #[error(
        "the event log's newest transaction id ({newest}) is not behind this PostgreSQL \
         server's ({current}): the database was restored into another cluster. Move that \
         cluster's transaction ids past the log first (stop it, `pg_resetwal -e <epoch>`; \
         docs/deploy/README.md, \"Backup and restore\") and start again"
    )]
    LogAheadOfServer { newest: String, current: String },
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    #[error(transparent)]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Keys(#[from] KeyCheckError),
}

#[derive(Clone)]
enum Pool {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// One connection, to learn why the server cannot be reached if it cannot (host, port and
/// the driver's cause: refused, no such host, no such database, a password refused).
async fn probe(options: &PgConnectOptions) -> Result<(), DatabaseError> {
    use sqlx::Connection;
    let unreachable = |cause: String| DatabaseError::Unreachable {
        server: format!(
            "{}:{} (database {})",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or("postgres")
        ),
        cause,
    };
    match tokio::time::timeout(ACQUIRE_TIMEOUT, sqlx::PgConnection::connect_with(options)).await {
        Ok(Ok(connection)) => {
            let _ = connection.close().await;
            Ok(())
        }
        Ok(Err(cause)) => Err(unreachable(cause.to_string())),
        Err(_) => Err(unreachable(format!(
            "no answer within {} s",
            ACQUIRE_TIMEOUT.as_secs()
        ))),
    }
}

/// Refuses a log whose transaction ids this server has not reached (see
/// [`DatabaseError::LogAheadOfServer`]). One index probe at start.
async fn refuse_log_ahead_of_server(pool: &PgPool) -> Result<(), DatabaseError> {
    let ahead: Option<(String, String)> = sqlx::query_as(
        "SELECT tx::text, pg_current_xact_id()::text FROM events
          WHERE tx >= pg_current_xact_id() ORDER BY tx DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await?;
    match ahead {
        Some((newest, current)) => Err(DatabaseError::LogAheadOfServer { newest, current }),
        None => Ok(()),
    }
}

/// PostgreSQL connections per node: appends and the log's reads, then the read models.
const EVENT_POOL: u32 = 16;
const READ_MODEL_POOL: u32 = 8;
/// The PostgreSQL connections one node opens at most, besides the one it LISTENs on.
pub const POSTGRES_CONNECTIONS: u32 = EVENT_POOL + READ_MODEL_POOL;

/// The database behind one Samtale node.
///
/// Two pools point at it: a typed one for the event repositories (postgres-es and sqlite-es
/// need their own pool type) and the log reader, and an `Any` one for the projections and the
/// queries that read them, whose SQL is written once for both backends.
#[derive(Clone)]
pub struct Database {
    url: String,
    backend: Backend,
    pool: Pool,
    any: AnyPool,
    wake: Wake,
    vault: Arc<Vault>,
}

/// Whether `error` means the database cannot be reached right now — the connection lost, the
/// server shutting down or still starting — rather than a fault in a request or in Samtale.
/// Clients are told to try again (503), never that something broke (500).
pub fn is_unreachable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_) => true,
        // SQLSTATE class 08: connection exception; 57P: the server is going away or not up.
        sqlx::Error::Database(e) => e
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

/// How long a request waits for a connection before it is told the service is unavailable:
/// a database outage must fail requests fast, not queue them for the default 30 s.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// Where a SQLite file's data was deleted, it is overwritten with zeros: an erased chat's rows
/// leave nothing readable in the file.
const SQLITE_PRAGMAS: &str =
    "PRAGMA busy_timeout = 10000; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
     PRAGMA secure_delete = ON;";

impl Database {
    /// Connects, brings the schema up to date and opens the key file at `key_file` (made on a
    /// new database; see [`Keyring`]). `sqlite://` URLs create the file if needed. A database
    /// whose key file is missing or wrong, or whose log was written in plaintext by an older
    /// version, is refused.
    pub async fn connect(url: &str, key_file: &Path) -> Result<Self, DatabaseError> {
        Self::open(url, key_file, PlaintextLog::Refuse).await
    }

    /// Connects to a database whose log may be in plaintext, to encrypt it.
    pub async fn connect_to_encrypt(url: &str, key_file: &Path) -> Result<Self, DatabaseError> {
        Self::open(url, key_file, PlaintextLog::OpenToEncrypt).await
    }

    async fn open(
        url: &str,
        key_file: &Path,
        plaintext_log: PlaintextLog,
    ) -> Result<Self, DatabaseError> {
        sqlx::any::install_default_drivers();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)?;
            probe(&options).await?;
            // No ping before each use: it is a round trip per query on the busiest path, and a
            // connection that died with the server fails its query, which is answered 503
            // and closes it, as the ping would have.
            let pool = PgPoolOptions::new()
                .max_connections(EVENT_POOL)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .test_before_acquire(false)
                .connect_with(options)
                .await?;
            sqlx::migrate!("../migrations/postgres").run(&pool).await?;
            refuse_log_ahead_of_server(&pool).await?;
            let any = AnyPoolOptions::new()
                .max_connections(READ_MODEL_POOL)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .test_before_acquire(false)
                .connect(url)
                .await?;
            let keyring = open_keys(&any, key_file, plaintext_log).await?;
            Ok(Self {
                url: url.to_string(),
                backend: Backend::Postgres,
                wake: Wake::postgres(pool.clone()),
                pool: Pool::Postgres(pool),
                vault: Arc::new(Vault::new(Arc::new(keyring), any.clone())),
                any,
            })
        } else if url.starts_with("sqlite:") {
            // Durability over speed: an acknowledged message must survive a power cut, which
            // WAL with synchronous=NORMAL (sqlite-es's default) does not promise.
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .pragma("secure_delete", "ON");
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await?;
            sqlx::migrate!("../migrations/sqlite").run(&pool).await?;
            let any = AnyPoolOptions::new()
                .max_connections(4)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .after_connect(|conn, _meta| {
                    Box::pin(async move {
                        conn.execute(SQLITE_PRAGMAS).await?;
                        Ok(())
                    })
                })
                .connect(url)
                .await?;
            let keyring = open_keys(&any, key_file, plaintext_log).await?;
            Ok(Self {
                url: url.to_string(),
                backend: Backend::Sqlite,
                wake: Wake::local(),
                pool: Pool::Sqlite(pool),
                vault: Arc::new(Vault::new(Arc::new(keyring), any.clone())),
                any,
            })
        } else {
            Err(DatabaseError::UnsupportedUrl(url.to_string()))
        }
    }

    /// The pool projections and read queries use; its SQL must run on both backends.
    pub fn any(&self) -> &AnyPool {
        &self.any
    }

    pub fn wake(&self) -> &Wake {
        &self.wake
    }

    pub fn event_repository(&self) -> EventRepository {
        match &self.pool {
            Pool::Postgres(pool) => EventRepository::Postgres(
                PostgresEventRepository::new(pool.clone()),
                GroupCommit::postgres(pool.clone()),
                self.vault.clone(),
            ),
            Pool::Sqlite(pool) => EventRepository::Sqlite(
                SqliteEventRepository::new(pool.clone()),
                GroupCommit::sqlite(pool.clone()),
                self.vault.clone(),
            ),
        }
    }

    pub fn event_log(&self) -> Arc<dyn EventLog> {
        match &self.pool {
            Pool::Postgres(pool) => Arc::new(PostgresLog {
                pool: pool.clone(),
                wake: self.wake.clone(),
                keyring: self.keyring(),
            }),
            Pool::Sqlite(pool) => Arc::new(SqliteLog {
                pool: pool.clone(),
                wake: self.wake.clone(),
                keyring: self.keyring(),
            }),
        }
    }

    /// The data keys: who has one, and this node's copies of them.
    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// The key file's keys, as checked against this database.
    pub fn keyring(&self) -> Arc<Keyring> {
        self.vault.keyring_arc()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// After an erasure: on SQLite, checkpoints the write-ahead log and truncates it, so the
    /// pages that held the erased data (zeroed in the database file as they were freed, by
    /// `secure_delete`) are gone from the log file too. A checkpoint that readers hold back
    /// is finished by a later one. PostgreSQL keeps old row versions until they are vacuumed
    /// (docs/privacy.md).
    pub async fn scrub(&self) -> Result<(), sqlx::Error> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.any)
                .await?;
        }
        Ok(())
    }

    /// Is the database answering? (`/readyz`)
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.any).await.map(|_| ())
    }

    /// The PostgreSQL URL, for what needs a connection of its own (a session advisory lock
    /// must live exactly as long as the connection holding it).
    /// The PostgreSQL pool, where there is one: for what nodes tell each other outside the log.
    pub fn postgres_pool(&self) -> Option<&PgPool> {
        match &self.pool {
            Pool::Postgres(pool) => Some(pool),
            Pool::Sqlite(_) => None,
        }
    }

    pub fn postgres_url(&self) -> Option<&str> {
        (self.backend == Backend::Postgres).then_some(self.url.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::is_unreachable;

    #[test]
    fn a_lost_or_unobtainable_connection_is_unreachable_and_a_query_fault_is_not() {
        assert!(is_unreachable(&sqlx::Error::PoolTimedOut));
        assert!(is_unreachable(&sqlx::Error::PoolClosed));
        assert!(is_unreachable(&sqlx::Error::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset
        ))));
        assert!(!is_unreachable(&sqlx::Error::RowNotFound));
        assert!(!is_unreachable(&sqlx::Error::ColumnNotFound("x".into())));
    }
}
