//! Canned responses: kept by supervisors and administrators (for every queue, or one), found
//! by agents through their shortcut, and given to the console with the chat's variables filled
//! in, to be edited before sending.

use super::chats::visible_chat;
use crate::auth::Staff;
use crate::error::{text_error, ApiError, Problem, PROBLEM_JSON};
use crate::extract::{parse_id, ApiJson, ApiPath, ApiQuery, Origin};
use crate::http::constraints;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use samtale_domain::directory::{fill, CannedResponse, DIRECTORY_ID};
use samtale_domain::text::{MessageText, Name};
use samtale_domain::{CannedResponseId, ChatId, Code, DirectoryCommand, QueueId};
use samtale_projections::read::{self, CannedResponseRow, ChatRow};
use samtale_service::origin::resource_context;
use serde::Deserialize;
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CannedQuery {
    /// The chat they are for: their texts come with its variables filled in.
    chat_id: Option<Uuid>,
}

/// The canned responses for every queue and for the caller's queues (all of them, for those
/// who oversee), by shortcut. With `chat_id`, `{customer_name}`, `{agent_name}` (the caller),
/// `{queue}` and `{place}` (in the queue, while it waits) are filled in for that chat.
#[utoipa::path(
    get,
    path = "/api/v1/canned-responses",
    operation_id = "list_canned_responses",
    tag = "agent",
    params(CannedQuery),
    responses(
        (status = 200, description = "The canned responses", body = Vec<CannedResponseRow>),
        (
            status = 404, description = "No such chat, or not one the caller may see",
            body = Problem, content_type = PROBLEM_JSON
        ),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(query): ApiQuery<CannedQuery>,
) -> Result<Json<Vec<CannedResponseRow>>, ApiError> {
    let db = state.db.any();
    let scope = staff.scope();
    let responses = read::canned_responses(db, scope.as_deref()).await?;
    let Some(chat_id) = query.chat_id else {
        return Ok(Json(responses));
    };
    let chat = visible_chat(&state, &staff, ChatId(chat_id)).await?;
    let values = variables(&state, &staff, &chat).await?;
    Ok(Json(
        responses
            .into_iter()
            // Those of another queue are not for this chat.
            .filter(|r| r.queue_id.as_ref().is_none_or(|q| *q == chat.queue_id))
            .map(|r| CannedResponseRow {
                text_nb: fill(&r.text_nb, &values),
                text_en: r.text_en.as_deref().map(|text| fill(text, &values)),
                ..r
            })
            .collect(),
    ))
}

/// The values of the variables for `chat`, answered by `staff`.
async fn variables(
    state: &AppState,
    staff: &Staff,
    chat: &ChatRow,
) -> Result<BTreeMap<&'static str, String>, ApiError> {
    let db = state.db.any();
    let mut values = BTreeMap::from([("customer_name", chat.customer_name.clone())]);
    if let Some(me) = read::user(db, &staff.user_id.to_string()).await? {
        values.insert("agent_name", me.display_name);
    }
    if let Some(queue) = read::queue(db, &chat.queue_id).await? {
        values.insert("queue", queue.name);
    }
    if let Some(place) = read::queue_position(db, &chat.chat_id).await? {
        values.insert("place", place.to_string());
    }
    Ok(values)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CannedBody {
    /// The queue it is for; absent or `null`: every queue.
    #[schema(format = Uuid)]
    queue_id: Option<String>,
    /// At most 200 characters.
    #[schema(schema_with = constraints::name)]
    title: String,
    /// 1-40 lowercase letters, digits or `_`, starting with a letter; unique where it applies.
    #[schema(schema_with = constraints::code)]
    shortcut: String,
    /// The text in bokmål: at most 4,000 characters; variables `{customer_name}`,
    /// `{agent_name}`, `{queue}`, `{place}`.
    #[schema(schema_with = constraints::message)]
    text_nb: String,
    /// The text in English, if it has one.
    #[schema(schema_with = constraints::optional_message)]
    text_en: Option<String>,
}

impl CannedBody {
    fn parse(self) -> Result<CannedResponse, ApiError> {
        let text =
            |field: &str, raw: String| MessageText::parse(raw).map_err(|e| text_error(field, e));
        Ok(CannedResponse {
            queue_id: self
                .queue_id
                .map(|q| parse_id::<QueueId>("queue_id", &q))
                .transpose()?,
            title: Name::parse(self.title).map_err(|e| text_error("title", e))?,
            shortcut: Code::parse(&self.shortcut)
                .map_err(|e| ApiError::invalid_field("shortcut", e))?,
            text_nb: text("text_nb", self.text_nb)?,
            text_en: self.text_en.map(|t| text("text_en", t)).transpose()?,
        })
    }
}

/// Supervisors and administrators: adds the canned response with this id (chosen by the
/// client, so a retry is the same response), or replaces it.
#[utoipa::path(
    put,
    path = "/api/v1/canned-responses/{id}",
    operation_id = "define_canned_response",
    tag = "supervision",
    params(("id" = Uuid, Path, description = "The canned response")),
    request_body = CannedBody,
    responses(
        (status = 200, description = "The canned response", body = CannedResponseRow),
        (status = 403, description = "Not a supervisor or administrator", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "The shortcut is taken where it applies (`name-taken`)", body = Problem, content_type = PROBLEM_JSON),
        (status = 422, response = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn define(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(id): ApiPath<CannedResponseId>,
    ApiJson(body): ApiJson<CannedBody>,
) -> Result<Json<CannedResponseRow>, ApiError> {
    let response = body.parse()?;
    if let Some(queue) = response.queue_id {
        read::queue(state.db.any(), &queue.to_string())
            .await?
            .ok_or_else(|| ApiError::invalid_field("queue_id", "no such queue"))?;
    }
    let command = DirectoryCommand::DefineCannedResponse {
        response_id: id,
        response,
        by: staff.actor(),
        at: meta.at,
    };
    change(
        &state,
        &staff,
        &meta,
        ("define_canned_response", id),
        command,
    )
    .await?;
    read::canned_responses(state.db.any(), None)
        .await?
        .into_iter()
        .find(|r| r.response_id == id.to_string())
        .map(Json)
        .ok_or_else(|| ApiError::Internal("a canned response defined is not there".into()))
}

/// Supervisors and administrators: removes a canned response.
#[utoipa::path(
    delete,
    path = "/api/v1/canned-responses/{id}",
    operation_id = "remove_canned_response",
    tag = "supervision",
    params(("id" = Uuid, Path, description = "The canned response")),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Not a supervisor or administrator", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such canned response", body = Problem, content_type = PROBLEM_JSON),
    ),
    security(("bearer" = []))
)]
pub async fn remove(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(id): ApiPath<CannedResponseId>,
) -> Result<StatusCode, ApiError> {
    let command = DirectoryCommand::RemoveCannedResponse {
        response_id: id,
        by: staff.actor(),
        at: meta.at,
    };
    change(
        &state,
        &staff,
        &meta,
        ("remove_canned_response", id),
        command,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The directory decides who may keep canned responses (supervisors too).
async fn change(
    state: &AppState,
    staff: &Staff,
    meta: &Origin,
    (operation, id): (&'static str, CannedResponseId),
    command: DirectoryCommand,
) -> Result<(), ApiError> {
    let context = resource_context(&staff.actor(), meta, operation, id.to_string());
    state
        .execute(&state.directory, DIRECTORY_ID, command, &context)
        .await?;
    Ok(())
}
