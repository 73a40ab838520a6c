//! The live feed: one task per node follows the log and fans each settled, projected batch
//! out to this node's SSE connections.
//!
//! The feed sends a batch once the local read models have folded it, so a client that reacts
//! to an event by reading sees that event's effect. It takes most batches from this node's
//! projections as they fold them, already decoded, and reads the rest from the log: those
//! another node folded first ([`crate::folded`]). The fan-out is a bounded `broadcast` channel: a connection that falls behind by
//! more than its capacity is dropped and resumes later with `Last-Event-ID`, so a slow client
//! can never make the server buffer without bound.
//!
//! Customers' streams are not on that channel: each wants one chat's events and its place in
//! line, and waking ten thousand of them for every batch to let each ignore it was most of a
//! surge's cost. The feed hands each batch's events to the streams of their chat only
//! ([`LiveFeed::subscribe_chat`]), and keeps every queue's order in a [`PlaceBook`] that a
//! customer's stream consults on its queue's beat ([`LiveFeed::watch_queue`]).

use crate::folded::Folded;
use crate::places::{Missing, Place, PlaceBook};
pub use crate::scope::{Scope, Scoper};
use samtale_eventlog::{EventLog, LogError, LogPosition};
use samtale_projections::read::{self, QueueStatus};
use samtale_projections::{DomainEvent, Projections, SamtaleEvent};
use sqlx::AnyPool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
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

/// Batches of its own chat a customer's stream may fall behind before it is dropped (it then
/// resumes from its last id, losing nothing): a chat's own events come far slower than
/// everyone's, and each waiting customer has a channel of its own whose slots are allocated up
/// front, so this is kept small — in a surge it is most of what a waiting stream costs.
const CHAT_CAPACITY: usize = 16;

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
    places: Arc<RwLock<PlaceBook>>,
    chats: Arc<ChatRoutes>,
}

/// The customer streams open on this node, by chat.
#[derive(Default)]
struct ChatRoutes(Mutex<HashMap<String, broadcast::Sender<Arc<LiveBatch>>>>);

