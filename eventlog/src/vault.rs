//! Data keys in the database: found, or made, for the aggregate an event with personal data is
//! appended to; and the key file checked against the database at start.
//!
//! A key is made before the first event that needs it is appended (in a statement of its
//! own) and is deleted by the append of the event that erases its aggregate, in that append's
//! transaction ([`crate::group_commit`]), which also fences the aggregate in `erased_subjects`
//! so that no key is made for it again. Keys used for appending are kept in memory; that copy
//! can never encrypt an event of an erased aggregate into the log, because the erasure took
//! the aggregate's next sequence and every later command on it is refused.

use crate::keys::{DataKey, KeyError, Keyring};
use lru::LruCache;
use sqlx::{AnyConnection, AnyPool};
use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::{Arc, Mutex};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum VaultError {
    /// The aggregate has been erased: nothing with personal data is written for it again.
    #[error("{0} has been erased")]
    Erased(String),
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// Data keys kept in memory for appending; a chat's messages then cost no key look-up.
const CACHED_KEYS: usize = 20_000;

type Subject = (String, String);

pub struct Vault {
    keyring: Arc<Keyring>,
    pool: AnyPool,
    cache: Mutex<LruCache<Subject, Arc<DataKey>>>,
}

impl Vault {
    pub(crate) fn new(keyring: Arc<Keyring>, pool: AnyPool) -> Self {
        let capacity = NonZeroUsize::new(CACHED_KEYS).unwrap_or(NonZeroUsize::MIN);
        Self {
            keyring,
            pool,
            cache: Mutex::new(LruCache::new(capacity)),
        }
    }

    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    pub(crate) fn keyring_arc(&self) -> Arc<Keyring> {
        self.keyring.clone()
    }

    fn cached(&self, subject: &Subject) -> Option<Arc<DataKey>> {
        self.cache
            .lock()
            .ok()
            .and_then(|mut c| c.get(subject).cloned())
    }

    /// The key to encrypt `aggregate`'s personal data with, made if it has none yet.
    pub async fn key_for_writing(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Arc<DataKey>, VaultError> {
        let subject = (aggregate_type.to_string(), aggregate_id.to_string());
        if let Some(key) = self.cached(&subject) {
            return Ok(key);
        }
        let mut conn = self.pool.acquire().await?;
        let key = Arc::new(
            key_made_if_new(&mut conn, &self.keyring, aggregate_type, aggregate_id).await?,
        );
        if let Ok(mut cache) = self.cache.lock() {
            cache.put(subject, key.clone());
        }
        Ok(key)
    }

    /// The key `aggregate`'s personal data was encrypted with, to read what is kept beside
    /// the log (a chat's files); `None` once it is erased (or if it never had one).
    pub async fn key_for_reading(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Option<Arc<DataKey>>, VaultError> {
        let subject = (aggregate_type.to_string(), aggregate_id.to_string());
        if let Some(key) = self.cached(&subject) {
            return Ok(Some(key));
        }
        let mut conn = self.pool.acquire().await?;
        Ok(
            stored(&mut conn, &self.keyring, aggregate_type, aggregate_id)
                .await?
                .map(Arc::new),
        )
    }

    /// The aggregates of `aggregate_type` whose events named the identifier `value` of `kind`
    /// (an e-mail address, a phone number: normalised as the domain's `identifiers` are), found
    /// by its keyed hash. Erased aggregates have none left.
    pub async fn identified_by(
        &self,
        aggregate_type: &str,
        kind: &str,
        value: &str,
    ) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT aggregate_id FROM subject_lookup
              WHERE hash = $1 AND aggregate_type = $2 ORDER BY aggregate_id",
        )
        .bind(self.keyring.lookup_hash(kind, value))
        .bind(aggregate_type.to_string())
        .fetch_all(&self.pool)
        .await
    }

    /// Drops this node's copy of an erased aggregate's key.
    pub fn forget(&self, aggregate_type: &str, aggregate_id: &str) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.pop(&(aggregate_type.to_string(), aggregate_id.to_string()));
        }
    }
}

