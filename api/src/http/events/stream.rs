//! One open stream: the missed events from the log, then the live feed, for its audience.
//!
//! A customer's stream follows its chat's events only, and its place in line from the live
//! feed's place book: on each beat of its queue (at most one a second, see
//! `samtale_service::places`) it looks its place up (no query) and sends it if it moved, and
//! it sends it at once when its own chat joins a queue.

use super::audience::Audience;
use super::frames::{board_frame, frame_for, typing_frame};
use crate::listen::stopped;
use crate::occupancy::Seat;
use crate::state::AppState;
use axum::response::sse::Event;
use samtale_eventlog::LogPosition;
use samtale_projections::read::{self};
use samtale_projections::{decode, DomainEvent};
use samtale_service::live::{ChatSubscription, LiveBatch, LiveEvent, Scope, Scoper};
use samtale_service::typing::TypingSubscription;
use serde_json::json;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc, watch};

/// Where a stream's live events come from.
pub(super) enum Feed {
    /// Everything the node's live feed sends (staff, who filter it by audience).
    All(broadcast::Receiver<Arc<LiveBatch>>),
    /// One chat's events (its customer).
    Chat(ChatSubscription),
}

impl Feed {
    fn receiver(&mut self) -> &mut broadcast::Receiver<Arc<LiveBatch>> {
        match self {
            Feed::All(receiver) => receiver,
            Feed::Chat(subscription) => &mut subscription.receiver,
        }
    }
}

/// What a customer's stream knows of their place in line.
struct PlaceTracker {
    chat_id: String,
    /// The place last sent; `None` before any, or once the chat stopped waiting.
    sent: Option<i64>,
    /// The queue the chat waits in, and its beat.
    queue: Option<(String, watch::Receiver<u64>)>,
}

impl PlaceTracker {
    /// Returns when the place should be looked at again: on the queue's next beat.
    async fn due(&mut self) {
        let gone = match &mut self.queue {
            Some((_, changed)) => changed.changed().await.is_err(),
            None => true,
        };
        if gone {
            std::future::pending::<()>().await;
        }
    }
}

async fn place_due(place: &mut Option<PlaceTracker>) {
    match place {
        Some(place) => place.due().await,
        None => std::future::pending().await,
    }
}

