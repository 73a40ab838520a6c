//! Logging agents in and out of their queues (seed: the log in/out button; supervisors
//! logging others in and out in the queue overview).

use crate::app::{command_context, AppState};
use crate::auth::Staff;
use crate::error::{ApiError, Problem, PROBLEM_JSON};
use crate::extract::{parse_id, ApiJson, RequestMeta};
use axum::extract::{Path, State};
use axum::Json;
use samtale_domain::{PresenceCommand, QueueId, UserId};
use samtale_projections::read;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct PresenceChange {
    logged_in: bool,
}

/// The queues the agent is logged in to now.
#[derive(Serialize, ToSchema)]
pub struct PresenceState {
    #[schema(format = Uuid)]
    user_id: String,
    logged_in_queues: Vec<String>,
}

async fn change(
    state: &AppState,
    staff: &Staff,
    meta: &RequestMeta,
    agent_id: UserId,
    queues: BTreeSet<QueueId>,
    logged_in: bool,
) -> Result<Json<PresenceState>, ApiError> {
    let (by, at) = (staff.actor(), meta.at);
    let command = if logged_in {
        PresenceCommand::LogIn {
            agent_id,
            queues,
            by,
            at,
        }
    } else {
        PresenceCommand::LogOut {
            agent_id,
            queues,
            by,
            at,
        }
    };
    let context = command_context(&staff.actor(), meta, None);
    state
        .execute(&state.presence, &agent_id.to_string(), command, &context)
        .await?;
    let logged_in_queues = sqlx::query_scalar(
        "SELECT queue_id FROM agent_presence WHERE user_id = $1 ORDER BY queue_id",
    )
    .bind(agent_id.to_string())
    .fetch_all(state.db.any())
    .await?;
    Ok(Json(PresenceState {
        user_id: agent_id.to_string(),
        logged_in_queues,
    }))
}

/// The agent's one button: in to, or out of, every queue they are a member of.
#[utoipa::path(
    post,
    path = "/api/v1/me/presence",
    tag = "agent",
    request_body = PresenceChange,
    responses(
        (status = 200, description = "The caller's presence", body = PresenceState),
        (status = 400, response = Problem),
        (status = 401, response = Problem),
        (
            status = 409, description = "The caller is a member of no queue",
            body = Problem, content_type = PROBLEM_JSON
        ),
        (status = 422, response = Problem),
        (status = 503, response = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn set_mine(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    ApiJson(body): ApiJson<PresenceChange>,
) -> Result<Json<PresenceState>, ApiError> {
    let queues = if body.logged_in {
        read::member_queues(state.db.any(), &staff.user_id.to_string())
            .await?
            .iter()
            .filter_map(|q| q.parse().ok())
            .collect()
    } else {
        // Out of everything, including queues the agent has since been removed from.
        sqlx::query_scalar::<_, String>("SELECT queue_id FROM agent_presence WHERE user_id = $1")
            .bind(staff.user_id.to_string())
            .fetch_all(state.db.any())
            .await?
            .iter()
            .filter_map(|q| q.parse().ok())
            .collect()
    };
    change(&state, &staff, &meta, staff.user_id, queues, body.logged_in).await
}

/// A supervisor logs one agent in to or out of one queue.
#[utoipa::path(
    post,
    path = "/api/v1/queues/{id}/agents/{user_id}/presence",
    tag = "agent",
    params(
        ("id" = uuid::Uuid, Path, description = "The queue"),
        ("user_id" = uuid::Uuid, Path, description = "The agent"),
    ),
    request_body = PresenceChange,
    responses(
        (status = 200, description = "The agent's presence", body = PresenceState),
        (status = 400, response = Problem),
        (status = 401, response = Problem),
        (
            status = 403, description = "Not a supervisor or administrator",
            body = Problem, content_type = PROBLEM_JSON
        ),
        (
            status = 409, description = "The agent is not a member of the queue",
            body = Problem, content_type = PROBLEM_JSON
        ),
        (status = 422, response = Problem),
        (status = 503, response = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn set_for_agent(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    Path((queue, user)): Path<(String, String)>,
    ApiJson(body): ApiJson<PresenceChange>,
) -> Result<Json<PresenceState>, ApiError> {
    staff.require_oversight()?;
    let queue_id: QueueId = parse_id("queue id", &queue)?;
    let agent_id: UserId = parse_id("user id", &user)?;
    if body.logged_in
        && !read::queue_members(state.db.any(), &queue)
            .await?
            .contains(&user)
    {
        return Err(ApiError::Conflict(
            "the user is not a member of that queue".into(),
        ));
    }
    change(
        &state,
        &staff,
        &meta,
        agent_id,
        BTreeSet::from([queue_id]),
        body.logged_in,
    )
    .await
}
