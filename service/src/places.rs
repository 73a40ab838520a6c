//! Where each waiting customer stands in their queue, kept by the live feed as it follows the
//! log, so that a customer's place costs nothing per customer per event.
//!
//! Answering every customer stream's "where am I?" from the read models cost a count over the
//! queue per stream per event: a pickup in a queue of N was N queries, and a surge was
//! quadratic. Instead the feed folds the chat events it tails anyway into one order per
//! queue (arrival time, then chat id: the read models' order) and, per batch, recomputes
//! only the pace of the queues it touched (one 20-row index read each). A customer's stream
//! waits on its queue's beat and, when it comes, looks its place up here: a binary search.
//!
//! A queue beats when it changed, at most once per [`BEAT`]: at once if it has been quiet for
//! that long, else when the beat ends. So a customer hears their place at most once a second
//! (besides the place they hear at once on joining a queue) and always the latest, however fast the queue moves, and all of a queue's customers wake
//! together, once, rather than each on a timer of their own.
//!
//! The book is derived from the log alone (plus, at start, a snapshot of the read models
//! taken with their checkpoint), so every node computes the same places; nothing here must
//! survive a restart.

use samtale_domain::ChatEvent;
use samtale_projections::read::estimated_wait;
use samtale_projections::timestamp;
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// The least time between two beats of one queue.
pub const BEAT: Duration = Duration::from_secs(1);

/// A customer's place in line, as their stream's `queue` frame tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// 1 is next.
    pub position: i64,
    pub estimated_wait_seconds: Option<i64>,
}

/// One queue's waiting chats in the order they leave it.
#[derive(Default)]
struct QueueOrder {
    /// `(queued_at, chat_id)`, sorted: the read models' `ORDER BY queued_at, chat_id`. A sorted
    /// vector, not a tree, because a place is a rank and a vector gives it by binary search;
    /// moving the tail on a removal is a memmove of a few hundred kilobytes at worst.
    waiting: Vec<(String, String)>,
    /// Seconds per assignment lately; `None` until the queue has one.
    pace: Option<f64>,
    changed: Option<watch::Sender<u64>>,
    /// When the queue last beat.
    beat: Option<Instant>,
}

impl QueueOrder {
    fn insert(&mut self, entry: (String, String)) {
        if let Err(at) = self.waiting.binary_search(&entry) {
            self.waiting.insert(at, entry);
        }
    }

    fn remove(&mut self, entry: &(String, String)) {
        if let Ok(at) = self.waiting.binary_search(entry) {
            self.waiting.remove(at);
        }
    }

    fn rank(&self, entry: &(String, String)) -> Option<i64> {
        let at = self.waiting.binary_search(entry).ok()?;
        i64::try_from(at + 1).ok()
    }

    /// When the beat that started last ends.
    fn beat_ends(&self) -> Option<Instant> {
        self.beat.map(|beat| beat + BEAT)
    }

    fn beat_now(&mut self, now: Instant) {
        self.beat = Some(now);
        if let Some(changed) = &self.changed {
            changed.send_modify(|n| *n = n.wrapping_add(1));
        }
    }
}

/// Every queue's order, and where each waiting chat is in it.
#[derive(Default)]
pub struct PlaceBook {
    queues: HashMap<String, QueueOrder>,
    /// A waiting chat's queue and arrival time.
    waiting: HashMap<String, (String, String)>,
    /// When each chat seen waiting arrived, kept until it ends: a transfer puts a chat back in
    /// line at its original arrival, and the event does not say when that was.
    arrivals: HashMap<String, String>,
    /// Queues changed since the last [`PlaceBook::touched`].
    touched: HashSet<String>,
    /// Queues that changed during their beat, to beat again when it ends.
    due: HashSet<String>,
}

/// What folding an event needs to know and the event does not say.
#[derive(Debug, PartialEq, Eq)]
pub enum Missing {
    /// A transferred chat's original arrival, for a chat this book never saw waiting.
    ArrivalOf(String),
}

impl PlaceBook {
    /// A book of the chats waiting now: `(queue, chat, queued_at)`.
    pub fn from_waiting(waiting: impl IntoIterator<Item = (String, String, String)>) -> Self {
        let mut book = Self::default();
        for (queue, chat, queued_at) in waiting {
            book.enqueue(chat, queue, queued_at);
        }
        book.touched.clear();
        book
    }

