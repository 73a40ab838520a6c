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

mod audience;
mod frames;
mod schema;
mod stream;

pub(super) use stream::SEEN_EVERY;

use crate::auth::Staff;
use crate::client_addr::ClientAddr;
use crate::error::{refusals, ApiError, Problem, PROBLEM_JSON};
use crate::occupancy::Seat;
use crate::state::AppState;
use audience::Audience;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Uri};
use axum::response::sse::{KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use samtale_eventlog::LogPosition;
use samtale_projections::read::{self};
pub use schema::{CustomerFrame, StaffFrame};
use std::time::Duration;
use stream::{Feed, Stream};
use tokio_stream::wrappers::ReceiverStream;

/// The client's `Last-Event-ID`: a log position, or nothing for a fresh stream.
fn last_event_id(headers: &HeaderMap, uri: &Uri) -> Result<Option<i64>, ApiError> {
    let header = headers
        .get("last-event-id")
        .map(|v| v.to_str().unwrap_or("not text").to_string());
    let query = uri.query().and_then(|q| {
        q.split('&')
            .find_map(|pair| pair.strip_prefix("last_event_id=").map(str::to_string))
    });
    let position = |raw: String| {
        raw.trim()
            .parse::<i64>()
            .ok()
            .filter(|p| *p >= 0)
            .ok_or_else(|| ApiError::BadRequest("Last-Event-ID must be a log position".into()))
    };
    // Both are checked when both are sent: a bad one is a bad request, whichever wins.
    let query = query.map(position).transpose()?;
    let header = header.map(position).transpose()?;
    Ok(header.or(query))
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
/// - `resync`, data `{}`: the `Last-Event-ID` is unknown; reload everything. (`0`, for
///   supervisors and administrators: the start of the log, from which everything is replayed.)
#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "events",
    params(
        ("Last-Event-ID" = Option<i64>, Header, minimum = 0, description = "Resume after this log position"),
        ("last_event_id" = Option<i64>, Query, minimum = 0, description = "As `Last-Event-ID`, for EventSource"),
        (
            "access_token" = Option<String>, Query,
            description = "The session token, for EventSource"
        ),
    ),
    responses(
        (
            status = 200, description = "The event stream: each of its events one of these",
            body = StaffFrame, content_type = "text/event-stream"
        ),
        (
            status = 400, description = "A Last-Event-ID that is not a log position",
            body = Problem, content_type = PROBLEM_JSON
        ),
        refusals::StreamCap,
    ),
    security(("bearer" = []))
)]
pub async fn staff_stream(
    State(state): State<AppState>,
    staff: Staff,
    client: ClientAddr,
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
    open(state, audience, client, last_event_id(&headers, &uri)?).await
}

pub async fn customer_stream(
    state: AppState,
    chat_id: String,
    client: ClientAddr,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<Response, ApiError> {
    open(
        state,
        Audience::Customer { chat_id },
        client,
        last_event_id(headers, uri)?,
    )
    .await
}

/// A place for one more stream under its token's and its address's caps, counted by kind for
/// the node's metrics; 429 when either cap is reached.
fn admit(state: &AppState, audience: &Audience, client: ClientAddr) -> Result<Seat, ApiError> {
    let caps = &state.limits_per_client;
    let (kind, token) = match audience {
        Audience::Staff { token_hash, .. } => (STAFF_STREAMS, format!("token {token_hash}")),
        Audience::Customer { chat_id } => (CUSTOMER_STREAMS, format!("chat {chat_id}")),
    };
    state
        .streams
        .take(vec![
            (token, caps.max_streams_per_token),
            (format!("address {client}"), caps.max_streams_per_address),
            (kind.to_string(), usize::MAX),
        ])
        .ok_or(ApiError::TooManyRequests)
}

/// The keys under which staff's and customers' streams are counted.
pub const STAFF_STREAMS: &str = "streams staff";
pub const CUSTOMER_STREAMS: &str = "streams customer";

async fn open(
    state: AppState,
    audience: Audience,
    client: ClientAddr,
    last_id: Option<i64>,
) -> Result<Response, ApiError> {
    let seat = admit(&state, &audience, client)?;
    // Subscribe before reading history, so nothing falls between the two.
    let live = match &audience {
        Audience::Staff { .. } => Feed::All(state.live.subscribe()),
        Audience::Customer { chat_id } => Feed::Chat(state.live.subscribe_chat(chat_id)),
    };
    let revocations = state.sessions.revocations();
    let resume = match last_id {
        None => None,
        // Before the first event: everything, for those who see every queue (a supervisor's
        // replay of the whole log). For anyone else it would be a read of the whole log for a
        // few events: they resync.
        Some(0) if matches!(&audience, Audience::Staff { queues: None, .. }) => {
            Some(Some(LogPosition::START))
        }
        Some(id) => Some(state.live.log().locate(id).await?),
    };
    let rx = Stream::spawn(state, audience, resume, live, revocations, seat);
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
