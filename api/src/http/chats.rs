//! The agent's work on chats: the queue overview, the incoming list, picking up, talking,
//! reading, transferring and ending.

use super::views::{chat_row, chat_view, destination, ChatView};
use crate::auth::Staff;
use crate::error::{refusals, ApiError, ChatNotVisible, Problem, PROBLEM_JSON};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Origin};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::Json;
use samtale_domain::chat::Assignment;
use samtale_domain::directory::DIRECTORY_ID;
use samtale_domain::{ChatCommand, ChatId};
use samtale_projections::read::{
    self, AgentChatList, ChatRow, QueueStatus, WaitingChat, WaitingPage,
};
use samtale_service::origin::command_context;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The queue overview: the caller's queues (all, for supervisors and administrators) with
/// waiting, ongoing and logged-in counts.
#[utoipa::path(
    get,
    path = "/api/v1/queues",
    tag = "agent",
    responses(
        (status = 200, description = "The queue board", body = Vec<QueueStatus>),
    ),
    security(("bearer" = []))
)]
pub async fn queues(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<Vec<QueueStatus>>, ApiError> {
    Ok(Json(
        read::queue_board(state.db.any(), staff.scope().as_deref()).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WaitingQuery {
    /// At most this many chats (1-1000); every waiting chat when absent.
    limit: Option<i64>,
    /// Start after this chat: the last chat of the previous page.
    after: Option<Uuid>,
}

/// The incoming list: waiting chats in the caller's queues, oldest first, a page at a time
/// when `limit` is given. `X-Total-Count` says how many wait in all; when more follow the
/// page, `Link` gives the next page (`rel="next"`, `after` the page's last chat).
#[utoipa::path(
    get,
    path = "/api/v1/chats/waiting",
    tag = "agent",
    params(WaitingQuery),
    responses(
        (
            status = 200, description = "Waiting chats, oldest first", body = Vec<WaitingChat>,
            headers(
                ("X-Total-Count" = i64, description = "Chats waiting in the caller's queues"),
                ("Link" = String, description = "The next page, when there is one"),
            )
        ),
    ),
    security(("bearer" = []))
)]
pub async fn waiting(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(query): ApiQuery<WaitingQuery>,
) -> Result<(HeaderMap, Json<Vec<WaitingChat>>), ApiError> {
    let db = state.db.any();
    let limit = query.limit.map(|l| l.clamp(1, 1000));
    let page = WaitingPage {
        member: staff.scope(),
        // One more than asked, to learn whether another page follows.
        limit: limit.map(|l| l + 1),
        after: query.after.map(|a| a.to_string()),
    };
    let mut chats = read::waiting_chats(db, &page).await?;
    let more = limit.is_some_and(|l| chats.len() as i64 > l);
    chats.truncate(limit.map_or(chats.len(), |l| l as usize));
    let total = match (limit, query.after) {
        (None, None) => chats.len() as i64,
        _ => read::waiting_count(db, page.member.as_deref()).await?,
    };
    let mut headers = HeaderMap::new();
    headers.insert("x-total-count", HeaderValue::from(total));
    if let (true, Some(limit), Some(last)) = (more, limit, chats.last()) {
        let next = format!(
            "</api/v1/chats/waiting?limit={limit}&after={}>; rel=\"next\"",
            last.chat_id
        );
        if let Ok(next) = HeaderValue::from_str(&next) {
            headers.insert(header::LINK, next);
        }
    }
    Ok((headers, Json(chats)))
}

/// The agent's active chats (with unread counts) and this session's passive ones.
#[utoipa::path(
    get,
    path = "/api/v1/me/chats",
    tag = "agent",
    responses(
        (status = 200, description = "The caller's active and passive chats", body = AgentChatList),
    ),
    security(("bearer" = []))
)]
pub async fn mine(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<AgentChatList>, ApiError> {
    Ok(Json(
        read::agent_chats(state.db.any(), &staff.user_id.to_string()).await?,
    ))
}

/// Loads a chat the caller may see: one in a queue they belong to, one they took part in, or
/// any for supervisors. Others get 404, so chat ids cannot be probed.
pub(super) async fn visible_chat(
    state: &AppState,
    staff: &Staff,
    chat_id: ChatId,
) -> Result<ChatRow, ApiError> {
    let found = read::chat_for_staff(
        state.db.any(),
        &chat_id.to_string(),
        &staff.user_id.to_string(),
    )
    .await?;
    match found {
        Some(c) if staff.oversees() || c.in_queue > 0 || c.took_part > 0 => Ok(c.chat),
        _ => Err(ApiError::NotFound("no such chat".into())),
    }
}

/// Status, queue, category, the customer and their form answers, the agent, the transcript.
#[utoipa::path(
    get,
    path = "/api/v1/chats/{id}",
    tag = "agent",
    params(("id" = Uuid, Path, description = "The chat"), AtQuery),
    responses(
        (status = 200, description = "The chat (with `at`: as it stood then)", body = ChatView),
        refusals::UnseenChat,
    ),
    security(("bearer" = []))
)]
pub async fn detail(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(chat_id): ApiPath<ChatId>,
    ApiQuery(query): ApiQuery<AtQuery>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    // `?at=`: the chat as it stood then, folded from the log (supervisors and administrators).
    if let Some(at) = query.at {
        let past = super::audit::replay_at(&state, &staff, chat_id, at).await?;
        return Ok(Json(past).into_response());
    }
    let chat = visible_chat(&state, &staff, chat_id).await?;
    Ok(Json(chat_view(state.db.any(), chat).await?).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AtQuery {
    /// Supervisors: the chat as it stood at this instant (RFC 3339), folded from the log.
    at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Runs `command` on a chat the staff member may see and answers the chat as it is then: what
/// most of an agent's actions on a chat do.
pub(super) async fn act_and_show(
    state: &AppState,
    staff: &Staff,
    meta: &Origin,
    chat_id: ChatId,
    operation: &'static str,
    command: ChatCommand,
) -> Result<Json<ChatView>, ApiError> {
    let chat = visible_chat(state, staff, chat_id).await?;
    run(state, staff, meta, &chat.chat_id, operation, command).await?;
    let chat = chat_row(state.db.any(), &chat.chat_id).await?;
    Ok(Json(chat_view(state.db.any(), chat).await?))
}

pub(super) async fn run(
    state: &AppState,
    staff: &Staff,
    meta: &Origin,
    chat_id: &str,
    operation: &'static str,
    command: ChatCommand,
) -> Result<(), ApiError> {
    let context = command_context(&staff.actor(), meta, operation);
    state
        .execute(&state.chats, chat_id, command, &context)
        .await?;
    Ok(())
}

/// Picks a waiting chat from the incoming list; 409 if someone else got it first.
#[utoipa::path(
    post,
    path = "/api/v1/chats/{id}/pickup",
    tag = "agent",
    params(("id" = Uuid, Path, description = "The chat")),
    responses(
        (status = 200, description = "The chat, now the caller's", body = ChatView),
        refusals::UnseenChat,
        (
            status = 403, description = "Not a member of the chat's queue (`not-a-queue-member`)",
            body = Problem, content_type = PROBLEM_JSON
        ),
        (
            status = 409,
            description = "Taken by someone else (`chat-not-waiting`) or ended (`chat-closed`); \
                           picking up one's own chat again answers 200",
            body = Problem, content_type = PROBLEM_JSON
        ),
    ),
    security(("bearer" = []))
)]
pub async fn pickup(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(chat_id): ApiPath<ChatId>,
) -> Result<Json<ChatView>, ApiError> {
    // Having had the chat once is not enough to pick it up again: the chat decides from the
    // directory's memberships whether it is in one of the caller's queues.
    let agent_queues = state
        .directory
        .current(DIRECTORY_ID)
        .await?
        .queues_of(staff.user_id);
    let command = ChatCommand::Assign {
        agent_id: staff.user_id,
        agent_queues,
        via: Assignment::Pickup,
        choice: None,
        by: staff.actor(),
        at: meta.at,
    };
    act_and_show(&state, &staff, &meta, chat_id, "pickup", command).await
}

#[derive(Deserialize, ToSchema)]
pub struct ReadUpTo {
    /// The `number` of the last message read.
    up_to: u64,
}

/// Marks the chat's messages read up to a message.
#[utoipa::path(
    post,
    path = "/api/v1/chats/{id}/read",
    tag = "agent",
    params(("id" = Uuid, Path, description = "The chat")),
    request_body = ReadUpTo,
    responses(
        (status = 204, description = "Read"),
        (status = 404, response = ChatNotVisible),
        (status = 409, response = Problem),
        (status = 422, response = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn read(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(chat_id): ApiPath<ChatId>,
    ApiJson(body): ApiJson<ReadUpTo>,
) -> Result<StatusCode, ApiError> {
    let chat = visible_chat(&state, &staff, chat_id).await?;
    let command = ChatCommand::MarkRead {
        up_to: body.up_to,
        by: staff.actor(),
        at: meta.at,
    };
    run(&state, &staff, &meta, &chat.chat_id, "mark_read", command).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Exactly one of the two.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferTarget {
    #[schema(format = Uuid)]
    queue_id: Option<String>,
    #[schema(format = Uuid)]
    category_id: Option<String>,
}

/// Into another queue, or another category (and so that category's queue).
#[utoipa::path(
    post,
    path = "/api/v1/chats/{id}/transfer",
    tag = "agent",
    params(("id" = Uuid, Path, description = "The chat")),
    request_body = TransferTarget,
    responses(
        (status = 200, description = "The chat, transferred", body = ChatView),
        (status = 404, response = ChatNotVisible),
        (status = 403, response = Problem),
        (status = 409, response = Problem),
        (status = 422, response = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn transfer(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(chat_id): ApiPath<ChatId>,
    ApiJson(target): ApiJson<TransferTarget>,
) -> Result<Json<ChatView>, ApiError> {
    let chat = visible_chat(&state, &staff, chat_id).await?;
    let (to_queue, to_category) =
        destination(state.db.any(), target.queue_id, target.category_id).await?;
    let command = ChatCommand::Transfer {
        to_queue,
        to_category,
        by: staff.actor(),
        at: meta.at,
    };
    run(&state, &staff, &meta, &chat.chat_id, "transfer", command).await?;
    let chat = chat_row(state.db.any(), &chat.chat_id).await?;
    Ok(Json(chat_view(state.db.any(), chat).await?))
}