    /// The arrival time a transfer of `chat_id` needs, if the book does not know it.
    pub fn missing(&self, chat_id: &str, event: &ChatEvent) -> Option<Missing> {
        match event {
            ChatEvent::ChatTransferred { .. } | ChatEvent::ChatRequeued { .. }
                if !self.arrivals.contains_key(chat_id) =>
            {
                Some(Missing::ArrivalOf(chat_id.to_string()))
            }
            _ => None,
        }
    }

    /// Tells the book when a chat arrived (the read model's `queued_at`), for a transfer.
    pub fn remember_arrival(&mut self, chat_id: &str, queued_at: String) {
        self.arrivals.insert(chat_id.to_string(), queued_at);
    }

    /// Folds one chat event, as the conversations projection does for `status`, `queue_id` and
    /// `queued_at`. A transfer of a chat whose arrival is unknown (see [`PlaceBook::missing`])
    /// queues it at the transfer's time rather than not at all.
    pub fn apply(&mut self, chat_id: &str, event: &ChatEvent) {
        match event {
            ChatEvent::ChatRequested { queue_id, at, .. } => {
                self.enqueue(chat_id.to_string(), queue_id.to_string(), timestamp(*at));
            }
            ChatEvent::ChatAssigned { .. } => self.dequeue(chat_id),
            ChatEvent::ChatTransferred {
                to_queue: queue,
                at,
                ..
            }
            | ChatEvent::ChatRequeued {
                queue_id: queue,
                at,
                ..
            } => {
                let to_queue = queue;
                self.dequeue(chat_id);
                let queued_at = self
                    .arrivals
                    .get(chat_id)
                    .cloned()
                    .unwrap_or_else(|| timestamp(*at));
                self.enqueue(chat_id.to_string(), to_queue.to_string(), queued_at);
            }
            ChatEvent::ChatEnded { .. } | ChatEvent::CustomerClosedClient { .. } => {
                self.dequeue(chat_id);
                self.arrivals.remove(chat_id);
            }
            // Only ended chats are held or erased, an offered chat keeps its place until it is
            // accepted (an assignment), a hand-over is from agent to agent, and a left message
            // never waits in the queue: no place changes.
            ChatEvent::MessageLeft { .. }
            | ChatEvent::NoteAdded { .. }
            | ChatEvent::HandRaised { .. }
            | ChatEvent::HandLowered { .. }
            | ChatEvent::ColleagueInvited { .. }
            | ChatEvent::InvitationDeclined { .. }
            | ChatEvent::ParticipantJoined { .. }
            | ChatEvent::ParticipantLeft { .. }
            | ChatEvent::LeftMessageAnswered { .. }
            | ChatEvent::ChatHandedOver { .. }
            | ChatEvent::ChatOffered { .. }
            | ChatEvent::OfferDeclined { .. }
            | ChatEvent::OfferExpired { .. }
            | ChatEvent::OfferWithdrawn { .. }
            | ChatEvent::ChatWrappedUp { .. }
            | ChatEvent::ChatRated { .. }
            | ChatEvent::TranscriptRequested { .. }
            | ChatEvent::TranscriptSent { .. }
            | ChatEvent::TranscriptUndeliverable { .. }
            | ChatEvent::WrapUpStarted { .. }
            | ChatEvent::WrapUpExtended { .. }
            | ChatEvent::WrapUpFinished { .. }
            | ChatEvent::MessageSent { .. }
            | ChatEvent::AttachmentSent { .. }
            | ChatEvent::MessagesRead { .. }
            | ChatEvent::CustomerNotified { .. }
            | ChatEvent::LegalHoldPlaced { .. }
            | ChatEvent::LegalHoldLifted { .. }
            | ChatEvent::ChatErased { .. } => {}
        }
    }

    fn enqueue(&mut self, chat_id: String, queue: String, queued_at: String) {
        self.dequeue(&chat_id);
        self.arrivals.insert(chat_id.clone(), queued_at.clone());
        self.queues
            .entry(queue.clone())
            .or_default()
            .insert((queued_at.clone(), chat_id.clone()));
        self.touched.insert(queue.clone());
        self.waiting.insert(chat_id, (queue, queued_at));
    }

    fn dequeue(&mut self, chat_id: &str) {
        if let Some((queue, queued_at)) = self.waiting.remove(chat_id) {
            if let Some(order) = self.queues.get_mut(&queue) {
                order.remove(&(queued_at, chat_id.to_string()));
            }
            self.touched.insert(queue);
        }
    }

