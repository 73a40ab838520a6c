//! Offers: routing offers a waiting chat to one agent, who accepts it (or simply answers it)
//! or declines it before the queue's offer timeout runs out.

use super::chats::{run, visible_chat};
use super::views::{chat_row, chat_view, ChatView};
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
    let chat = visible_chat(&state, &staff, chat_id).await?;
    let command = ChatCommand::AcceptOffer {
        by: staff.actor(),
        at: meta.at,
    };
    run(
        &state,
        &staff,
        &meta,
        &chat.chat_id,
        "accept_offer",
        command,
    )
    .await?;
    let chat = chat_row(state.db.any(), &chat.chat_id).await?;
    Ok(Json(chat_view(state.db.any(), chat).await?))
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
