//! Waking log readers when events are appended.
//!
//! A counter in a `watch` channel is bumped whenever this node appends, and — on PostgreSQL —
//! whenever another node says it appended (LISTEN/NOTIFY). Readers remember the counter value
//! before they read the log, so a bump between their read and their wait is never missed.
//!
//! The NOTIFY is sent *after* the append's commit, by one task that coalesces bursts into one
//! notification: a NOTIFY inside the append transaction would serialise all commits on the
//! notification queue's lock (measured: 8.6k → 3.4k commits/s at 16 clients). It sends at most
//! one per [`ANNOUNCE_GAP`], and carries the node's id so the node does not wake itself twice.

use sqlx::postgres::PgListener;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};
use uuid::Uuid;

/// The LISTEN/NOTIFY channel appends are announced on.
pub const CHANNEL: &str = "samtale_events";

/// The least time between two announcements from one node: on a busy node a NOTIFY per append
/// was most of a statement per message, for other nodes that wake up for the batch anyway.
/// This is what it may add to another node's view of an event.
const ANNOUNCE_GAP: Duration = Duration::from_millis(2);

#[derive(Clone)]
pub struct Wake {
    counter: Arc<watch::Sender<u64>>,
    /// Set on PostgreSQL: asks the notifier task to tell the other nodes.
    announce: Option<Arc<Notify>>,
}

impl Wake {
    /// Wakes readers in this process only: enough for SQLite, which has one process.
    pub fn local() -> Self {
        let (counter, _) = watch::channel(0);
        Self {
            counter: Arc::new(counter),
            announce: None,
        }
    }

    /// Wakes readers in this process and, through PostgreSQL, in every other node.
    pub fn postgres(pool: PgPool) -> Self {
        let mut wake = Self::local();
        let announce = Arc::new(Notify::new());
        wake.announce = Some(announce.clone());
        let node = Uuid::new_v4().to_string();
        tokio::spawn(announce_appends(pool.clone(), announce, node.clone()));
        tokio::spawn(listen_for_appends(pool, wake.clone(), node));
        wake
    }

    /// Call after events were committed.
    pub fn appended(&self) {
        self.bump();
        if let Some(announce) = &self.announce {
            announce.notify_one();
        }
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.counter.subscribe()
    }

    fn bump(&self) {
        self.counter.send_modify(|n| *n = n.wrapping_add(1));
    }
}

async fn announce_appends(pool: PgPool, announce: Arc<Notify>, node: String) {
    loop {
        // `notify_one` stores one permit while we are busy: a burst of appends during one
        // NOTIFY round trip and the gap after it becomes a single further NOTIFY.
        announce.notified().await;
        if let Err(error) = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(&node)
            .execute(&pool)
            .await
        {
            // Other nodes still find the events on their safety-net poll.
            tracing::warn!(%error, "could not announce appended events");
        }
        tokio::time::sleep(ANNOUNCE_GAP).await;
    }
}

async fn listen_for_appends(pool: PgPool, wake: Wake, node: String) {
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for appended events; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(error) = listener.listen(CHANNEL).await {
            tracing::warn!(%error, "cannot LISTEN; retrying");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        // Anything announced while we were not listening is lost: re-read the log.
        wake.bump();
        loop {
            match listener.try_recv().await {
                // This node's own appends woke its readers when they were made.
                Ok(Some(notification)) if notification.payload() == node => {}
                Ok(Some(_)) => wake.bump(),
                // The connection dropped and sqlx reconnected: notifications may be lost.
                Ok(None) => wake.bump(),
                Err(error) => {
                    tracing::warn!(%error, "lost the LISTEN connection");
                    wake.bump();
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    break;
                }
            }
        }
    }
}
