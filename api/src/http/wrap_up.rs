//! Ending a chat and wrapping it up: the codes it ends with (its queue may require one), the
//! note for colleagues, and the agent's wrap-up time — extended once, or cut short when they
//! are ready — in which routing gives them nothing new.

use super::chats::act_and_show;
use super::views::ChatView;
use crate::auth::Staff;
use crate::error::{refusals, text_error, AlreadyClosed, ApiError, Problem, PROBLEM_JSON};
use crate::extract::{ApiJson, ApiPath, Origin};
use crate::http::constraints;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use samtale_domain::chat::{Disposition, WrapUpPolicies};
use samtale_domain::directory::DIRECTORY_ID;
use samtale_domain::text::MessageText;
use samtale_domain::{ChatCommand, ChatId, Code};
use serde::Deserialize;
use utoipa::ToSchema;

/// What the chat was about: some of its queue's wrap-up codes, and a note only staff read.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct DispositionBody {
    #[serde(default)]
    #[schema(schema_with = constraints::codes)]
    codes: Vec<String>,
    /// At most 4,000 characters.
    #[schema(schema_with = constraints::optional_message)]
    note: Option<String>,
}

impl DispositionBody {
    fn parse(self) -> Result<Disposition, ApiError> {
        let codes = self
            .codes
            .iter()
            .map(|code| Code::parse(code).map_err(|e| ApiError::invalid_field("codes", e)))
            .collect::<Result<_, _>>()?;
        let note = self
            .note
            .filter(|note| !note.trim().is_empty())
            .map(|note| MessageText::parse(note).map_err(|e| text_error("note", e)))
            .transpose()?;
        Ok(Disposition { codes, note })
    }
}

async fn policies(state: &AppState) -> Result<WrapUpPolicies, ApiError> {
    Ok(state
        .directory
        .current(DIRECTORY_ID)
        .await?
        .wrap_up_policies())
}

/// Ends the chat, with its wrap-up codes and a note if given (the body may be left out where
/// the queue requires no code). Its agent then has the queue's wrap-up time before routing
/// gives them another chat.
#[utoipa::path(
    post,
    path = "/api/v1/chats/{id}/end",
    tag = "agent",
    params(("id" = uuid::Uuid, Path, description = "The chat")),
    request_body(content = Option<DispositionBody>, description = "Optional"),
    responses(
        (status = 200, description = "The chat, ended", body = ChatView),
        refusals::UnseenChat,
        (status = 403, response = Problem),
        (status = 409, response = AlreadyClosed),
        (
            status = 422,
            description = "A code that is not the queue's, or none where the queue requires one \
                           (field `codes`); a note too long (`note`)",
            body = Problem, content_type = PROBLEM_JSON
        ),
    ),
    security(("bearer" = []))
)]
pub async fn end(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(chat_id): ApiPath<ChatId>,
    body: Option<ApiJson<DispositionBody>>,
) -> Result<Json<ChatView>, ApiError> {
    let disposition = body.map(|ApiJson(body)| body).unwrap_or_default().parse()?;
    let command = ChatCommand::End {
        disposition,
        policies: policies(&state).await?,
        by: staff.actor(),
        at: meta.at,
    };
    act_and_show(&state, &staff, &meta, chat_id, "end", command).await
}

/// The codes and note of an ended chat that has none yet: one the customer closed, or one
/// ended in a queue that requires no code. Once per chat.
#[utoipa::path(
    post,
    path = "/api/v1/chats/{id}/wrap-up",
    tag = "agent",
    params(("id" = uuid::Uuid, Path, description = "The chat")),
    request_body = DispositionBody,
    responses(
        (status = 200, description = "The chat, wrapped up", body = ChatView),
        refusals::UnseenChat,
        (status = 403, response = Problem),
        (
            status = 409,
            description = "Not ended yet (`chat-not-ended`), wrapped up already \
                           (`chat-wrapped-up`), never answered (`not-in-wrap-up`) or erased \
                           (`chat-erased`)",
            body = Problem, content_type = PROBLEM_JSON
        ),
        (
            status = 422,
            description = "Neither code nor note, a code that is not the queue's, or none where \
                           the queue requires one (field `codes`)",
            body = Problem, content_type = PROBLEM_JSON
        ),
    ),
    security(("bearer" = []))
)]
pub async fn wrap_up(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(chat_id): ApiPath<ChatId>,
    ApiJson(body): ApiJson<DispositionBody>,
) -> Result<Json<ChatView>, ApiError> {
    let command = ChatCommand::WrapUp {
        disposition: body.parse()?,
        policies: policies(&state).await?,
        by: staff.actor(),
        at: meta.at,
    };
    act_and_show(&state, &staff, &meta, chat_id, "wrap_up", command).await
}

/// More wrap-up time, once: as much again as the queue gives.
#[utoipa::path(
    post,
    path = "/api/v1/chats/{id}/wrap-up/extend",
    tag = "agent",
    params(("id" = uuid::Uuid, Path, description = "The chat")),
    responses(
        (status = 200, description = "The chat", body = ChatView),
        refusals::UnseenChat,
        (status = 403, response = Problem),
        (
            status = 409,
            description = "Its wrap-up is over (`not-in-wrap-up`) or extended already \
                           (`wrap-up-extended`)",
            body = Problem, content_type = PROBLEM_JSON
        ),
    ),
    security(("bearer" = []))
)]
pub async fn extend(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(chat_id): ApiPath<ChatId>,
) -> Result<Json<ChatView>, ApiError> {
    let command = ChatCommand::ExtendWrapUp {
        by: staff.actor(),
        at: meta.at,
    };
    act_and_show(&state, &staff, &meta, chat_id, "extend_wrap_up", command).await
}

/// The agent is ready before the wrap-up time is up: routing may give them a chat again.
/// Refused while the chat still owes the code its queue requires.
#[utoipa::path(
    post,
    path = "/api/v1/chats/{id}/wrap-up/finish",
    tag = "agent",
    params(("id" = uuid::Uuid, Path, description = "The chat")),
    responses(
        (status = 200, description = "The chat", body = ChatView),
        refusals::UnseenChat,
        (status = 403, response = Problem),
        (
            status = 409,
            description = "Not ended yet (`chat-not-ended`), never answered (`not-in-wrap-up`) or \
                           erased (`chat-erased`)",
            body = Problem, content_type = PROBLEM_JSON
        ),
        (
            status = 422, description = "The queue requires a code first (field `codes`)",
            body = Problem, content_type = PROBLEM_JSON
        ),
    ),
    security(("bearer" = []))
)]
pub async fn finish(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(chat_id): ApiPath<ChatId>,
) -> Result<Json<ChatView>, ApiError> {
    let command = ChatCommand::FinishWrapUp {
        by: staff.actor(),
        at: meta.at,
    };
    act_and_show(&state, &staff, &meta, chat_id, "finish_wrap_up", command).await
}
