//! Typing signals, from the agent and from the customer: passed to the other side's stream on
//! every node, never stored (see `samtale_service::typing`). At most one a second on average
//! per chat and side, in bursts; clients send one every two seconds while typing.

use super::chats::visible_chat;
use super::customer::own_chat;
use super::views::chat_row;
use crate::auth::{Customer, Staff};
use crate::error::{refusals, ApiError, Conflict, Problem, PROBLEM_JSON};
use crate::extract::{ApiJson, ApiPath};
use crate::rate_limit::Limit;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use samtale_domain::ChatId;
use samtale_projections::read::{self, ChatRow};
use samtale_service::typing::{Side, Typing};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TypingSignal {
    /// `true` while typing (again every 2 s), `false` on stopping or sending.
    typing: bool,
}

/// The chat's agent (or a supervisor answering it) is typing, or has stopped.
#[utoipa::path(
    post,
    path = "/api/v1/chats/{id}/typing",
    tag = "agent",
    params(("id" = uuid::Uuid, Path, description = "The chat")),
    request_body = TypingSignal,
    responses(
        (status = 204, description = "Passed on to the customer"),
        refusals::UnseenChat,
        (status = 403, description = "Not the chat's agent, a supervisor or an administrator", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "The chat is not with an agent (`chat-not-assigned`)", body = Problem, content_type = PROBLEM_JSON),
        (status = 429, description = "Too many signals", body = Problem, content_type = PROBLEM_JSON),
    ),
    security(("bearer" = []))
)]
pub async fn staff_typing(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(chat_id): ApiPath<ChatId>,
    ApiJson(signal): ApiJson<TypingSignal>,
) -> Result<StatusCode, ApiError> {
    let chat = visible_chat(&state, &staff, chat_id).await?;
    if chat.status != read::ChatStatus::Assigned {
        return Err(Conflict::ChatNotAssigned.into());
    }
    let me = staff.user_id.to_string();
    if !(chat.agent_id.as_deref() == Some(me.as_str()) || staff.oversees()) {
        return Err(ApiError::Forbidden(
            "only the chat's agent, a supervisor or an administrator types in it".into(),
        ));
    }
    state
        .limits
        .check(Limit::Typing, &format!("{}:{me}", chat.chat_id))?;
    let name = read::user(state.db.any(), &me)
        .await?
        .map(|user| user.display_name)
        .unwrap_or_default();
    publish(&state, chat, Side::Agent, name, signal.typing).await
}

/// The customer is typing, or has stopped.
#[utoipa::path(
    post,
    path = "/api/v1/customer/chats/{id}/typing",
    tag = "customer",
    operation_id = "customer_typing",
    params(("id" = uuid::Uuid, Path, description = "The chat")),
    request_body = TypingSignal,
    responses(
        (status = 204, description = "Passed on to the agent"),
        refusals::OtherChat,
        (status = 409, description = "The chat is over (`chat-closed`)", body = Problem, content_type = PROBLEM_JSON),
        (status = 429, description = "Too many signals", body = Problem, content_type = PROBLEM_JSON),
    ),
    security(("bearer" = []))
)]
pub async fn customer_typing(
    State(state): State<AppState>,
    customer: Customer,
    ApiPath(id): ApiPath<ChatId>,
    ApiJson(signal): ApiJson<TypingSignal>,
) -> Result<StatusCode, ApiError> {
    let chat_id = own_chat(&customer, id)?;
    let chat = chat_row(state.db.any(), &chat_id).await?;
    if !matches!(
        chat.status,
        read::ChatStatus::Waiting | read::ChatStatus::Assigned
    ) {
        return Err(Conflict::ChatClosed.into());
    }
    state
        .limits
        .check(Limit::Typing, &format!("{chat_id}:customer"))?;
    publish(&state, chat, Side::Customer, String::new(), signal.typing).await
}

async fn publish(
    state: &AppState,
    chat: ChatRow,
    side: Side,
    name: String,
    typing: bool,
) -> Result<StatusCode, ApiError> {
    let signal = Typing {
        chat_id: chat.chat_id,
        queue_id: chat.queue_id,
        agent_id: chat.agent_id,
        side,
        name,
        typing,
    };
    state.typing.publish(signal).await?;
    Ok(StatusCode::NO_CONTENT)
}