/// How often a customer's open stream records that they have the chat open.
pub(crate) const SEEN_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// The next heartbeat of a customer's stream; never, for staff.
async fn seen_due(seen: &mut Option<tokio::time::Interval>) {
    match seen {
        Some(seen) => {
            seen.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// SSE frames buffered per connection before the connection counts as not reading.
const CONNECTION_BUFFER: usize = 64;

pub(super) struct Stream {
    state: AppState,
    audience: Audience,
    tx: mpsc::Sender<Result<Event, Infallible>>,
    /// The last log position sent (or skipped as not this audience's).
    delivered: LogPosition,
    /// A customer's place in line; `None` for staff.
    place: Option<PlaceTracker>,
    /// Its place under the caps on streams per token and per address, given back as it ends.
    _seat: Seat,
}

/// Why a stream stops: the client went away or stopped reading, or may no longer listen.
pub(super) struct Closed;

impl Stream {
    /// Starts the stream's task; what it sends comes out of the returned receiver.
    pub(super) fn spawn(
        state: AppState,
        audience: Audience,
        resume: Option<Option<LogPosition>>,
        live: Feed,
        revocations: broadcast::Receiver<String>,
        seat: Seat,
    ) -> mpsc::Receiver<Result<Event, Infallible>> {
        let (tx, rx) = mpsc::channel(CONNECTION_BUFFER);
        let place = match &audience {
            Audience::Customer { chat_id } => Some(PlaceTracker {
                chat_id: chat_id.clone(),
                sent: None,
                queue: None,
            }),
            Audience::Staff { .. } => None,
        };
        // Subscribed before the stream answers, so a signal sent the moment it is open reaches it.
        let typing = state.typing.subscribe(audience.typing_routes());
        tokio::spawn(async move {
            let stream = Stream {
                state,
                audience,
                tx,
                delivered: LogPosition::START,
                place,
                _seat: seat,
            };
            stream.run(resume, live, revocations, typing).await;
        });
        rx
    }

    async fn send(&self, event: Event) -> Result<(), Closed> {
        // A full buffer means the client reads slower than events come. Waiting here is the
        // back-pressure that lets a resuming client take its replay at its own pace; while
        // it waits, the live channel may lap this stream, which `run` notices on its next
        // receive and ends the stream. A client that stops reading altogether never frees a
        // slot, so nothing here would ever run again: its socket's write timeout
        // (`crate::write_timeout`) closes the connection, the receiver goes with it, and this
        // send fails. Either way the client resumes with Last-Event-ID.
        self.tx.send(Ok(event)).await.map_err(|_| Closed)
    }

    async fn run(
        mut self,
        resume: Option<Option<LogPosition>>,
        mut live: Feed,
        mut revocations: broadcast::Receiver<String>,
        mut typing: TypingSubscription,
    ) {
        let caught_up_to = self.state.live.position();
        let opened = match resume {
            Some(Some(from)) => Box::pin(self.replay(from, caught_up_to)).await,
            Some(None) => self.send(Event::default().event("resync").data("{}")).await,
            None => Ok(()),
        };
        if opened.is_err() || Box::pin(self.snapshot()).await.is_err() {
            return;
        }
        if self.delivered < caught_up_to {
            self.delivered = caught_up_to;
        }
        let mut stopping = self.state.stopping.clone();
        let mut seen = match &self.audience {
            Audience::Customer { .. } => Some(tokio::time::interval(SEEN_EVERY)),
            Audience::Staff { .. } => None,
        };
        loop {
            tokio::select! {
                () = seen_due(&mut seen) => self.record_seen().await,
                signal = typing.receiver.recv() => match signal {
                    Some(signal) if self.audience.sees_typing(&signal) => {
                        if self.send(typing_frame(&signal)).await.is_err() { return }
                    }
                    Some(_) => {}
                    None => return,
                },
                batch = live.receiver().recv() => match batch {
                    Ok(batch) => if self.forward(&batch).await.is_err() { return },
                    // Fell too far behind: end the stream; the client resumes from its last id.
                    Err(broadcast::error::RecvError::Lagged(_)) => return,
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                revoked = revocations.recv() => match (revoked, &self.audience) {
                    (Ok(hash), Audience::Staff { token_hash, .. }) if &hash == token_hash => return,
                    (Err(broadcast::error::RecvError::Closed), _) => return,
                    _ => {}
                },
                () = place_due(&mut self.place) => if self.announce_place().await.is_err() { return },
                () = self.tx.closed() => return,
                // The node is stopping: the client reconnects, to another node, from here.
                () = stopped(&mut stopping) => return,
            }
        }
    }

    /// The customer has the chat open now. A failed write is only a late "last seen".
    async fn record_seen(&self) {
        let Audience::Customer { chat_id } = &self.audience else {
            return;
        };
        let recorded = sqlx::query(
            "INSERT INTO customer_seen (chat_id, seen_at) VALUES ($1, $2)
             ON CONFLICT (chat_id) DO UPDATE SET seen_at = excluded.seen_at",
        )
        .bind(chat_id.clone())
        .bind(samtale_projections::timestamp(chrono::Utc::now()))
        .execute(self.state.db.any())
        .await;
        if let Err(error) = recorded {
            tracing::debug!(%error, "could not record that the customer has the chat open");
        }
    }

    /// Sends what the client missed after `from`, read from the log, up to where the live
    /// feed was when this stream subscribed.
    async fn replay(&mut self, from: LogPosition, until: LogPosition) -> Result<(), Closed> {
        let log = self.state.live.log().clone();
        let mut scoper = Scoper::new(self.state.db.any().clone());
        let mut after = from;
        while after < until {
            let Ok(batch) = log.read_after(after, 500).await else {
                return Err(Closed);
            };
            let Some(last) = batch.last() else { break };
            after = last.position;
            for logged in batch {
                if logged.position > until {
                    break;
                }
                let position = logged.position;
                if let Ok(Some(event)) = decode(logged) {
                    let scope: Scope = scoper.scope(&event).await;
                    let live = LiveEvent { event, scope };
                    if self.audience.sees(&live) {
                        self.send(frame_for(&self.audience, &live)).await?;
                    }
                }
                self.delivered = position;
            }
        }
        Ok(())
    }

    /// The current picture, so a (re)connected client need not fetch it separately.
    async fn snapshot(&mut self) -> Result<(), Closed> {
        if let Audience::Staff { .. } = self.audience {
            if let Ok(board) = read::queue_board(self.state.db.any(), None).await {
                if let Some(board) = self.audience.board(&board) {
                    self.send(board_frame(&board)).await?;
                }
            }
        }
        self.announce_place().await
    }

    async fn forward(&mut self, batch: &LiveBatch) -> Result<(), Closed> {
        let mut moved = false;
        for live in &batch.events {
            if live.event.position <= self.delivered {
                continue;
            }
            if self.audience.affects_membership(live) {
                Box::pin(self.reload_queues()).await;
            }
            if self.audience.sees(live) {
                self.send(frame_for(&self.audience, live)).await?;
            }
            moved |= self.moves_my_chat(live);
            self.delivered = live.event.position;
        }
        if let Some(board) = batch.board.as_ref().and_then(|b| self.audience.board(b)) {
            self.send(board_frame(&board)).await?;
        }
        if moved {
            // The chat may have joined a queue (a request, a transfer): follow that queue.
            self.announce_place().await?;
        }
        Ok(())
    }

    async fn reload_queues(&mut self) {
        if let Audience::Staff {
            user_id,
            queues: Some(queues),
            ..
        } = &mut self.audience
        {
            if let Ok(current) = read::member_queues(self.state.db.any(), user_id).await {
                *queues = current.into_iter().collect();
            }
        }
    }

    /// Did this event move the customer's own chat (into, out of or between queues)?
    fn moves_my_chat(&self, live: &LiveEvent) -> bool {
        let Audience::Customer { chat_id } = &self.audience else {
            return false;
        };
        live.scope.chat_id.as_deref() == Some(chat_id)
            && matches!(&live.event.event, DomainEvent::Chat(event) if !event.is_conversation())
    }

    /// Tells a waiting customer their place in the queue when it changed.
    async fn announce_place(&mut self) -> Result<(), Closed> {
        let Some(tracker) = self.place.as_mut() else {
            return Ok(());
        };
        if let Some((_, changed)) = tracker.queue.as_mut() {
            changed.borrow_and_update();
        }
        let now = self.state.live.place(&tracker.chat_id);
        match (&now, &tracker.queue) {
            (Some((queue, _)), Some((watched, _))) if queue == watched => {}
            (Some((queue, _)), _) => {
                let mut changed = self.state.live.watch_queue(queue);
                changed.borrow_and_update();
                tracker.queue = Some((queue.clone(), changed));
            }
            // Not waiting: its own chat's events say when it joins a queue again.
            (None, _) => tracker.queue = None,
        }
        let place = now.map(|(_, place)| place);
        let position = place.map(|p| p.position);
        if position == tracker.sent {
            return Ok(());
        }
        tracker.sent = position;
        let estimate = place.and_then(|p| p.estimated_wait_seconds);
        let data = json!({ "queue_position": position, "estimated_wait_seconds": estimate });
        self.send(Event::default().event("queue").data(data.to_string()))
            .await
    }
}
