//! Server-sent events: each staff member's and each customer's live stream.
//!
//! Every event's `id` is its log position. A client that reconnects with `Last-Event-ID`
//! (header, or `?last_event_id=` where it cannot set headers) first gets the events it missed,
//! read from the log, then the live ones; positions already sent are skipped, so none arrives
//! twice and none is missing. An id that is not a number is a 400; a number that is not a
//! position in the log gets a `resync` event (reload everything), never anyone else's data:
//! every event passes the audience filter whichever way it arrives.
//!
//! User text only ever travels inside the JSON `data` field; `id` and `event` are numbers
//! and fixed names, so a message with `\r` or `\n` cannot break the framing.

use crate::auth::Staff;
use crate::error::{ApiError, Problem, PROBLEM_JSON};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use samtale_domain::{ChatEvent, DirectoryEvent, PresenceEvent};
use samtale_eventlog::LogPosition;
use samtale_projections::read::{self, QueueStatus};
use samtale_projections::{decode, DomainEvent};
use samtale_service::live::{LiveEvent, Scope, Scoper};
use serde::Serialize;
use serde_json::json;
use serde_json::value::RawValue;
use std::collections::HashSet;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

/// SSE frames buffered per connection before the connection counts as not reading.
const CONNECTION_BUFFER: usize = 64;

/// Who a stream is for, and so which events it may carry.
#[derive(Debug, Clone)]
enum Audience {
    Staff {
        user_id: String,
        token_hash: String,
        /// `None`: every queue (supervisors and administrators).
        queues: Option<HashSet<String>>,
        administrator: bool,
    },
    Customer {
        chat_id: String,
    },
}

impl Audience {
    fn sees_queue(&self, queue: &str) -> bool {
        match self {
            Audience::Staff { queues: None, .. } => true,
            Audience::Staff {
                queues: Some(queues),
                ..
            } => queues.contains(queue),
            Audience::Customer { .. } => false,
        }
    }

    fn sees(&self, live: &LiveEvent) -> bool {
        match (self, &live.event.event) {
            (Audience::Customer { chat_id }, DomainEvent::Chat(event)) => {
                live.scope.chat_id.as_deref() == Some(chat_id)
                    && !matches!(event, ChatEvent::MessagesRead { .. })
            }
            (Audience::Customer { .. }, _) => false,
            (
                Audience::Staff {
                    user_id, queues, ..
                },
                DomainEvent::Chat(event),
            ) => {
                let mine = live.scope.agents.iter().any(|a| a == user_id);
                let in_my_queues = live.scope.queues.iter().any(|q| self.sees_queue(q));
                // An agent follows the conversations they handle and their queues' waiting
                // chats, not every colleague's exchange: in a queue of fifty agents that would
                // be fifty frames per message, forty-nine of them ignored.
                let conversation = event.is_conversation();
                let someone_elses =
                    queues.is_some() && conversation && !live.scope.agents.is_empty();
                mine || (in_my_queues && !someone_elses)
            }
            (Audience::Staff { user_id, .. }, DomainEvent::Presence(presence)) => {
                let queues = match presence {
                    PresenceEvent::AgentLoggedIn { queues, .. }
                    | PresenceEvent::AgentLoggedOut { queues, .. } => queues,
                };
                &live.event.aggregate_id == user_id
                    || queues.iter().any(|q| self.sees_queue(&q.to_string()))
            }
            (Audience::Staff { administrator, .. }, DomainEvent::Directory(_)) => *administrator,
        }
    }

    /// A membership change of this agent changes which queues the stream covers.
    fn affects_membership(&self, live: &LiveEvent) -> bool {
        match (self, &live.event.event) {
            (
                Audience::Staff {
                    user_id,
                    queues: Some(_),
                    ..
                },
                DomainEvent::Directory(
                    DirectoryEvent::QueueMemberAdded {
                        user_id: member, ..
                    }
                    | DirectoryEvent::QueueMemberRemoved {
                        user_id: member, ..
                    },
                ),
            ) => &member.to_string() == user_id,
            _ => false,
        }
    }

    fn board(&self, board: &[QueueStatus]) -> Option<Vec<QueueStatus>> {
        match self {
            Audience::Customer { .. } => None,
            Audience::Staff { .. } => Some(
                board
                    .iter()
                    .filter(|q| self.sees_queue(&q.queue_id))
                    .cloned()
                    .collect(),
            ),
        }
    }
}

/// The `data` of an event's frame. The payload is written out as the text it was stored as,
/// not re-encoded.
#[derive(Serialize)]
struct FrameData<'a> {
    position: i64,
    #[serde(rename = "type")]
    event_type: &'a str,
    aggregate_id: &'a str,
    chat_id: Option<&'a str>,
    event: &'a RawValue,
}

