//! A colleague in the conversation: the chat's agent invites another agent or a supervisor,
//! who joins or declines; a supervisor may join uninvited; a colleague who joined leaves, or
//! the first agent hands the chat to them (`POST /chats/{id}/hand-over`).

use super::chats::act_and_show;
use super::views::ChatView;
use crate::auth::Staff;
use crate::error::{refusals, ApiError, Problem, PROBLEM_JSON};
use crate::extract::{parse_id, ApiJson, ApiPath, Origin};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use samtale_domain::chat::Invitee;
use samtale_domain::directory::DIRECTORY_ID;
use samtale_domain::{ChatCommand, ChatId, QueueId, UserId};
use samtale_projections::read;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteBody {
    /// The colleague: an agent of the chat's queue, or a supervisor or administrator.
    #[schema(format = Uuid)]
    user_id: String,
}

/// The chat's agent (or a supervisor) invites a colleague into the conversation.
#[utoipa::path(
    post,
    path = "/api/v1/chats/{id}/invite",
    tag = "agent",
    params(("id" = Uuid, Path, description = "The chat")),
    request_body = InviteBody,
    responses(
        (status = 200, description = "The chat, with the colleague invited", body = ChatView),
        refusals::UnseenChat,
        (status = 403, description = "Not the chat's agent, or the colleague may not see the chat", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "Nobody has the chat, or it ended", body = Problem, content_type = PROBLEM_JSON),
        (status = 422, response = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn invite(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(chat_id): ApiPath<ChatId>,
    ApiJson(body): ApiJson<InviteBody>,
) -> Result<Json<ChatView>, ApiError> {
    let user_id: UserId = parse_id("user_id", &body.user_id)?;
    let invitee = invitee(&state, chat_id, user_id).await?;
    let command = ChatCommand::Invite {
        invitee,
        by: staff.actor(),
        at: meta.at,
    };
    act_and_show(&state, &staff, &meta, chat_id, "invite", command).await
}

/// Whether the colleague may see the chat: a supervisor or administrator, or a member of its
/// queue; 422 (`user_id`) for nobody active by that id.
async fn invitee(state: &AppState, chat_id: ChatId, user_id: UserId) -> Result<Invitee, ApiError> {
    let db = state.db.any();
    let user = read::user(db, &user_id.to_string())
        .await?
        .filter(|user| user.active == 1)
        .ok_or_else(|| ApiError::invalid_field("user_id", "no such colleague"))?;
    let queue: Option<QueueId> = read::chat(db, &chat_id.to_string())
        .await?
        .and_then(|chat| chat.queue_id.parse().ok());
    let their_queues = state
        .directory
        .current(DIRECTORY_ID)
        .await?
        .queues_of(user_id);
    let member = queue.is_some_and(|queue| their_queues.contains(&queue));
    Ok(Invitee {
        user_id,
        may_see: user.role != "agent" || member,
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationAnswer {
    /// `true` joins the conversation; `false` declines.
    accept: bool,
}

/// The invited colleague joins the conversation or declines.
#[utoipa::path(
    post,
    path = "/api/v1/chats/{id}/invitation",
    tag = "agent",
    params(("id" = Uuid, Path, description = "The chat")),
    request_body = InvitationAnswer,
    responses(
        (status = 200, description = "The chat", body = ChatView),
        refusals::UnseenChat,
        (status = 403, description = "The caller is not invited", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "Nobody has the chat, or it ended", body = Problem, content_type = PROBLEM_JSON),
    ),
    security(("bearer" = []))
)]
pub async fn answer_invitation(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(chat_id): ApiPath<ChatId>,
    ApiJson(body): ApiJson<InvitationAnswer>,
) -> Result<Json<ChatView>, ApiError> {
    let command = ChatCommand::AnswerInvitation {
        accept: body.accept,
        by: staff.actor(),
        at: meta.at,
    };
    act_and_show(&state, &staff, &meta, chat_id, "answer_invitation", command).await
}

/// A supervisor or administrator joins the conversation uninvited: the customer sees them.
#[utoipa::path(
    post,
    path = "/api/v1/chats/{id}/join",
    tag = "supervision",
    params(("id" = Uuid, Path, description = "The chat")),
    responses(
        (status = 200, description = "The chat", body = ChatView),
        refusals::UnseenChat,
        (status = 403, description = "Not a supervisor or administrator", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "Nobody has the chat, or it ended", body = Problem, content_type = PROBLEM_JSON),
    ),
    security(("bearer" = []))
)]
pub async fn join(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(chat_id): ApiPath<ChatId>,
) -> Result<Json<ChatView>, ApiError> {
    let command = ChatCommand::Join {
        by: staff.actor(),
        at: meta.at,
    };
    act_and_show(&state, &staff, &meta, chat_id, "join", command).await
}

/// A colleague who joined leaves the conversation.
#[utoipa::path(
    post,
    path = "/api/v1/chats/{id}/leave",
    operation_id = "leave_chat",
    tag = "agent",
    params(("id" = Uuid, Path, description = "The chat")),
    responses(
        (status = 200, description = "The chat", body = ChatView),
        refusals::UnseenChat,
        (status = 409, description = "Nobody has the chat, or it ended", body = Problem, content_type = PROBLEM_JSON),
    ),
    security(("bearer" = []))
)]
pub async fn leave(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(chat_id): ApiPath<ChatId>,
) -> Result<Json<ChatView>, ApiError> {
    let command = ChatCommand::Leave {
        by: staff.actor(),
        at: meta.at,
    };
    act_and_show(&state, &staff, &meta, chat_id, "leave", command).await
}
