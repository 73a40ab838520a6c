//! Staff sessions: whose each bearer token is, remembered between requests and forgotten as
//! soon as the session is revoked.
//!
//! Looking every staff request's token up cost one statement per agent message, half of all
//! the statements PostgreSQL ran under load. A node now remembers the sessions it has checked
//! and forgets one when it is revoked: at once when the revocation is its own (logout, or an
//! administrator changing a role, a password or deactivating a user through this node), and
//! within `REVOCATION_POLL` when another node made it. It learns those by reading, every
//! `REVOCATION_POLL`, the sessions revoked in the last `LOOKBACK` by its own clock: the window
//! overlaps so that a revocation committed a little after the time it records (or stamped by a
//! node whose clock runs a little behind) is still seen. A remembered session is checked
//! again after `RECHECK` regardless, so nothing the watcher could miss outlives that.
//!
//! The same watch tells this node's open SSE streams which tokens were revoked.

use crate::auth::Staff;
use chrono::{DateTime, Utc};
use lru::LruCache;
use samtale_domain::{Role, UserId};
use samtale_projections::timestamp;
use sqlx::AnyPool;
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// How often a node reads the sessions revoked elsewhere.
const REVOCATION_POLL: Duration = Duration::from_millis(250);
/// How far back each read looks, by this node's clock.
const LOOKBACK: Duration = Duration::from_secs(10);
/// How long a session is trusted without reading it again.
const RECHECK: Duration = Duration::from_secs(60);

pub struct Sessions {
    db: AnyPool,
    known: Mutex<LruCache<String, (Staff, Instant)>>,
    /// Counts revocations acted on: a session read while one happened is not remembered, as
    /// the read may have come just before the revocation and the forgetting just after.
    revocations_seen: AtomicU64,
    revoked: broadcast::Sender<String>,
}

impl Sessions {
    /// Remembers up to `capacity` sessions and starts watching for revocations.
    pub fn start(db: AnyPool, capacity: usize) -> Arc<Self> {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        let (revoked, _) = broadcast::channel(1024);
        let sessions = Arc::new(Self {
            db,
            known: Mutex::new(LruCache::new(capacity)),
            revocations_seen: AtomicU64::new(0),
            revoked,
        });
        tokio::spawn(watch(Arc::downgrade(&sessions)));
        sessions
    }

    /// The staff member whose live session `token_hash` is, if any.
    pub async fn staff(&self, token_hash: &str) -> Result<Option<Staff>, sqlx::Error> {
        if let Some(staff) = self.remembered(token_hash) {
            return Ok(Some(staff));
        }
        let revocations_before = self.revocations_seen.load(Ordering::SeqCst);
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT u.user_id, u.role FROM sessions s JOIN users u ON u.user_id = s.user_id
              WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND u.active = 1",
        )
        .bind(token_hash)
        .fetch_optional(&self.db)
        .await?;
        let staff = row.and_then(|(user_id, role)| {
            Some(Staff {
                user_id: user_id.parse().ok()?,
                role: serde_json::from_value::<Role>(serde_json::Value::String(role)).ok()?,
                token_hash: token_hash.to_string(),
            })
        });
        if let (Some(staff), Ok(mut known)) = (&staff, self.known.lock()) {
            if self.revocations_seen.load(Ordering::SeqCst) == revocations_before {
                known.put(token_hash.to_string(), (staff.clone(), Instant::now()));
            }
        }
        Ok(staff)
    }

    fn remembered(&self, token_hash: &str) -> Option<Staff> {
        let mut known = self.known.lock().ok()?;
        match known.get(token_hash) {
            Some((staff, checked)) if checked.elapsed() < RECHECK => Some(staff.clone()),
            Some(_) => {
                known.pop(token_hash);
                None
            }
            None => None,
        }
    }

    /// Ends one session (a logout).
    pub async fn revoke(&self, token_hash: &str, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
        let hashes: Vec<String> = sqlx::query_scalar(
            "UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL
             RETURNING token_hash",
        )
        .bind(token_hash)
        .bind(timestamp(at))
        .fetch_all(&self.db)
        .await?;
        self.forget(hashes);
        Ok(())
    }

    /// Ends every session of a user (a new role, a new password, deactivation).
    pub async fn revoke_user(&self, user_id: UserId, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
        let hashes: Vec<String> = sqlx::query_scalar(
            "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL
             RETURNING token_hash",
        )
        .bind(user_id.to_string())
        .bind(timestamp(at))
        .fetch_all(&self.db)
        .await?;
        self.forget(hashes);
        Ok(())
    }

    /// Forgets revoked sessions and tells this node's streams.
    fn forget(&self, hashes: impl IntoIterator<Item = String>) {
        for hash in hashes {
            self.revocations_seen.fetch_add(1, Ordering::SeqCst);
            if let Ok(mut known) = self.known.lock() {
                known.pop(&hash);
            }
            let _ = self.revoked.send(hash);
        }
    }

    /// Hashes of session tokens as they are revoked, on any node.
    pub fn revocations(&self) -> broadcast::Receiver<String> {
        self.revoked.subscribe()
    }
}

/// Reads the sessions revoked lately, on whichever node, and forgets each once.
async fn watch(sessions: std::sync::Weak<Sessions>) {
    let mut ticker = tokio::time::interval(REVOCATION_POLL);
    // Revocations already acted on, with when they were recorded, until they leave the window.
    let mut seen: HashMap<String, String> = HashMap::new();
    let lookback = chrono::Duration::from_std(LOOKBACK).unwrap_or_default();
    loop {
        ticker.tick().await;
        let Some(sessions) = sessions.upgrade() else {
            return;
        };
        let since = timestamp(Utc::now() - lookback);
        let rows: Result<Vec<(String, String)>, _> =
            sqlx::query_as("SELECT token_hash, revoked_at FROM sessions WHERE revoked_at >= $1")
                .bind(since.clone())
                .fetch_all(&sessions.db)
                .await;
        let Ok(rows) = rows else { continue };
        seen.retain(|_, revoked_at| *revoked_at >= since);
        let fresh: Vec<String> = rows
            .into_iter()
            .filter_map(|(hash, revoked_at)| {
                seen.insert(hash.clone(), revoked_at)
                    .is_none()
                    .then_some(hash)
            })
            .collect();
        sessions.forget(fresh);
    }
}
