//! The lists administrators keep for staff to choose from: the reasons agents pause for, and
//! each queue's wrap-up codes (the contact reasons a chat ends with). Each entry is a code and
//! a label; a code is kept for good in reports, so relabelling one rewrites no history.

use super::{directory, name};
use crate::auth::Staff;
use crate::error::{refusals, ApiError};
use crate::extract::{ApiJson, ApiPath, Origin};
use crate::http::constraints;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use samtale_domain::{Code, DirectoryCommand, QueueId};
use samtale_projections::read::{self, Choice};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct ChoiceLabel {
    /// What staff see, e.g. "Lunch"; at most 200 characters.
    #[schema(schema_with = constraints::name)]
    label: String,
}

fn code(raw: &str) -> Result<Code, ApiError> {
    Code::parse(raw).map_err(|e| ApiError::invalid_field("code", e))
}

/// Any staff member: the reasons an agent can pause for besides `away`. (`no_answer` is
/// routing's own, for an offer left to run out.)
#[utoipa::path(
    get,
    path = "/api/v1/pause-reasons",
    tag = "admin",
    responses((status = 200, description = "The defined pause reasons, by label", body = Vec<Choice>)),
    security(("bearer" = []))
)]
pub async fn list_pause_reasons(
    State(state): State<AppState>,
    _staff: Staff,
) -> Result<Json<Vec<Choice>>, ApiError> {
    Ok(Json(read::pause_reasons(state.db.any()).await?))
}

/// Defines a pause reason, or relabels the one with that code.
#[utoipa::path(
    put,
    path = "/api/v1/pause-reasons/{code}",
    tag = "admin",
    params((
        "code" = String, Path, description = "The reason's code, e.g. `lunch`",
        pattern = r"^[a-z][a-z0-9_]{0,39}$"
    )),
    request_body = ChoiceLabel,
    responses(
        (status = 200, description = "The defined pause reasons", body = Vec<Choice>),
        refusals::DirectoryChange,
    ),
    security(("bearer" = []))
)]
pub async fn define_pause_reason(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(raw): ApiPath<String>,
    ApiJson(body): ApiJson<ChoiceLabel>,
) -> Result<Json<Vec<Choice>>, ApiError> {
    let command = DirectoryCommand::DefinePauseReason {
        reason: code(&raw)?,
        label: name("label", &body.label)?,
        by: staff.actor(),
        at: meta.at,
    };
    directory(
        &state,
        &staff,
        &meta,
        ("define_pause_reason", &raw),
        command,
    )
    .await?;
    Ok(Json(read::pause_reasons(state.db.any()).await?))
}

/// Removes a pause reason: agents can no longer choose it; pauses for it so far keep it.
#[utoipa::path(
    delete,
    path = "/api/v1/pause-reasons/{code}",
    tag = "admin",
    params((
        "code" = String, Path, description = "The reason's code",
        pattern = r"^[a-z][a-z0-9_]{0,39}$"
    )),
    responses(
        (status = 204, description = "The reason is no longer offered"),
        refusals::DirectoryRemoval,
        refusals::Invalid,
    ),
    security(("bearer" = []))
)]
pub async fn remove_pause_reason(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(raw): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let command = DirectoryCommand::RemovePauseReason {
        reason: code(&raw)?,
        by: staff.actor(),
        at: meta.at,
    };
    directory(
        &state,
        &staff,
        &meta,
        ("remove_pause_reason", &raw),
        command,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Any staff member: the codes a chat of the queue can be wrapped up with.
#[utoipa::path(
    get,
    path = "/api/v1/queues/{id}/wrap-up-codes",
    tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "The queue")),
    responses((status = 200, description = "The queue's wrap-up codes, by label", body = Vec<Choice>)),
    security(("bearer" = []))
)]
pub async fn list_wrap_up_codes(
    State(state): State<AppState>,
    _staff: Staff,
    ApiPath(queue_id): ApiPath<QueueId>,
) -> Result<Json<Vec<Choice>>, ApiError> {
    Ok(Json(
        read::wrap_up_codes(state.db.any(), &queue_id.to_string()).await?,
    ))
}

/// Defines a wrap-up code of the queue, or relabels the one with that code.
#[utoipa::path(
    put,
    path = "/api/v1/queues/{id}/wrap-up-codes/{code}",
    tag = "admin",
    params(
        ("id" = uuid::Uuid, Path, description = "The queue"),
        (
            "code" = String, Path, description = "The code, e.g. `billing`",
            pattern = r"^[a-z][a-z0-9_]{0,39}$"
        ),
    ),
    request_body = ChoiceLabel,
    responses(
        (status = 200, description = "The queue's wrap-up codes", body = Vec<Choice>),
        refusals::DirectoryChange,
    ),
    security(("bearer" = []))
)]
pub async fn define_wrap_up_code(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath((queue_id, raw)): ApiPath<(QueueId, String)>,
    ApiJson(body): ApiJson<ChoiceLabel>,
) -> Result<Json<Vec<Choice>>, ApiError> {
    let command = DirectoryCommand::DefineWrapUpCode {
        queue_id,
        code: code(&raw)?,
        label: name("label", &body.label)?,
        by: staff.actor(),
        at: meta.at,
    };
    let resource = format!("{queue_id}/{raw}");
    directory(
        &state,
        &staff,
        &meta,
        ("define_wrap_up_code", &resource),
        command,
    )
    .await?;
    Ok(Json(
        read::wrap_up_codes(state.db.any(), &queue_id.to_string()).await?,
    ))
}

/// Removes a wrap-up code from the queue; chats wrapped up with it keep it.
#[utoipa::path(
    delete,
    path = "/api/v1/queues/{id}/wrap-up-codes/{code}",
    tag = "admin",
    params(
        ("id" = uuid::Uuid, Path, description = "The queue"),
        ("code" = String, Path, description = "The code", pattern = r"^[a-z][a-z0-9_]{0,39}$"),
    ),
    responses(
        (status = 204, description = "The code is no longer offered"),
        refusals::DirectoryRemoval,
        refusals::Invalid,
    ),
    security(("bearer" = []))
)]
pub async fn remove_wrap_up_code(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath((queue_id, raw)): ApiPath<(QueueId, String)>,
) -> Result<StatusCode, ApiError> {
    let command = DirectoryCommand::RemoveWrapUpCode {
        queue_id,
        code: code(&raw)?,
        by: staff.actor(),
        at: meta.at,
    };
    let resource = format!("{queue_id}/{raw}");
    directory(
        &state,
        &staff,
        &meta,
        ("remove_wrap_up_code", &resource),
        command,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