fn frame(live: &LiveEvent) -> Event {
    // The event was decoded (and so upcast) on its way here, so its payload upcasts too.
    let Ok(payload) = live.event.logged.current_payload() else {
        return Event::default().event("resync");
    };
    let data = FrameData {
        position: live.event.position.position,
        event_type: &live.event.event_type,
        aggregate_id: &live.event.aggregate_id,
        chat_id: live.scope.chat_id.as_deref(),
        event: &payload,
    };
    Event::default()
        .id(live.event.position.position.to_string())
        .event(live.event.event_type.as_str())
        .json_data(data)
        // Only a serializer error lands here, and these fields have none; were it to happen,
        // a reload is what the client needs.
        .unwrap_or_else(|_| Event::default().event("resync"))
}

fn board_frame(board: &[QueueStatus]) -> Event {
    Event::default()
        .event("board")
        .data(json!({ "queues": board }).to_string())
}

/// The client's `Last-Event-ID`: a log position, or nothing for a fresh stream.
fn last_event_id(headers: &HeaderMap, uri: &Uri) -> Result<Option<i64>, ApiError> {
    let raw = headers
        .get("last-event-id")
        .map(|v| v.to_str().unwrap_or("not text").to_string())
        .or_else(|| {
            uri.query().and_then(|q| {
                q.split('&')
                    .find_map(|pair| pair.strip_prefix("last_event_id=").map(str::to_string))
            })
        });
    match raw {
        None => Ok(None),
        Some(raw) => raw
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|p| *p >= 0)
            .map(Some)
            .ok_or_else(|| ApiError::BadRequest("Last-Event-ID must be a log position".into())),
    }
}

/// The caller's live stream (`text/event-stream`); it ends when the session is revoked.
///
/// Events, each with its log position as `id` (send it back as `Last-Event-ID` to resume):
/// - domain events the caller may see, named by type: chat events of their queues and of the
///   chats they handle (`ChatRequested`, `ChatAssigned`, `MessageSent`, `MessagesRead`, `CustomerNotified`,
///   `ChatTransferred`, `ChatEnded`, `CustomerClosedClient`) — for an agent, the messages and
///   read markers of a queue's chat only while it waits or is theirs; presence events
///   (`AgentLoggedIn`, `AgentLoggedOut`), and for administrators directory events
///   (`UserCreated`, `QueueCreated`, …); data
///   `{"position", "type", "aggregate_id", "chat_id", "event": {…the event's payload}}`;
/// - `board`, without an id, on connecting and whenever it changes: `{"queues": [QueueStatus]}`
///   for the caller's queues;
/// - `resync`, data `{}`: the `Last-Event-ID` is unknown; reload everything.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "events",
    params(
        ("Last-Event-ID" = Option<i64>, Header, description = "Resume after this log position"),
        ("last_event_id" = Option<i64>, Query, description = "As `Last-Event-ID`, for EventSource"),
        (
            "access_token" = Option<String>, Query,
            description = "The session token, for EventSource"
        ),
    ),
    responses(
        (
            status = 200, description = "The event stream",
            body = String, content_type = "text/event-stream"
        ),
        (
            status = 400, description = "A Last-Event-ID that is not a log position",
            body = Problem, content_type = PROBLEM_JSON
        ),
    ),
    security(("bearer" = []))
)]
pub async fn staff_stream(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let queues = if staff.oversees() {
        None
    } else {
        Some(
            read::member_queues(state.db.any(), &staff.user_id.to_string())
                .await?
                .into_iter()
                .collect(),
        )
    };
    let audience = Audience::Staff {
        user_id: staff.user_id.to_string(),
        token_hash: staff.token_hash.clone(),
        queues,
        administrator: staff.role == samtale_domain::Role::Administrator,
    };
    open(state, audience, last_event_id(&headers, &uri)?).await
}

pub async fn customer_stream(
    state: AppState,
    chat_id: String,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<Response, ApiError> {
    open(
        state,
        Audience::Customer { chat_id },
        last_event_id(headers, uri)?,
    )
    .await
}

async fn open(
    state: AppState,
    audience: Audience,
    last_id: Option<i64>,
) -> Result<Response, ApiError> {
    // Subscribe before reading history, so nothing falls between the two.
    let live = state.live.subscribe();
    let revocations = state.sessions.revocations();
    let resume = match last_id {
        None => None,
        Some(id) => Some(state.live.log().locate(id).await?),
    };
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
    let mut response = Sse::new(ReceiverStream::new(rx))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    // When a stream ends (it fell behind, or the session was revoked) the connection must end
    // with it: HTTP/1.1 would otherwise keep it open for another request after the last chunk,
    // and a client that waits for the connection to close (rather than for the chunked body's
    // end) would wait for good, missing every later event without knowing it.
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    Ok(response)
}

struct Stream {
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
struct Closed;

impl Stream {
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
