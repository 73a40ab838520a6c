//! One open stream: the missed events from the log, then the live feed, for its audience.

use super::audience::Audience;
use super::frames::{board_frame, frame};
use crate::state::AppState;
use axum::response::sse::Event;
use samtale_eventlog::LogPosition;
use samtale_projections::read::{self};
use samtale_projections::{decode, DomainEvent};
use samtale_service::live::{LiveEvent, Scope, Scoper};
use serde_json::json;
use std::convert::Infallible;
use tokio::sync::{broadcast, mpsc};

/// SSE frames buffered per connection before the connection counts as not reading.
const CONNECTION_BUFFER: usize = 64;

pub(super) struct Stream {
    state: AppState,
    audience: Audience,
    tx: mpsc::Sender<Result<Event, Infallible>>,
    /// The last log position sent (or skipped as not this audience's).
    delivered: LogPosition,
    /// The customer's last announced place in the queue; `None` once the chat is not waiting.
    queue_position: Option<i64>,
    /// The queue the customer's chat waits in, while it waits: only changes there can move
    /// the customer's place, so only those cost a query.
    waiting_in: Option<String>,
}

/// Why a stream stops: the client went away or stopped reading, or may no longer listen.
pub(super) struct Closed;

impl Stream {
    /// Starts the stream's task; what it sends comes out of the returned receiver.
    pub(super) fn spawn(
        state: AppState,
        audience: Audience,
        resume: Option<Option<LogPosition>>,
        live: broadcast::Receiver<std::sync::Arc<samtale_service::live::LiveBatch>>,
        revocations: broadcast::Receiver<String>,
    ) -> mpsc::Receiver<Result<Event, Infallible>> {
        let (tx, rx) = mpsc::channel(CONNECTION_BUFFER);
        tokio::spawn(async move {
            let stream = Stream {
                state,
                audience,
                tx,
                delivered: LogPosition::START,
                queue_position: None,
                waiting_in: None,
            };
            stream.run(resume, live, revocations).await;
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
        mut live: broadcast::Receiver<std::sync::Arc<samtale_service::live::LiveBatch>>,
        mut revocations: broadcast::Receiver<String>,
    ) {
        let caught_up_to = self.state.live.position();
        let opened = match resume {
            Some(Some(from)) => self.replay(from, caught_up_to).await,
            Some(None) => self.send(Event::default().event("resync").data("{}")).await,
            None => Ok(()),
        };
        if opened.is_err() || self.snapshot().await.is_err() {
            return;
        }
        if self.delivered < caught_up_to {
            self.delivered = caught_up_to;
        }
        loop {
            tokio::select! {
                batch = live.recv() => match batch {
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
                () = self.tx.closed() => return,
            }
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
                        self.send(frame(&live)).await?;
                    }
                }
                self.delivered = position;
            }
        }
        Ok(())
    }

    /// The current picture, so a (re)connected client need not fetch it separately.
    async fn snapshot(&mut self) -> Result<(), Closed> {
        if let Ok(board) = read::queue_board(self.state.db.any(), None).await {
            if let Some(board) = self.audience.board(&board) {
                self.send(board_frame(&board)).await?;
            }
        }
        self.announce_queue_position().await
    }

    async fn forward(&mut self, batch: &samtale_service::live::LiveBatch) -> Result<(), Closed> {
        let mut touches_my_queue = false;
        for live in &batch.events {
            if live.event.position <= self.delivered {
                continue;
            }
            if self.audience.affects_membership(live) {
                self.reload_queues().await;
            }
            if self.audience.sees(live) {
                self.send(frame(live)).await?;
            }
            touches_my_queue |= self.moves_my_place(live);
            self.delivered = live.event.position;
        }
        if let Some(board) = batch.board.as_ref().and_then(|b| self.audience.board(b)) {
            self.send(board_frame(&board)).await?;
        }
        if touches_my_queue {
            self.announce_queue_position().await?;
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

    /// Could this event change the customer's place in the queue?
    fn moves_my_place(&self, live: &LiveEvent) -> bool {
        let Audience::Customer { chat_id } = &self.audience else {
            return false;
        };
        let mine = live.scope.chat_id.as_deref() == Some(chat_id);
        let in_my_queue = self
            .waiting_in
            .as_ref()
            .is_some_and(|queue| live.scope.queues.contains(queue));
        // Messages and read receipts never move anyone in a queue; skipping them spares a
        // read per message on every customer's stream.
        let moves = matches!(
            &live.event.event,
            DomainEvent::Chat(event) if !event.is_conversation()
        );
        moves && (mine || in_my_queue)
    }

    /// Tells a waiting customer their place in the queue whenever it changes.
    async fn announce_queue_position(&mut self) -> Result<(), Closed> {
        let Audience::Customer { chat_id } = &self.audience else {
            return Ok(());
        };
        let chat = read::chat(self.state.db.any(), chat_id)
            .await
            .ok()
            .flatten();
        self.waiting_in = chat
            .filter(|c| c.status == read::ChatStatus::Waiting)
            .map(|c| c.queue_id);
        let db = self.state.db.any();
        let position = match self.waiting_in {
            Some(_) => read::queue_position(db, chat_id).await.ok().flatten(),
            None => None,
        };
        if position != self.queue_position {
            self.queue_position = position;
            let estimate = match (position, &self.waiting_in) {
                (Some(position), Some(queue)) => read::estimated_wait_seconds(db, queue, position)
                    .await
                    .ok()
                    .flatten(),
                _ => None,
            };
            let data = json!({ "queue_position": position, "estimated_wait_seconds": estimate });
            self.send(Event::default().event("queue").data(data.to_string()))
                .await?;
        }
        Ok(())
    }
}