impl ChatRoutes {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, broadcast::Sender<Arc<LiveBatch>>>> {
        // The map stays consistent whatever panicked while holding it.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Hands each chat with an open stream the batch's events that concern it.
    fn route(&self, events: &[LiveEvent], last: LogPosition) {
        let routes = self.lock();
        if routes.is_empty() {
            return;
        }
        let mut by_chat: HashMap<&str, Vec<LiveEvent>> = HashMap::new();
        for live in events {
            if let Some(chat) = live.scope.chat_id.as_deref() {
                if routes.contains_key(chat) {
                    by_chat.entry(chat).or_default().push(live.clone());
                }
            }
        }
        for (chat, events) in by_chat {
            if let Some(route) = routes.get(chat) {
                let _ = route.send(Arc::new(LiveBatch {
                    events,
                    board: None,
                    last,
                }));
            }
        }
    }
}

/// One customer stream's share of the feed: its chat's events. Dropping it forgets the chat
/// once no other stream of it is open.
pub struct ChatSubscription {
    pub receiver: broadcast::Receiver<Arc<LiveBatch>>,
    chat_id: String,
    routes: Arc<ChatRoutes>,
}

impl Drop for ChatSubscription {
    fn drop(&mut self) {
        let mut routes = self.routes.lock();
        // This subscription's receiver still counts here.
        if routes
            .get(&self.chat_id)
            .is_some_and(|route| route.receiver_count() <= 1)
        {
            routes.remove(&self.chat_id);
        }
    }
}

fn read_book(book: &RwLock<PlaceBook>) -> std::sync::RwLockReadGuard<'_, PlaceBook> {
    book.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write_book(book: &RwLock<PlaceBook>) -> std::sync::RwLockWriteGuard<'_, PlaceBook> {
    book.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
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
            places: Arc::default(),
            chats: Arc::default(),
        };
        let db = projections.database().any().clone();
        let (places, chats) = (feed.places.clone(), feed.chats.clone());
        tokio::spawn(async move {
            // The book starts from the read models as they stood at their checkpoint, and
            // folds the log from there; the feed sends only what comes after `start`.
            projections.wait_for(start, Duration::from_secs(5)).await;
            let booked = loop {
                match read::waiting_snapshot(&db).await {
                    Ok((at, waiting)) => {
                        *write_book(&places) = PlaceBook::from_waiting(waiting);
                        break at;
                    }
                    Err(error) => {
                        tracing::warn!(%error, "live feed cannot read the waiting chats; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            };
            let mut folded = Folded::new(log, projections, booked.min(start));
            let mut scoper = Scoper::new(db.clone());
            // When the next board is due: at most one board query per interval per node,
            // however busy the queues are.
            let mut board_due: Option<tokio::time::Instant> = None;
            // When the next queue's beat ends that has changes to announce.
            let mut beat_due: Option<tokio::time::Instant> = None;
            loop {
                let next = tokio::select! {
                    next = folded.next_batch() => next,
                    () = sleep_until_due(beat_due) => {
                        beat_due = write_book(&places).beat_due(tokio::time::Instant::now());
                        continue;
                    }
                    () = sleep_until_due(board_due) => {
                        board_due = None;
                        if let Ok(board) = read::queue_board(&db, None).await {
                            let last = folded.position();
                            let _ = sender.send(Arc::new(LiveBatch { events: vec![], board: Some(board), last }));
                        }
                        continue;
                    }
                };
                let decoded = match next {
                    Ok(decoded) => decoded,
                    Err(error) => {
                        tracing::warn!(%error, "live feed cannot read the log; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                };
                let last = folded.position();
                let unbooked: Vec<&SamtaleEvent> =
                    decoded.iter().filter(|e| e.position > booked).collect();
                update_places(&places, &db, &unbooked).await;
                beat_due = write_book(&places).beat_due(tokio::time::Instant::now());
                let mut events = Vec::with_capacity(decoded.len());
                for event in decoded.into_iter().filter(|e| e.position > start) {
                    let scope = scoper.scope(&event).await;
                    events.push(LiveEvent { event, scope });
                }
                if last <= start {
                    continue;
                }
                let changes_board = !events.is_empty();
                chats.route(&events, last);
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

    /// The events of one chat, for its customer's stream.
    pub fn subscribe_chat(&self, chat_id: &str) -> ChatSubscription {
        let receiver = self
            .chats
            .lock()
            .entry(chat_id.to_string())
            .or_insert_with(|| broadcast::channel(CHAT_CAPACITY).0)
            .subscribe();
        ChatSubscription {
            receiver,
            chat_id: chat_id.to_string(),
            routes: self.chats.clone(),
        }
    }

    /// A waiting chat's queue and place in it, as of the last batch; `None` if not waiting.
    pub fn place(&self, chat_id: &str) -> Option<(String, Place)> {
        read_book(&self.places).place(chat_id)
    }

    /// Changes on each of `queue`'s beats: at most once a second, when its order or pace did.
    pub fn watch_queue(&self, queue: &str) -> watch::Receiver<u64> {
        write_book(&self.places).watch(queue)
    }

    /// The last position sent to subscribers.
    pub fn position(&self) -> LogPosition {
        *self.position.borrow()
    }

    pub fn log(&self) -> &Arc<dyn EventLog> {
        &self.log
    }
}

/// Folds a batch's chat events into the place book, then refreshes the pace of each queue they
/// changed (one short index read per queue, not per customer) and tells its customers.
async fn update_places(places: &RwLock<PlaceBook>, db: &AnyPool, events: &[&SamtaleEvent]) {
    let chat_events = || {
        events.iter().filter_map(|e| match &e.event {
            DomainEvent::Chat(chat) => Some((e.aggregate_id.as_str(), chat)),
            _ => None,
        })
    };
    let missing: Vec<Missing> = {
        let book = read_book(places);
        chat_events()
            .filter_map(|(chat_id, event)| book.missing(chat_id, event))
            .collect()
    };
    let mut arrivals = Vec::new();
    for Missing::ArrivalOf(chat_id) in missing {
        // The read model has folded this batch (or the feed warned that it lags); a chat's
        // arrival never changes once set, so any row of it will do.
        if let Ok(Some(chat)) = read::chat(db, &chat_id).await {
            arrivals.push((chat_id, chat.queued_at));
        }
    }
    let touched = {
        let mut book = write_book(places);
        for (chat_id, queued_at) in arrivals {
            book.remember_arrival(&chat_id, queued_at);
        }
        for (chat_id, event) in chat_events() {
            book.apply(chat_id, event);
        }
        book.touched()
    };
    if touched.is_empty() {
        return;
    }
    let mut paces = Vec::with_capacity(touched.len());
    for queue in &touched {
        match read::queue_pace(db, queue).await {
            Ok(pace) => paces.push((queue, Some(pace))),
            Err(error) => {
                tracing::warn!(%error, "live feed cannot read a queue's pace");
                paces.push((queue, None));
            }
        }
    }
    let mut book = write_book(places);
    let now = tokio::time::Instant::now();
    for (queue, pace) in paces {
        if let Some(pace) = pace {
            book.set_pace(queue, pace);
        }
        book.announce(queue, now);
    }
}
