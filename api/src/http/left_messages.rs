//! Messages left for a queue while it is closed: the customer leaves their name, address and
//! words; those who work the queue see them in a list and answer, and the answer goes to the
//! customer by e-mail (with their own words above it).

use super::after_chat::mail_address;
use super::customer::{new_chat, started, ChatStarted};
use super::views::destination;
use crate::auth::Staff;
use crate::client_addr::ClientAddr;
use crate::error::{refusals, text_error, ApiError, Conflict, Problem, PROBLEM_JSON};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Origin};
use crate::http::constraints;
use crate::rate_limit::Limit;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use samtale_domain::chat::LeftMessage;
use samtale_domain::directory::DIRECTORY_ID;
use samtale_domain::text::{MessageText, Name};
use samtale_domain::{Actor, ChatCommand, ChatId, MessageId};
use samtale_projections::read::{self, LeftMessageRow};
use samtale_service::origin::command_context;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

/// Exactly one of `category_id` and `queue_id`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaveMessage {
    #[schema(format = Uuid)]
    category_id: Option<String>,
    #[schema(format = Uuid)]
    queue_id: Option<String>,
    #[schema(schema_with = constraints::name)]
    name: String,
    /// Where the answer goes.
    #[schema(schema_with = constraints::deliverable_email)]
    email: String,
    #[schema(schema_with = constraints::message)]
    text: String,
}

/// A customer leaves a message for a queue, to be answered by e-mail: when the queue is
/// closed, or whenever they would rather not wait. The token opens it like a chat (to delete
/// it from the widget).
#[utoipa::path(
    post,
    path = "/api/v1/customer/left-messages",
    operation_id = "leave_message",
    tag = "customer",
    params((
        "Idempotency-Key" = Option<String>, Header,
        description = "A random UUID (version 4): a retry with the same key answers the message \
                       and token the first attempt left"
    )),
    request_body = LeaveMessage,
    responses(
        (status = 201, description = "The message, waiting for an answer", body = ChatStarted),
        refusals::Invalid,
        (
            status = 409, description = "No mail is sent from here (`transcripts-off`)",
            body = Problem, content_type = PROBLEM_JSON
        ),
        (
            status = 429, description = "Too many chats and messages from this address",
            body = Problem, content_type = PROBLEM_JSON
        ),
    )
)]
pub async fn leave(
    State(state): State<AppState>,
    client: ClientAddr,
    meta: Origin,
    ApiJson(body): ApiJson<LeaveMessage>,
) -> Result<(StatusCode, Json<ChatStarted>), ApiError> {
    state.limits.check(Limit::ChatStart, &client.to_string())?;
    // Without mail nobody could answer it.
    if !state.transcripts_by_email {
        return Err(Conflict::TranscriptsOff.into());
    }
    let customer_name = Name::parse(body.name).map_err(|e| text_error("name", e))?;
    let email = mail_address(&body.email)?;
    let text = MessageText::parse(body.text).map_err(|e| text_error("text", e))?;
    let (queue_id, category_id) =
        destination(state.db.any(), body.queue_id, body.category_id).await?;
    let (chat_id, customer_token) = new_chat(meta.idempotency_key.as_deref())?;
    let command = ChatCommand::LeaveMessage {
        left: LeftMessage {
            queue_id,
            category_id,
            customer_name,
            email,
            message_id: MessageId(Uuid::now_v7()),
            text,
        },
        at: meta.at,
    };
    let context = command_context(&Actor::Customer, &meta, "leave_message");
    state
        .execute(&state.chats, &chat_id.to_string(), command, &context)
        .await?;
    started(&state, chat_id, customer_token).await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeftMessagesQuery {
    /// `true`: those answered, the latest first; otherwise those waiting, the oldest first.
    #[serde(default)]
    answered: bool,
    /// 1-500; 100 when absent.
    limit: Option<i64>,
}

/// The messages left for the caller's queues (every queue's, for supervisors and
/// administrators).
#[utoipa::path(
    get,
    path = "/api/v1/left-messages",
    operation_id = "list_left_messages",
    tag = "agent",
    params(LeftMessagesQuery),
    responses(
        (status = 200, description = "The left messages", body = Vec<LeftMessageRow>),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(query): ApiQuery<LeftMessagesQuery>,
) -> Result<Json<Vec<LeftMessageRow>>, ApiError> {
    let limit = query.limit.unwrap_or(100).clamp(1, 500);
    let scope = staff.scope();
    let messages =
        read::left_messages(state.db.any(), query.answered, scope.as_deref(), limit).await?;
    Ok(Json(messages))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// Not blank; at most 4,000 characters.
    #[schema(schema_with = constraints::message)]
    text: String,
}

/// Answers a left message: the answer is mailed to the customer, below their own words. Once;
/// a retry with the same `Idempotency-Key` answers as the first attempt did.
#[utoipa::path(
    post,
    path = "/api/v1/left-messages/{id}/answer",
    operation_id = "answer_left_message",
    tag = "agent",
    params(
        ("id" = Uuid, Path, description = "The left message (its chat)"),
        (
            "Idempotency-Key" = Option<String>, Header,
            description = "A retry with the same key answers as the first attempt did"
        ),
    ),
    request_body = Answer,
    responses(
        (status = 200, description = "The message with its answer", body = LeftMessageRow),
        (
            status = 404, description = "No such left message, or not one of the caller's queues",
            body = Problem, content_type = PROBLEM_JSON
        ),
        (
            status = 409, description = "Answered already (`not-a-left-message`)",
            body = Problem, content_type = PROBLEM_JSON
        ),
        (status = 422, response = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn answer(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(chat_id): ApiPath<ChatId>,
    ApiJson(body): ApiJson<Answer>,
) -> Result<Json<LeftMessageRow>, ApiError> {
    let chat_id = chat_id.to_string();
    visible_left_message(&state, &staff, &chat_id).await?;
    let text = MessageText::parse(body.text).map_err(|e| text_error("text", e))?;
    let agent_queues = state
        .directory
        .current(DIRECTORY_ID)
        .await?
        .queues_of(staff.user_id);
    let command = ChatCommand::AnswerLeftMessage {
        message_id: MessageId(Uuid::now_v7()),
        text,
        agent_queues,
        by: staff.actor(),
        at: meta.at,
    };
    let context = command_context(&staff.actor(), &meta, "answer_left_message");
    state
        .execute(&state.chats, &chat_id, command, &context)
        .await?;
    Ok(Json(visible_left_message(&state, &staff, &chat_id).await?))
}

/// The left message, if the caller works its queue (or oversees every queue); otherwise 404,
/// as for one that does not exist.
async fn visible_left_message(
    state: &AppState,
    staff: &Staff,
    chat_id: &str,
) -> Result<LeftMessageRow, ApiError> {
    let found = read::left_message(state.db.any(), chat_id).await?;
    let member_queues = match staff.scope() {
        Some(user_id) => Some(read::member_queues(state.db.any(), &user_id).await?),
        None => None,
    };
    match found {
        Some(message)
            if member_queues
                .as_ref()
                .is_none_or(|queues| queues.contains(&message.queue_id)) =>
        {
            Ok(message)
        }
        _ => Err(ApiError::NotFound("no such left message".into())),
    }
}
