//! Typing signals: "Kari is typing…" both ways. Ephemeral — never in the log, never stored:
//! a signal goes to every node (on PostgreSQL as a NOTIFY with the signal as its payload, which
//! every node, the sender's included, hears on its LISTEN connection; on SQLite, which has one
//! node, straight to this node's streams), and each stream passes on those its reader may see.
//! A signal says "typing" or "stopped"; the side that shows it forgets one after a few seconds
//! without another, so a lost "stopped" costs nothing.

use serde::{Deserialize, Serialize};
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// The LISTEN/NOTIFY channel typing signals travel on.
pub const CHANNEL: &str = "samtale_typing";

/// The most of a customer's unsent text a sneak peek carries (its end, where they type): it
/// keeps a signal well inside PostgreSQL's 8,000 bytes for a NOTIFY payload.
pub const PEEK_CHARS: usize = 1000;

/// Signals buffered per stream: a stream that falls behind misses some, which is harmless.
const CAPACITY: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Customer,
    Agent,
}

/// One signal, with what a stream needs to know whose it is to see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Typing {
    pub chat_id: String,
    pub queue_id: String,
    /// The chat's agent when the signal was sent.
    pub agent_id: Option<String>,
    pub side: Side,
    /// Whom the other side sees typing: the agent's display name; empty for the customer.
    pub name: String,
    pub typing: bool,
    /// Sneak peek: what the customer has typed so far, where their queue lets agents see it.
    /// Never stored, never logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

pub struct TypingHub {
    local: broadcast::Sender<Arc<Typing>>,
    pool: Option<PgPool>,
}

impl TypingHub {
    /// Listens on PostgreSQL for every node's signals (`pool`), or keeps them in this process.
    pub fn start(pool: Option<PgPool>) -> Self {
        let (local, _) = broadcast::channel(CAPACITY);
        if let Some(pool) = &pool {
            tokio::spawn(listen(pool.clone(), local.clone()));
        }
        Self { local, pool }
    }

    pub async fn publish(&self, typing: Typing) -> Result<(), sqlx::Error> {
        match &self.pool {
            Some(pool) => {
                let payload = serde_json::to_string(&typing).unwrap_or_default();
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(CHANNEL)
                    .bind(payload)
                    .execute(pool)
                    .await?;
            }
            // No stream listening is no error.
            None => {
                let _ = self.local.send(Arc::new(typing));
            }
        }
        Ok(())
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Typing>> {
        self.local.subscribe()
    }
}

async fn listen(pool: PgPool, local: broadcast::Sender<Arc<Typing>>) {
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for typing signals; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(error) = listener.listen(CHANNEL).await {
            tracing::warn!(%error, "cannot LISTEN for typing signals; retrying");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        // Signals sent while the connection was away are gone, as they may be: each is
        // replaced by the next within seconds.
        while let Ok(notification) = listener.recv().await {
            if let Ok(typing) = serde_json::from_str::<Typing>(notification.payload()) {
                let _ = local.send(Arc::new(typing));
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
