//! An agent's answers to routing: accepting an offer (or simply answering the chat) or
//! declining it before the queue's offer timeout runs out, and putting a chat they are leaving
//! back in its queue.

use super::chats::{act_and_show, run, visible_chat};
use super::views::ChatView;
use crate::auth::Staff;
use crate::error::{refusals, ApiError, Problem, PROBLEM_JSON};
use crate::extract::{ApiPath, Origin};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use samtale_domain::{ChatCommand, ChatId};

/// The offered agent takes the chat: it is theirs, as if routing had assigned it.
#[utoipa::path(
    post,
    path = "/api/v1/chats/{id}/accept",
    tag = "agent",
    params(("id" = uuid::Uuid, Path, description = "The chat")),
    responses(
        (status = 200, description = "The chat, now the caller's", body = ChatView),
        refusals::UnseenChat,
        (
            status = 409,
            description = "Not offered to the caller (`chat-not-offered`: it was declined, ran \
                           out or went to someone else), or ended (`chat-closed`); accepting \
                           one's own chat again answers 200",
            body = Problem, content_type = PROBLEM_JSON
        ),
    ),
    security(("bearer" = []))
)]
pub async fn accept(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(chat_id): ApiPath<ChatId>,
) -> Result<Json<ChatView>, ApiError> {
    let command = ChatCommand::AcceptOffer {
        by: staff.actor(),
        at: meta.at,
    };
    act_and_show(&state, &staff, &meta, chat_id, "accept_offer", command).await
}

/// The offered agent turns the chat down: it goes to the next agent, keeping its place.
#[utoipa::path(
    post,
    path = "/api/v1/chats/{id}/decline",
    tag = "agent",
    params(("id" = uuid::Uuid, Path, description = "The chat")),
    responses(
        (status = 204, description = "Declined"),
        refusals::UnseenChat,
        (
            status = 409,
            description = "Not offered to the caller (`chat-not-offered`), or ended (`chat-closed`)",
            body = Problem, content_type = PROBLEM_JSON
        ),
    ),
    security(("bearer" = []))
)]
pub async fn decline(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(chat_id): ApiPath<ChatId>,
) -> Result<StatusCode, ApiError> {
    let chat = visible_chat(&state, &staff, chat_id).await?;
    let command = ChatCommand::DeclineOffer {
        by: staff.actor(),
        at: meta.at,
    };
    run(
        &state,
        &staff,
        &meta,
        &chat.chat_id,
        "decline_offer",
        command,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The agent (or a supervisor) puts the chat back in its queue, in its place: the agent is
/// leaving, and the next agent takes it on. The console does it for each of an agent's
/// chats when they sign out; the dispatcher does it for an agent whose sessions have all ended.
#[utoipa::path(
    post,
    path = "/api/v1/chats/{id}/requeue",
    tag = "agent",
    params(("id" = uuid::Uuid, Path, description = "The chat")),
    responses(
        (status = 200, description = "The chat, waiting in its queue again", body = ChatView),
        refusals::UnseenChat,
        (
            status = 403, description = "Not the chat's agent, a supervisor or an administrator",
            body = Problem, content_type = PROBLEM_JSON
        ),
        (
            status = 409,
            description = "Nobody has the chat (`chat-not-assigned`), or it ended (`chat-closed`)",
            body = Problem, content_type = PROBLEM_JSON
        ),
    ),
    security(("bearer" = []))
)]
pub async fn requeue(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(chat_id): ApiPath<ChatId>,
) -> Result<Json<ChatView>, ApiError> {
    let command = ChatCommand::Requeue {
        by: staff.actor(),
        at: meta.at,
    };
    act_and_show(&state, &staff, &meta, chat_id, "requeue", command).await
}