    /// The queues changed since the last call, which their customers must hear of.
    pub fn touched(&mut self) -> Vec<String> {
        self.touched.drain().collect()
    }

    /// Sets a queue's pace (seconds per assignment, from the read models).
    pub fn set_pace(&mut self, queue: &str, pace: Option<f64>) {
        self.queues.entry(queue.to_string()).or_default().pace = pace;
    }

    /// Tells the customers waiting in `queue` that it changed: at once if its last beat has
    /// ended, else when it ends ([`PlaceBook::beat_due`]).
    pub fn announce(&mut self, queue: &str, now: Instant) {
        let Some(order) = self.queues.get_mut(queue) else {
            return;
        };
        if order.beat_ends().is_some_and(|ends| now < ends) {
            self.due.insert(queue.to_string());
        } else {
            order.beat_now(now);
        }
    }

    /// Beats the queues announced during a beat that has ended by `now`; returns when the
    /// next of the others ends.
    pub fn beat_due(&mut self, now: Instant) -> Option<Instant> {
        let queues = &mut self.queues;
        let mut next: Option<Instant> = None;
        self.due.retain(|queue| {
            let Some(order) = queues.get_mut(queue) else {
                return false;
            };
            match order.beat_ends() {
                Some(ends) if now < ends => {
                    next = Some(next.map_or(ends, |next| next.min(ends)));
                    true
                }
                _ => {
                    order.beat_now(now);
                    false
                }
            }
        });
        next
    }

    /// A waiting chat's queue and place; `None` when it is not waiting.
    pub fn place(&self, chat_id: &str) -> Option<(String, Place)> {
        let (queue, queued_at) = self.waiting.get(chat_id)?;
        let order = self.queues.get(queue)?;
        let position = order.rank(&(queued_at.clone(), chat_id.to_string()))?;
        Some((
            queue.clone(),
            Place {
                position,
                estimated_wait_seconds: order.pace.map(|pace| estimated_wait(pace, position)),
            },
        ))
    }

    /// A receiver that changes on each of `queue`'s beats.
    pub fn watch(&mut self, queue: &str) -> watch::Receiver<u64> {
        let order = self.queues.entry(queue.to_string()).or_default();
        order
            .changed
            .get_or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }

