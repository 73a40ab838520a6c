//! Supervisors auditing and replaying conversations, straight from the log.

use crate::auth::Staff;
use crate::error::{ApiError, OverseersOnly, Problem};
use crate::extract::ApiPath;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use samtale_domain::{Chat, ChatId};
use samtale_eventlog::Decoder;
use samtale_projections::replay::{chat_at, ReplayedChat};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;

/// One event of a chat's audit trail.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    position: i64,
    event_id: String,
    sequence: i64,
    recorded_at: Option<String>,
    #[serde(rename = "type")]
    event_type: String,
    #[schema(value_type = Object)]
    actor: Value,
    request_id: Option<String>,
    #[schema(value_type = Object)]
    payload: Box<RawValue>,
}

async fn chat_events(
    state: &AppState,
    staff: &Staff,
    chat_id: ChatId,
) -> Result<Vec<samtale_eventlog::LoggedEvent>, ApiError> {
    staff.require_oversight()?;
    let events = state
        .live
        .log()
        .events_of(Chat::TYPE, &chat_id.to_string())
        .await?;
    if events.is_empty() {
        return Err(ApiError::NotFound("no such chat".into()));
    }
    Ok(events)
}

/// Every event of the chat in log order, with who did it and in which request. Personal
/// values are decrypted, or `null` once the chat is erased.
#[utoipa::path(
    get,
    path = "/api/v1/chats/{id}/audit",
    tag = "supervision",
    params(("id" = uuid::Uuid, Path, description = "The chat")),
    responses(
        (status = 200, description = "The chat's events in log order", body = [AuditEntry]),
        (status = 403, response = OverseersOnly),
        (status = 404, response = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn audit(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(chat_id): ApiPath<ChatId>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    let events = chat_events(&state, &staff, chat_id).await?;
    let entries: Result<Vec<AuditEntry>, samtale_eventlog::LogError> = events
        .into_iter()
        .map(|e| {
            let payload = Decoder::CURRENT.payload(&e)?.into_owned();
            Ok(AuditEntry {
                position: e.position.position,
                event_id: e.event_id.to_string(),
                sequence: e.sequence,
                recorded_at: e.metadata.get("recorded_at").cloned(),
                event_type: e.event_type,
                actor: e
                    .metadata
                    .get("actor")
                    .and_then(|a| serde_json::from_str(a).ok())
                    .unwrap_or(Value::Null),
                request_id: e.metadata.get("request_id").cloned(),
                payload,
            })
        })
        .collect();
    Ok(Json(entries?))
}

/// The chat exactly as it was at `at`, folded from its events.
pub async fn replay_at(
    state: &AppState,
    staff: &Staff,
    chat_id: ChatId,
    at: DateTime<Utc>,
) -> Result<ReplayedChat, ApiError> {
    let events = chat_events(state, staff, chat_id).await?;
    chat_at(events, Some(at))?
        .ok_or_else(|| ApiError::NotFound("the chat did not exist yet".into()))
}
