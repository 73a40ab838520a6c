//! The live feed: one task per node follows the log and fans each settled, projected batch
//! out to this node's SSE connections.
//!
//! The feed tails the log itself rather than listening to this node's projections, because
//! another node may have folded an event first; it waits for the local read models to reach a
//! batch before sending it, so a client that reacts to an event by reading sees that event's
//! effect. The fan-out is a bounded `broadcast` channel: a connection that falls behind by
//! more than its capacity is dropped and resumes later with `Last-Event-ID`, so a slow client
//! can never make the server buffer without bound.

use samtale_domain::ChatEvent;
use samtale_eventlog::{EventLog, LogError, LogPosition, Tail};
use samtale_projections::read::{self, QueueStatus};
use samtale_projections::{decode, DomainEvent, Projections, SamtaleEvent};
use sqlx::AnyPool;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch};

/// How often the queue board is recomputed and sent while queues are changing.
const BOARD_INTERVAL: Duration = Duration::from_millis(250);

async fn sleep_until_due(due: Option<tokio::time::Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

/// Batches a connection may fall behind before it is dropped.
const FAN_OUT_CAPACITY: usize = 256;

/// Whose business an event is: the chat it concerns, that chat's queue(s) and agent(s).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    pub chat_id: Option<String>,
    /// The chat's queue when the event happened; both queues for a transfer.
    pub queues: Vec<String>,
    /// The assigned agent, and for a transfer the agent it left.
    pub agents: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct LiveEvent {
    pub event: SamtaleEvent,
    pub scope: Scope,
}

#[derive(Debug)]
pub struct LiveBatch {
    pub events: Vec<LiveEvent>,
    /// The queue board after the batch, when the batch could have changed it.
    pub board: Option<Vec<QueueStatus>>,
    pub last: LogPosition,
}

#[derive(Clone)]
pub struct LiveFeed {
    sender: broadcast::Sender<Arc<LiveBatch>>,
    position: watch::Receiver<LogPosition>,
    log: Arc<dyn EventLog>,
}

impl LiveFeed {
    /// Starts following the log from its current end.
    pub async fn start(
        log: Arc<dyn EventLog>,
        projections: Arc<Projections>,
    ) -> Result<Self, LogError> {
        let start = log.head().await?;
        let (sender, _) = broadcast::channel(FAN_OUT_CAPACITY);
        let (position_tx, position) = watch::channel(start);
        let feed = Self {
            sender: sender.clone(),
            position,
            log: log.clone(),
        };
        let db = projections.database().any().clone();
        tokio::spawn(async move {
            let mut tail = Tail::new(log.as_ref(), start, 500);
            let mut scoper = Scoper::new(db.clone());
            // When the next board is due: at most one board query per interval per node,
            // however busy the queues are.
            let mut board_due: Option<tokio::time::Instant> = None;
            loop {
                let next = tokio::select! {
                    next = tail.next_batch() => next,
                    () = sleep_until_due(board_due) => {
                        board_due = None;
                        if let Ok(board) = read::queue_board(&db, None).await {
                            let last = tail.position();
                            let _ = sender.send(Arc::new(LiveBatch { events: vec![], board: Some(board), last }));
                        }
                        continue;
                    }
                };
                let batch = match next {
                    Ok(batch) => batch,
                    Err(error) => {
                        tracing::warn!(%error, "live feed cannot read the log; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                };
                let last = tail.position();
                if !projections.wait_for(last, Duration::from_secs(5)).await {
                    tracing::warn!(
                        position = last.position,
                        "live feed sends ahead of lagging read models"
                    );
                }
                let mut events = Vec::with_capacity(batch.len());
                for logged in batch {
                    match decode(logged) {
                        Ok(Some(event)) => {
                            let scope = scoper.scope(&event).await;
                            events.push(LiveEvent { event, scope });
                        }
                        Ok(None) => {}
                        Err(error) => {
                            tracing::error!(%error, "live feed skips an undecodable event")
                        }
                    }
                }
                let changes_board = !events.is_empty();
                // Events first: the board is a convenience and must not delay a message.
                let _ = sender.send(Arc::new(LiveBatch {
                    events,
                    board: None,
                    last,
                }));
                if changes_board {
                    board_due.get_or_insert_with(|| tokio::time::Instant::now() + BOARD_INTERVAL);
                }
                position_tx.send_replace(last);
            }
        });
        Ok(feed)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveBatch>> {
        self.sender.subscribe()
    }

    /// The last position sent to subscribers.
    pub fn position(&self) -> LogPosition {
        *self.position.borrow()
    }

    pub fn log(&self) -> &Arc<dyn EventLog> {
        &self.log
    }
}

/// Works out the scope of chat events, remembering each chat's queue and agent as it folds
/// the events it sees, and asking the read model about chats it meets for the first time.
pub struct Scoper {
    db: AnyPool,
    chats: HashMap<String, (String, Option<String>)>,
}

impl Scoper {
    pub fn new(db: AnyPool) -> Self {
        Self {
            db,
            chats: HashMap::new(),
        }
    }

    pub async fn scope(&mut self, event: &SamtaleEvent) -> Scope {
        let DomainEvent::Chat(chat_event) = &event.event else {
            return Scope::default();
        };
        let chat_id = event.aggregate_id.clone();
        let known = match self.chats.get(&chat_id) {
            Some(known) => Some(known.clone()),
            None => read::chat(&self.db, &chat_id)
                .await
                .ok()
                .flatten()
                .map(|c| (c.queue_id, c.agent_id)),
        };
        let (mut queue, mut agent) = known.unwrap_or_default();
        let mut scope = Scope {
            chat_id: Some(chat_id.clone()),
            ..Scope::default()
        };
        match chat_event {
            ChatEvent::ChatRequested { queue_id, .. } => queue = queue_id.to_string(),
            ChatEvent::ChatAssigned { agent_id, .. } => agent = Some(agent_id.to_string()),
            ChatEvent::ChatTransferred {
                from_queue,
                to_queue,
                from_agent,
                ..
            } => {
                scope.queues.push(from_queue.to_string());
                scope.agents.extend(from_agent.map(|a| a.to_string()));
                queue = to_queue.to_string();
                agent = None;
            }
            _ => {}
        }
        scope.queues.push(queue.clone());
        scope.agents.extend(agent.clone());
        match chat_event {
            ChatEvent::ChatEnded { .. } | ChatEvent::CustomerClosedClient { .. } => {
                self.chats.remove(&chat_id);
            }
            _ => {
                // A chat that never ends (a customer who vanished mid-queue) must not pin memory
                // forever; forgetting only costs a read-model lookup next time.
                if self.chats.len() >= 100_000 {
                    self.chats.clear();
                }
                self.chats.insert(chat_id, (queue, agent));
            }
        }
        scope
    }
}
