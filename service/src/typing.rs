//! Typing signals: "Kari is typing…" both ways. Ephemeral — never in the log, never stored:
//! a signal goes to every node (on PostgreSQL as a NOTIFY with the signal as its payload, which
//! every node, the sender's included, hears on its LISTEN connection; on SQLite, which has one
//! node, straight to this node's streams), and each stream passes on those its reader may see.
//! A signal says "typing" or "stopped"; the side that shows it forgets one after a few seconds
//! without another, so a lost "stopped" costs nothing.

use serde::{Deserialize, Serialize};
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// The LISTEN/NOTIFY channel typing signals travel on.
pub const CHANNEL: &str = "samtale_typing";

/// The most of a customer's unsent text a sneak peek carries (its end, where they type): it
/// keeps a signal well inside PostgreSQL's 8,000 bytes for a NOTIFY payload.
pub const PEEK_CHARS: usize = 1000;

/// How long a starting node waits for its LISTEN before it goes on without.
const LISTEN_WAIT: Duration = Duration::from_secs(5);

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

/// Where a signal goes on this node: a customer's stream by its chat; a staff stream by its
/// user, by each queue it covers, or as one who oversees every queue. A signal reaches only the
/// streams of its routes, so its cost does not grow with the streams open.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Route {
    Chat(String),
    User(String),
    Queue(String),
    Overseers,
}

impl Typing {
    /// The routes of the streams that may see this signal (each stream still checks).
    fn routes(&self) -> Vec<Route> {
        match self.side {
            Side::Agent => vec![Route::Chat(self.chat_id.clone())],
            Side::Customer => vec![
                Route::Overseers,
                match &self.agent_id {
                    Some(agent) => Route::User(agent.clone()),
                    None => Route::Queue(self.queue_id.clone()),
                },
            ],
        }
    }
}

/// The streams open on this node, by route.
#[derive(Default)]
struct Registry {
    next: u64,
    routes: HashMap<Route, HashMap<u64, mpsc::Sender<Arc<Typing>>>>,
}

fn lock(registry: &Mutex<Registry>) -> MutexGuard<'_, Registry> {
    // The map stays consistent whatever panicked while holding it.
    registry
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Hands the signal to the streams of its routes; one whose buffer is full misses it, which
/// is harmless.
fn deliver(registry: &Mutex<Registry>, typing: Typing) {
    let typing = Arc::new(typing);
    let registry = lock(registry);
    let mut sent = HashSet::new();
    for route in typing.routes() {
        for (id, stream) in registry.routes.get(&route).into_iter().flatten() {
            if sent.insert(*id) {
                let _ = stream.try_send(typing.clone());
            }
        }
    }
}

/// One stream's signals. Dropping it takes the stream off its routes.
pub struct TypingSubscription {
    pub receiver: mpsc::Receiver<Arc<Typing>>,
    id: u64,
    routes: Vec<Route>,
    registry: Arc<Mutex<Registry>>,
}

impl Drop for TypingSubscription {
    fn drop(&mut self) {
        let mut registry = lock(&self.registry);
        for route in &self.routes {
            if let Some(streams) = registry.routes.get_mut(route) {
                streams.remove(&self.id);
                if streams.is_empty() {
                    registry.routes.remove(route);
                }
            }
        }
    }
}

pub struct TypingHub {
    registry: Arc<Mutex<Registry>>,
    pool: Option<PgPool>,
}

impl TypingHub {
    /// Listens on PostgreSQL for every node's signals (`pool`), or keeps them in this process.
    /// A node starts listening before it answers (waiting up to `LISTEN_WAIT`), so that a
    /// signal sent to a node just started is not lost for that.
    pub async fn start(pool: Option<PgPool>) -> Self {
        let registry = Arc::new(Mutex::new(Registry::default()));
        if let Some(pool) = &pool {
            let (listening, ready) = oneshot::channel();
            tokio::spawn(listen(pool.clone(), Arc::downgrade(&registry), listening));
            if tokio::time::timeout(LISTEN_WAIT, ready).await.is_err() {
                tracing::warn!("not listening for typing signals yet; trying on");
            }
        }
        Self { registry, pool }
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
            None => deliver(&self.registry, typing),
        }
        Ok(())
    }

    /// The signals for a stream on `routes`.
    pub fn subscribe(&self, routes: Vec<Route>) -> TypingSubscription {
        let (sender, receiver) = mpsc::channel(CAPACITY);
        let mut registry = lock(&self.registry);
        registry.next += 1;
        let id = registry.next;
        for route in &routes {
            registry
                .routes
                .entry(route.clone())
                .or_default()
                .insert(id, sender.clone());
        }
        TypingSubscription {
            receiver,
            id,
            routes,
            registry: self.registry.clone(),
        }
    }
}

async fn listen(pool: PgPool, registry: Weak<Mutex<Registry>>, listening: oneshot::Sender<()>) {
    let mut listening = Some(listening);
    // Until the node is gone.
    while registry.strong_count() > 0 {
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
        if let Some(listening) = listening.take() {
            let _ = listening.send(());
        }
        // Signals sent while the connection was away are gone, as they may be: each is
        // replaced by the next within seconds.
        while let Ok(notification) = listener.recv().await {
            let (Ok(typing), Some(registry)) = (
                serde_json::from_str::<Typing>(notification.payload()),
                registry.upgrade(),
            ) else {
                continue;
            };
            deliver(&registry, typing);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