    /// How many chats wait in `queue`.
    pub fn waiting_in(&self, queue: &str) -> usize {
        self.queues
            .get(queue)
            .map_or(0, |order| order.waiting.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};
    use samtale_domain::chat::Assignment;
    use samtale_domain::text::Name;
    use samtale_domain::{Actor, QueueId, UserId};

    fn requested(queue: QueueId, second: i64) -> ChatEvent {
        ChatEvent::ChatRequested {
            queue_id: queue,
            category_id: None,
            customer_name: Name::parse("Kunde").expect("a name").into(),
            answers: vec![].into(),
            known_customer: None,
            by: Actor::Customer,
            at: Utc.timestamp_opt(1_700_000_000, 0).unwrap() + Duration::seconds(second),
        }
    }

    fn assigned() -> ChatEvent {
        ChatEvent::ChatAssigned {
            agent_id: UserId(uuid::Uuid::now_v7()),
            via: Assignment::Pickup,
            choice: None,
            by: Actor::Routing,
            at: Utc::now(),
        }
    }

    fn transferred(from: QueueId, to: QueueId, from_agent: Option<UserId>) -> ChatEvent {
        ChatEvent::ChatTransferred {
            from_queue: from,
            from_category: None,
            to_queue: to,
            to_category: None,
            from_agent,
            by: Actor::System,
            at: Utc::now(),
        }
    }

    fn position(book: &PlaceBook, chat: &str) -> Option<i64> {
        book.place(chat).map(|(_, place)| place.position)
    }

    #[test]
    fn places_follow_arrival_and_close_up_when_someone_leaves() {
        let queue = QueueId(uuid::Uuid::now_v7());
        let mut book = PlaceBook::default();
        // Arriving out of log order: the earlier arrival is ahead.
        book.apply("b", &requested(queue, 2));
        book.apply("a", &requested(queue, 1));
        book.apply("c", &requested(queue, 3));
        assert_eq!(book.touched(), vec![queue.to_string()]);
        assert_eq!(
            ["a", "b", "c"].map(|c| position(&book, c)),
            [Some(1), Some(2), Some(3)]
        );
        book.apply("a", &assigned());
        assert_eq!(
            ["a", "b", "c"].map(|c| position(&book, c)),
            [None, Some(1), Some(2)]
        );
        book.apply(
            "c",
            &ChatEvent::CustomerClosedClient {
                abandoned: true,
                agent_id: None,
                by: Actor::Customer,
                at: Utc::now(),
            },
        );
        assert_eq!(position(&book, "c"), None);
        assert_eq!(book.waiting_in(&queue.to_string()), 1);
    }

    #[test]
    fn a_transferred_chat_keeps_its_arrival_in_the_new_queue() {
        let (first, second) = (QueueId(uuid::Uuid::now_v7()), QueueId(uuid::Uuid::now_v7()));
        let mut book = PlaceBook::default();
        book.apply("early", &requested(first, 1));
        book.apply("late", &requested(second, 5));
        book.apply("early", &assigned());
        book.touched();
        let back = transferred(first, second, Some(UserId(uuid::Uuid::now_v7())));
        assert_eq!(book.missing("early", &back), None);
        book.apply("early", &back);
        assert_eq!(position(&book, "early"), Some(1));
        assert_eq!(position(&book, "late"), Some(2));
        assert_eq!(book.touched(), vec![second.to_string()]);
    }

    #[test]
    fn a_transfer_of_a_chat_never_seen_waiting_asks_for_its_arrival() {
        let (first, second) = (QueueId(uuid::Uuid::now_v7()), QueueId(uuid::Uuid::now_v7()));
        let mut book = PlaceBook::from_waiting([(
            second.to_string(),
            "late".to_string(),
            timestamp(Utc.timestamp_opt(1_700_000_005, 0).unwrap()),
        )]);
        let back = transferred(first, second, Some(UserId(uuid::Uuid::now_v7())));
        assert_eq!(
            book.missing("old", &back),
            Some(Missing::ArrivalOf("old".into()))
        );
        book.remember_arrival(
            "old",
            timestamp(Utc.timestamp_opt(1_700_000_000, 0).unwrap()),
        );
        book.apply("old", &back);
        assert_eq!(position(&book, "old"), Some(1));
        assert_eq!(position(&book, "late"), Some(2));
    }

    #[test]
    fn the_estimate_is_the_pace_times_the_place() {
        let queue = QueueId(uuid::Uuid::now_v7());
        let mut book = PlaceBook::default();
        book.apply("a", &requested(queue, 1));
        book.apply("b", &requested(queue, 2));
        assert_eq!(book.place("b").unwrap().1.estimated_wait_seconds, None);
        book.set_pace(&queue.to_string(), Some(30.0));
        assert_eq!(book.place("b").unwrap().1.estimated_wait_seconds, Some(60));
    }

    #[test]
    fn announcing_a_queue_wakes_its_watchers() {
        let queue = QueueId(uuid::Uuid::now_v7()).to_string();
        let mut book = PlaceBook::default();
        let mut watcher = book.watch(&queue);
        assert!(!watcher.has_changed().unwrap());
        book.announce(&queue, Instant::now());
        assert!(watcher.has_changed().unwrap());
        watcher.borrow_and_update();
        book.announce("another queue", Instant::now());
        assert!(!watcher.has_changed().unwrap());
    }

    #[test]
    fn a_queue_beats_at_most_once_a_second_and_once_more_for_what_changed_meanwhile() {
        let queue = QueueId(uuid::Uuid::now_v7()).to_string();
        let mut book = PlaceBook::default();
        let mut watcher = book.watch(&queue);
        let start = Instant::now();
        let at = |millis| start + std::time::Duration::from_millis(millis);
        book.announce(&queue, at(0));
        assert!(
            watcher.has_changed().unwrap(),
            "a quiet queue beats at once"
        );
        watcher.borrow_and_update();
        book.announce(&queue, at(300));
        book.announce(&queue, at(600));
        assert!(!watcher.has_changed().unwrap(), "not within the beat");
        assert_eq!(book.beat_due(at(700)), Some(at(1000)));
        assert!(!watcher.has_changed().unwrap());
        assert_eq!(book.beat_due(at(1000)), None);
        assert!(watcher.has_changed().unwrap(), "once for both changes");
        watcher.borrow_and_update();
        assert_eq!(book.beat_due(at(2500)), None);
        assert!(!watcher.has_changed().unwrap(), "nothing changed since");
        book.announce(&queue, at(2500));
        assert!(watcher.has_changed().unwrap(), "quiet again: at once");
    }
}
