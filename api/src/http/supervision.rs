//! Supervisors with chats in progress: the ongoing chats of a queue (each opens as a live
//! monitor: its view and the staff stream, which a supervisor gets for every queue), taking one
//! over, and the agents' raised hands. Whispers are notes (`POST /chats/{id}/notes` with
//! `whisper`).

use super::chats::act_and_show;
use super::views::ChatView;
use crate::auth::Staff;
use crate::error::{refusals, ApiError, OverseersOnly, Problem, PROBLEM_JSON};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Origin};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use samtale_domain::{ChatCommand, ChatId};
use samtale_projections::read::{self, OngoingChat};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OngoingQuery {
    queue_id: Option<Uuid>,
}

/// Supervisors and administrators: the chats in progress, raised hands first.
#[utoipa::path(
    get,
    path = "/api/v1/chats/ongoing",
    tag = "supervision",
    params(OngoingQuery),
    responses(
        (status = 200, description = "The ongoing chats", body = Vec<OngoingChat>),
        (status = 403, response = OverseersOnly),
    ),
    security(("bearer" = []))
)]
pub async fn ongoing(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(query): ApiQuery<OngoingQuery>,
) -> Result<Json<Vec<OngoingChat>>, ApiError> {
    staff.require_oversight()?;
    let queue = query.queue_id.map(|q| q.to_string());
    Ok(Json(
        read::ongoing_chats(state.db.any(), queue.as_deref()).await?,
    ))
}

/// A supervisor or administrator takes the chat over: it is theirs at once.
#[utoipa::path(
    post,
    path = "/api/v1/chats/{id}/take-over",
    tag = "supervision",
    params(("id" = Uuid, Path, description = "The chat")),
    responses(
        (status = 200, description = "The chat, now the caller's", body = ChatView),
        refusals::UnseenChat,
        (status = 403, response = OverseersOnly),
        (
            status = 409, description = "Nobody has the chat (`chat-not-assigned`), or it ended",
            body = Problem, content_type = PROBLEM_JSON
        ),
    ),
    security(("bearer" = []))
)]
pub async fn take_over(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(chat_id): ApiPath<ChatId>,
) -> Result<Json<ChatView>, ApiError> {
    staff.require_oversight()?;
    let command = ChatCommand::TakeOver {
        by: staff.actor(),
        at: meta.at,
    };
    act_and_show(&state, &staff, &meta, chat_id, "take_over", command).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Hand {
    /// `true`: the agent asks for help; `false`: help came (the agent, or a supervisor).
    raised: bool,
}

/// The chat's agent raises a hand for a supervisor's help (the board counts it), or lowers it.
#[utoipa::path(
    post,
    path = "/api/v1/chats/{id}/hand",
    tag = "agent",
    params(("id" = Uuid, Path, description = "The chat")),
    request_body = Hand,
    responses(
        (status = 200, description = "The chat", body = ChatView),
        refusals::UnseenChat,
        (status = 403, description = "Not the chat's agent (or, lowering, a supervisor)", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "Nobody has the chat, or it ended", body = Problem, content_type = PROBLEM_JSON),
    ),
    security(("bearer" = []))
)]
pub async fn hand(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(chat_id): ApiPath<ChatId>,
    ApiJson(body): ApiJson<Hand>,
) -> Result<Json<ChatView>, ApiError> {
    let command = ChatCommand::RaiseHand {
        raised: body.raised,
        by: staff.actor(),
        at: meta.at,
    };
    act_and_show(&state, &staff, &meta, chat_id, "raise_hand", command).await
}