/// `aggregate`'s data key, made and stored (wrapped) if it has none yet, on `conn`: a pooled
/// connection for an append, or the transaction that encrypts an older log.
pub(crate) async fn key_made_if_new(
    conn: &mut AnyConnection,
    keyring: &Keyring,
    aggregate_type: &str,
    aggregate_id: &str,
) -> Result<DataKey, VaultError> {
    if let Some(key) = stored(conn, keyring, aggregate_type, aggregate_id).await? {
        return Ok(key);
    }
    let made = DataKey::generate();
    let (kek_id, wrapped) = keyring.wrap(aggregate_type, aggregate_id, &made);
    sqlx::query(
        "INSERT INTO subject_keys (aggregate_type, aggregate_id, kek_id, wrapped_key)
         SELECT $1, $2, $3, $4
          WHERE NOT EXISTS (SELECT 1 FROM erased_subjects
                             WHERE aggregate_type = $1 AND aggregate_id = $2)
         ON CONFLICT DO NOTHING",
    )
    .bind(aggregate_type)
    .bind(aggregate_id)
    .bind(i64::from(kek_id))
    .bind(wrapped)
    .execute(&mut *conn)
    .await?;
    // Another node may have made one at the same moment: use whichever is stored.
    stored(conn, keyring, aggregate_type, aggregate_id)
        .await?
        .ok_or_else(|| VaultError::Erased(format!("{aggregate_type} {aggregate_id}")))
}

async fn stored(
    conn: &mut AnyConnection,
    keyring: &Keyring,
    aggregate_type: &str,
    aggregate_id: &str,
) -> Result<Option<DataKey>, VaultError> {
    let row: Option<(i64, Vec<u8>)> = sqlx::query_as(
        "SELECT kek_id, wrapped_key FROM subject_keys
          WHERE aggregate_type = $1 AND aggregate_id = $2",
    )
    .bind(aggregate_type)
    .bind(aggregate_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((kek_id, wrapped)) = row else {
        return Ok(None);
    };
    let kek_id = u32::try_from(kek_id).unwrap_or_default();
    Ok(Some(keyring.unwrap(
        aggregate_type,
        aggregate_id,
        kek_id,
        &wrapped,
    )?))
}

/// What starting on a database with a key file found wrong.
#[derive(Debug, Error)]
pub enum KeyCheckError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    #[error("this database's event log was written before Samtale encrypted personal data: its names, answers and messages are stored in plaintext and can never be erased. Stop every node and run `samtale log encrypt` once (docs/privacy.md, \"Bringing an older log under erasure\"); it copies the log into an encrypted one and replaces it")]
    PlaintextLog,
}

/// The key file's keys, checked against the database: the key file must hold every key the
/// database's data was protected with, and those exactly. On a new database, a missing key
/// file is made (readable by its owner only) and its keys' checks recorded. On refusal
/// nothing is written.
///
/// A database with events but no recorded checks was written in plaintext by an older
/// version: refused, unless `plaintext_log` says the caller is the tool that encrypts it.
pub(crate) async fn open_keys(
    pool: &AnyPool,
    path: &Path,
    plaintext_log: PlaintextLog,
) -> Result<Keyring, KeyCheckError> {
    let shown = path.display().to_string();
    let recorded: Vec<(String, Vec<u8>)> =
        sqlx::query_as("SELECT name, check_value FROM key_checks ORDER BY name")
            .fetch_all(pool)
            .await?;
    if recorded.is_empty() && plaintext_log == PlaintextLog::Refuse {
        let written: Option<i64> = sqlx::query_scalar("SELECT 1 FROM events LIMIT 1")
            .fetch_optional(pool)
            .await?;
        if written.is_some() {
            return Err(KeyCheckError::PlaintextLog);
        }
    }
    let keyring = if path.exists() {
        Keyring::read(path)?
    } else if recorded.is_empty() {
        let keyring = Keyring::generate();
        keyring.write(path)?;
        tracing::info!(key_file = %shown, "made a new key file; back it up apart from the database");
        keyring
    } else {
        return Err(KeyError::FileMissing { path: shown }.into());
    };
    let checks = keyring.checks();
    for (name, check) in &recorded {
        match checks.iter().find(|(held, _)| held == name) {
            None => {
                return Err(KeyError::KeyMissing {
                    path: shown,
                    name: name.clone(),
                }
                .into())
            }
            Some((_, held)) if held != check => {
                return Err(KeyError::WrongKey {
                    path: shown,
                    name: name.clone(),
                }
                .into())
            }
            Some(_) => {}
        }
    }
    if plaintext_log == PlaintextLog::Refuse {
        record_checks(&mut *pool.acquire().await?, &keyring).await?;
    }
    Ok(keyring)
}

/// Whether a log written in plaintext may be opened (only to encrypt it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaintextLog {
    Refuse,
    OpenToEncrypt,
}

/// Records the checks of keys the database has not seen yet (a new database, a rotation).
pub(crate) async fn record_checks(
    conn: &mut AnyConnection,
    keyring: &Keyring,
) -> Result<(), sqlx::Error> {
    for (name, check) in keyring.checks() {
        sqlx::query(
            "INSERT INTO key_checks (name, check_value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(name)
        .bind(check)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
