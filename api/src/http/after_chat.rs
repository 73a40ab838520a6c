//! After the chat, for its customer: how satisfied they were (a rating), and a copy of the
//! conversation by e-mail.

use super::customer::{act_as_customer, own_chat};
use super::views::ChatView;
use crate::auth::Customer;
use crate::error::{refusals, text_error, ApiError, Conflict, Problem, PROBLEM_JSON};
use crate::extract::{ApiJson, ApiPath, Origin};
use crate::http::constraints;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use samtale_domain::chat::Score;
use samtale_domain::form::normalised_email;
use samtale_domain::text::MessageText;
use samtale_domain::{ChatCommand, ChatId};
use serde::Deserialize;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RatingBody {
    /// 1 (very dissatisfied) to 5 (very satisfied).
    #[schema(minimum = 1, maximum = 5)]
    score: u8,
    /// At most 4,000 characters; only staff read it.
    #[schema(schema_with = constraints::optional_message)]
    comment: Option<String>,
}

/// The customer rates the chat once it has ended: a score, and a comment if they like. The
/// same rating again answers as the first did; another is refused.
#[utoipa::path(
    post,
    path = "/api/v1/customer/chats/{id}/rating",
    tag = "customer",
    params(("id" = Uuid, Path, description = "The chat")),
    request_body = RatingBody,
    responses(
        (status = 200, description = "The chat, rated", body = ChatView),
        refusals::OtherChat,
        (
            status = 409,
            description = "Not ended yet (`chat-not-ended`), never answered \
                           (`chat-not-answered`), or rated already (`chat-rated`)",
            body = Problem, content_type = PROBLEM_JSON
        ),
        (status = 422, response = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn rate(
    State(state): State<AppState>,
    customer: Customer,
    meta: Origin,
    ApiPath(id): ApiPath<ChatId>,
    ApiJson(body): ApiJson<RatingBody>,
) -> Result<Json<ChatView>, ApiError> {
    let chat_id = own_chat(&customer, id)?;
    let score = Score::try_from(body.score).map_err(|e| ApiError::invalid_field("score", e))?;
    let comment = body
        .comment
        .filter(|comment| !comment.trim().is_empty())
        .map(|comment| MessageText::parse(comment).map_err(|e| text_error("comment", e)))
        .transpose()?;
    let command = ChatCommand::Rate {
        score,
        comment,
        at: meta.at,
    };
    act_as_customer(&state, &meta, &chat_id, "rate", command).await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TranscriptBody {
    #[schema(schema_with = constraints::deliverable_email)]
    email: String,
}

/// The customer asks for a copy of the conversation by e-mail: it is sent once the chat has
/// ended (at once, if it has). Asking again with another address before then changes it.
#[utoipa::path(
    post,
    path = "/api/v1/customer/chats/{id}/transcript",
    tag = "customer",
    params(("id" = Uuid, Path, description = "The chat")),
    request_body = TranscriptBody,
    responses(
        (status = 200, description = "The chat, with where its copy goes", body = ChatView),
        refusals::OtherChat,
        (
            status = 409,
            description = "Sent already (`transcript-sent`), or no mail is sent from here \
                           (`transcripts-off`)",
            body = Problem, content_type = PROBLEM_JSON
        ),
        (status = 422, response = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn request_transcript(
    State(state): State<AppState>,
    customer: Customer,
    meta: Origin,
    ApiPath(id): ApiPath<ChatId>,
    ApiJson(body): ApiJson<TranscriptBody>,
) -> Result<Json<ChatView>, ApiError> {
    let chat_id = own_chat(&customer, id)?;
    if !state.transcripts_by_email {
        return Err(Conflict::TranscriptsOff.into());
    }
    let to = mail_address(&body.email)?;
    let command = ChatCommand::RequestTranscript { to, at: meta.at };
    act_as_customer(&state, &meta, &chat_id, "request_transcript", command).await
}

/// An address for mail to the customer (field `email`): one the form would take and mail
/// systems take too.
pub(super) fn mail_address(raw: &str) -> Result<String, ApiError> {
    normalised_email(raw)
        .filter(|to| samtale_service::mail::deliverable(to))
        .ok_or_else(|| ApiError::invalid_field("email", "is not an e-mail address"))
}
