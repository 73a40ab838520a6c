//! Typing signals, from the agent and from the customer: passed to the other side's stream on
//! every node, never stored (see `samtale_service::typing`). At most one a second on average
//! per chat and side, in bursts; clients send one every two seconds while typing.

use super::chats::visible_chat;
use super::customer::own_chat;
use super::views::chat_row;
use crate::auth::{Customer, Staff};
use crate::error::{refusals, text_error, ApiError, Conflict, Problem, PROBLEM_JSON};
use crate::extract::{parse_id, ApiJson, ApiPath};
use crate::http::constraints;
use crate::rate_limit::Limit;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use samtale_domain::directory::DIRECTORY_ID;
use samtale_domain::text::MessageText;
use samtale_domain::ChatId;
use samtale_projections::read::{self, ChatRow};
use samtale_service::typing::{Side, Typing, PEEK_CHARS};
use serde::Deserialize;
use utoipa::ToSchema;

/// Staff typing: only whether (what an agent types is theirs until they send it).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffTypingSignal {
    /// `true` while typing (again every 2 s), `false` on stopping or sending.
    typing: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TypingSignal {
    /// `true` while typing (again every 2 s), `false` on stopping or sending.
    typing: bool,
    /// The customer's unsent text, for a queue with sneak peek (at most 4,000 characters; the
    /// agent sees its last 1,000). Never stored or logged.
    #[serde(default)]
    #[schema(schema_with = constraints::typed_text)]
    text: Option<String>,
}

/// The chat's agent (or a supervisor answering it) is typing, or has stopped.
#[utoipa::path(
    post,
    path = "/api/v1/chats/{id}/typing",
    tag = "agent",
    params(("id" = uuid::Uuid, Path, description = "The chat")),
    request_body = StaffTypingSignal,
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
    ApiJson(signal): ApiJson<StaffTypingSignal>,
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
    publish(&state, chat, Side::Agent, name, signal.typing, None).await
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
    let peek = match signal.text {
        Some(text) => Some(sneak_peek(&state, &chat, text).await?),
        None => None,
    };
    state
        .limits
        .check(Limit::Typing, &format!("{chat_id}:customer"))?;
    publish(
        &state,
        chat,
        Side::Customer,
        String::new(),
        signal.typing,
        peek,
    )
    .await
}

/// The end of the customer's unsent text, where their queue lets agents see it (the widget
/// told them so); 422 (`text`) where it does not, or for text no message could hold.
async fn sneak_peek(state: &AppState, chat: &ChatRow, text: String) -> Result<String, ApiError> {
    let queue = parse_id("queue_id", &chat.queue_id)?;
    if !state
        .directory
        .current(DIRECTORY_ID)
        .await?
        .sneak_peek(queue)
    {
        return Err(ApiError::invalid_field(
            "text",
            "this queue's agents do not see text before it is sent",
        ));
    }
    if !text.is_empty() {
        MessageText::parse(text.clone()).map_err(|e| text_error("text", e))?;
    }
    let skip = text.chars().count().saturating_sub(PEEK_CHARS);
    Ok(text.chars().skip(skip).collect())
}

async fn publish(
    state: &AppState,
    chat: ChatRow,
    side: Side,
    name: String,
    typing: bool,
    text: Option<String>,
) -> Result<StatusCode, ApiError> {
    let signal = Typing {
        chat_id: chat.chat_id,
        queue_id: chat.queue_id,
        agent_id: chat.agent_id,
        side,
        name,
        typing,
        text,
    };
    state.typing.publish(signal).await?;
    Ok(StatusCode::NO_CONTENT)
}
