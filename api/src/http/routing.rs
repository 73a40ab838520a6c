//! An agent's answers to routing: accepting an offer (or simply answering the chat) or
//! declining it before the queue's offer timeout runs out; and for a chat they are leaving,
//! putting it back in its queue or handing it to a colleague on routing's terms.

use super::chats::{act_and_show, run, visible_chat};
use super::roster::{AgentState, Availability};
use super::views::ChatView;
use crate::auth::Staff;
use crate::error::{refusals, ApiError, Problem, PROBLEM_JSON};
use crate::extract::{parse_id, ApiJson, ApiPath, Origin};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use samtale_domain::chat::Colleague;
use samtale_domain::{ChatCommand, ChatId, UserId};
use samtale_projections::read;
use serde::Deserialize;
use std::collections::BTreeSet;
use utoipa::ToSchema;

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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandOverBody {
    /// The colleague who takes the chat: logged in to its queue, not paused or wrapping up,
    /// with room for another chat.
    #[schema(format = Uuid)]
    agent_id: String,
}

/// The agent (or a supervisor) hands the chat to a named colleague, who has it at once,
/// without it waiting in the queue: when signing out, or to someone who knows the matter.
#[utoipa::path(
    post,
    path = "/api/v1/chats/{id}/hand-over",
    tag = "agent",
    params(("id" = uuid::Uuid, Path, description = "The chat")),
    request_body = HandOverBody,
    responses(
        (status = 200, description = "The chat, now the colleague's", body = ChatView),
        refusals::UnseenChat,
        (
            status = 403, description = "Not the chat's agent, a supervisor or an administrator",
            body = Problem, content_type = PROBLEM_JSON
        ),
        (
            status = 409,
            description = "The colleague is not available in the chat's queue \
                           (`colleague-unavailable`) or has no room (`colleague-has-no-room`); \
                           nobody has the chat (`chat-not-assigned`), or it ended (`chat-closed`)",
            body = Problem, content_type = PROBLEM_JSON
        ),
        (status = 422, response = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn hand_over(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(chat_id): ApiPath<ChatId>,
    ApiJson(body): ApiJson<HandOverBody>,
) -> Result<Json<ChatView>, ApiError> {
    let agent_id: UserId = parse_id("agent_id", &body.agent_id)?;
    let command = ChatCommand::HandOver {
        to: colleague(&state, agent_id).await?,
        by: staff.actor(),
        at: meta.at,
    };
    act_and_show(&state, &staff, &meta, chat_id, "hand_over", command).await
}

/// The colleague as routing would see them now: where they take chats, and whether they have
/// room for one more.
async fn colleague(state: &AppState, agent_id: UserId) -> Result<Colleague, ApiError> {
    let db = state.db.any();
    let id = agent_id.to_string();
    let no_such = || ApiError::invalid_field("agent_id", "no such agent");
    let user = read::user(db, &id)
        .await?
        .filter(|user| user.active == 1)
        .ok_or_else(no_such)?;
    let row = read::agent_state(db, &id).await?.ok_or_else(no_such)?;
    let ready = Availability::of(&row, chrono::Utc::now()).state == AgentState::Ready;
    let available_in = if ready {
        read::logged_in_queues(db, &id)
            .await?
            .iter()
            .filter_map(|q| q.parse().ok())
            .collect()
    } else {
        BTreeSet::new()
    };
    Ok(Colleague {
        agent_id,
        available_in,
        has_room: row.active_chats + row.offered_chats < user.max_concurrent_chats,
    })
}
