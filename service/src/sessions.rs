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
//! again after `TOUCH_EVERY` regardless, so nothing the watcher could miss outlives that.
//!
//! The same watch tells this node's open SSE streams which tokens were revoked.
//!
//! A session unused for the configured idle time is refused. Each node records a session's use
//! in `last_seen_at` when it checks the session (at most once per `TOUCH_EVERY`, so a busy agent
//! costs one write a minute, not one per request) and trusts what it remembers only that long;
//! so a session another node kept alive is honoured here, and one idle everywhere is refused
//! everywhere. The recorded use lags the real one by at most two `TOUCH_EVERY`.

use crate::identity::Staff;
use chrono::{DateTime, Utc};
use lru::LruCache;
use samtale_domain::{Role, UserId};
use samtale_projections::read::AgentChatState;
use samtale_projections::timestamp;
use sqlx::AnyPool;
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// A session someone can still work from (`$1`: the oldest last use that is not idle), for a
/// `NOT EXISTS (… AND s.user_id = …)`.
const LIVE_SESSION: &str = "SELECT 1 FROM sessions s JOIN users u ON u.user_id = s.user_id
     WHERE s.revoked_at IS NULL AND u.active = 1 AND COALESCE(s.last_seen_at, s.created_at) >= $1";

/// How often a node reads the sessions revoked elsewhere.
const REVOCATION_POLL: Duration = Duration::from_millis(250);
/// How far back each read looks, by this node's clock.
const LOOKBACK: Duration = Duration::from_secs(10);
/// How long a session is trusted without reading it again, and how often its use is written.
/// A short idle time (as in tests) shortens it to a quarter of that time.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

pub struct Sessions {
    db: AnyPool,
    /// Unused this long, a session is refused.
    idle: Duration,
    /// How long a checked session is honoured without reading it again (`TOUCH_EVERY` or less).
    recheck: Duration,
    known: Mutex<LruCache<String, (Staff, Instant)>>,
    /// Counts revocations acted on: a session read while one happened is not remembered, as
    /// the read may have come just before the revocation and the forgetting just after.
    revocations_seen: AtomicU64,
    revoked: broadcast::Sender<String>,
}

impl Sessions {
    /// Remembers up to `capacity` sessions, refuses those unused for `idle`, and starts
    /// watching for revocations.
    pub fn start(db: AnyPool, capacity: usize, idle: Duration) -> Arc<Self> {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        let (revoked, _) = broadcast::channel(1024);
        let sessions = Arc::new(Self {
            db,
            idle,
            recheck: TOUCH_EVERY.min(idle / 4),
            known: Mutex::new(LruCache::new(capacity)),
            revocations_seen: AtomicU64::new(0),
            revoked,
        });
        tokio::spawn(watch(Arc::downgrade(&sessions)));
        sessions
    }

    /// The staff member whose live session `token_hash` is, if any; records its use.
    pub async fn staff(&self, token_hash: &str) -> Result<Option<Staff>, sqlx::Error> {
        if let Some(staff) = self.remembered(token_hash) {
            return Ok(Some(staff));
        }
        let now = Utc::now();
        let revocations_before = self.revocations_seen.load(Ordering::SeqCst);
        // `last_seen_at` is null only for a session created by a node older than the column.
        let row: Option<(String, String, String)> = sqlx::query_as(
            "SELECT u.user_id, u.role, COALESCE(s.last_seen_at, s.created_at)
               FROM sessions s JOIN users u ON u.user_id = s.user_id
              WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND u.active = 1
                AND COALESCE(s.last_seen_at, s.created_at) >= $2",
        )
        .bind(token_hash)
        .bind(timestamp(now - chrono_duration(self.idle)))
        .fetch_optional(&self.db)
        .await?;
        let Some((user_id, role, last_seen)) = row else {
            return Ok(None);
        };
        let staff = (|| {
            Some(Staff {
                user_id: user_id.parse().ok()?,
                role: serde_json::from_value::<Role>(serde_json::Value::String(role)).ok()?,
                token_hash: token_hash.to_string(),
            })
        })();
        let Some(staff) = staff else {
            return Ok(None);
        };
        let stale = DateTime::parse_from_rfc3339(&last_seen)
            .map(|seen| now - seen.with_timezone(&Utc) >= chrono_duration(self.recheck))
            .unwrap_or(true);
        if stale {
            // Never moves the time back: another node with a slower clock may have written.
            sqlx::query(
                "UPDATE sessions SET last_seen_at = $2
                  WHERE token_hash = $1 AND (last_seen_at IS NULL OR last_seen_at < $2)",
            )
            .bind(token_hash)
            .bind(timestamp(now))
            .execute(&self.db)
            .await?;
        }
        if let Ok(mut known) = self.known.lock() {
            if self.revocations_seen.load(Ordering::SeqCst) == revocations_before {
                known.put(token_hash.to_string(), (staff.clone(), Instant::now()));
            }
        }
        Ok(Some(staff))
    }

    fn remembered(&self, token_hash: &str) -> Option<Staff> {
        let mut known = self.known.lock().ok()?;
        match known.get(token_hash) {
            Some((staff, checked)) if checked.elapsed() < self.recheck => Some(staff.clone()),
            Some(_) => {
                known.pop(token_hash);
                None
            }
            None => None,
        }
    }

    /// How long a session may go unused.
    pub fn idle(&self) -> Duration {
        self.idle
    }

    /// The users with a session they can still work from: signed in to the console now.
    pub async fn signed_in(&self, now: DateTime<Utc>) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar(&format!(
            "SELECT signed.user_id FROM users signed
              WHERE EXISTS ({LIVE_SESSION} AND s.user_id = signed.user_id)
              ORDER BY signed.user_id"
        ))
        .bind(timestamp(now - chrono_duration(self.idle)))
        .fetch_all(&self.db)
        .await
    }

    /// The agents logged in to some queue with no session left: every session of theirs
    /// revoked or unused for the idle time, or the user deactivated. At most `limit`.
    pub async fn present_but_gone(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar(&format!(
            "SELECT DISTINCT p.user_id FROM agent_presence p
              WHERE NOT EXISTS ({LIVE_SESSION} AND s.user_id = p.user_id)
              ORDER BY p.user_id
              LIMIT $2"
        ))
        .bind(timestamp(now - chrono_duration(self.idle)))
        .bind(limit)
        .fetch_all(&self.db)
        .await
    }

    /// The chats that agents hold with no session left to work them from — every session of
    /// theirs revoked or unused for the idle time, or the user deactivated — as (chat, agent,
    /// since when the agent has it), the longest held first, at most `limit`.
    pub async fn chats_left_behind(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<(String, String, String)>, sqlx::Error> {
        sqlx::query_as(&format!(
            "SELECT a.chat_id, a.agent_id, a.since FROM agent_chats a
              WHERE a.state = $3
                AND NOT EXISTS ({LIVE_SESSION} AND s.user_id = a.agent_id)
              ORDER BY a.since
              LIMIT $2"
        ))
        .bind(timestamp(now - chrono_duration(self.idle)))
        .bind(limit)
        .bind(AgentChatState::Active.as_str())
        .fetch_all(&self.db)
        .await
    }

    /// Forgets sessions deleted from the table (`crate::retention`), so this node refuses them
    /// at once; other nodes read them again within `TOUCH_EVERY`.
    pub fn forget_pruned(&self, hashes: &[String]) {
        if let Ok(mut known) = self.known.lock() {
            for hash in hashes {
                known.pop(hash);
            }
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

fn chrono_duration(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
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
