//! Messages in a chat, from its agent (or a supervisor) and from its customer: sent once per
//! client message id, answered from the command's own event.

use super::chats::visible_chat;
use crate::auth::Staff;
use crate::error::{text_error, ApiError, ChatNotVisible, Problem, PROBLEM_JSON};
use crate::extract::{ApiJson, ApiPath, Origin};
use crate::http::constraints;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use samtale_domain::text::MessageText;
use samtale_domain::{Actor, ChatCommand, ChatId, MessageId};
use samtale_projections::read::MessageRow;
use samtale_service::origin::{command_context, keyed_context};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Deserialize, ToSchema)]
pub struct NewMessage {
    /// Not blank; at most 4,000 characters.
    #[schema(schema_with = constraints::message)]
    pub text: String,
    /// The client's own id for the message: a retry with the same id returns the first
    /// message instead of sending it twice.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub client_message_id: Option<String>,
}

impl NewMessage {
    /// The text parsed, and the client's id checked: both are public input.
    pub fn parse(&self) -> Result<(MessageText, Option<String>), ApiError> {
        let text = MessageText::parse(self.text.clone()).map_err(|e| text_error("text", e))?;
        if let Some(id) = &self.client_message_id {
            if id.is_empty() || id.len() > 100 || id.chars().any(char::is_control) {
                return Err(ApiError::invalid_field(
                    "client_message_id",
                    "must be 1-100 printable characters",
                ));
            }
        }
        Ok((text, self.client_message_id.clone()))
    }
}

/// A retried `client_message_id` returns the first message, never a duplicate.
#[utoipa::path(
    post,
    path = "/api/v1/chats/{id}/messages",
    tag = "agent",
    params(("id" = Uuid, Path, description = "The chat")),
    request_body = NewMessage,
    responses(
        (status = 201, description = "The message", body = MessageRow),
        (status = 404, response = ChatNotVisible),
        (
            status = 409, description = "The chat is closed, or not the caller's",
            body = Problem, content_type = PROBLEM_JSON
        ),
        (status = 422, response = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn send(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(chat_id): ApiPath<ChatId>,
    ApiJson(body): ApiJson<NewMessage>,
) -> Result<(StatusCode, Json<MessageRow>), ApiError> {
    // The chat lets only its agent or a supervisor write, so a send it accepts is one the
    // sender could see; visibility is looked up only to word a refusal, so that a chat the
    // sender may not see is a 404 whatever the reason it refused.
    match send_as(&state, staff.actor(), &meta, &chat_id.to_string(), &body).await {
        Ok(message) => Ok((StatusCode::CREATED, Json(message))),
        Err(refused) => {
            visible_chat(&state, &staff, chat_id).await?;
            Err(refused)
        }
    }
}

/// Sends `body` into the chat as `by`, once per client message id, and returns the message
/// as stored (the first attempt's, for a retry). Shared by agents and customers.
pub(super) async fn send_as(
    state: &AppState,
    by: Actor,
    meta: &Origin,
    chat_id: &str,
    body: &NewMessage,
) -> Result<MessageRow, ApiError> {
    let (text, client_message_id) = body.parse()?;
    let message_id = MessageId(Uuid::now_v7());
    let command = ChatCommand::SendMessage {
        message_id,
        text,
        client_message_id: client_message_id.clone(),
        by,
        at: meta.at,
    };
    // The body's id, when there is one, is the client's key for this message in this chat.
    let context = match client_message_id {
        Some(id) => keyed_context(&by, meta, "send_message", id),
        None => command_context(&by, meta, "send_message"),
    };
    let executed = state
        .execute(&state.chats, chat_id, command, &context)
        .await?;
    // The command's events hold the message: this request's, or for a retry the first
    // attempt's.
    executed
        .events
        .iter()
        .find_map(MessageRow::from_event)
        .ok_or_else(|| ApiError::Internal("a sent message wrote no message".into()))
}
