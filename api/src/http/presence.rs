//! Logging agents in and out of their queues (seed: the log in/out button; supervisors
//! logging others in and out in the queue overview).

use crate::auth::Staff;
use crate::error::{refusals, ApiError, Problem, PROBLEM_JSON};
use crate::extract::{ApiJson, ApiPath, Origin};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use samtale_domain::directory::DIRECTORY_ID;
use samtale_domain::{PresenceCommand, QueueId, UserId};
use samtale_service::origin::{command_context, resource_context};
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
    meta: &Origin,
    agent_id: UserId,
    queues: Option<BTreeSet<QueueId>>,
    logged_in: bool,
) -> Result<Json<PresenceState>, ApiError> {
    let (by, at) = (staff.actor(), meta.at);
    // A supervisor's key for one queue is not a retry of the same key for another.
    let resource = queues.as_ref().map(|queues| {
        queues
            .iter()
            .map(QueueId::to_string)
            .collect::<Vec<_>>()
            .join(",")
    });
    let (command, operation) = if logged_in {
        let member_of = state
            .directory
            .current(DIRECTORY_ID)
            .await?
            .queues_of(agent_id);
        let command = PresenceCommand::LogIn {
            agent_id,
            // The agent's own button means every queue they are a member of.
            queues: queues.unwrap_or_else(|| member_of.clone()),
            member_of,
            by,
            at,
        };
        (command, "log_in")
    } else {
        // Out of everything asked, including queues the agent has since been removed from.
        let queues = match queues {
            Some(queues) => queues,
            None => logged_in_queues(state, agent_id).await?,
        };
        let command = PresenceCommand::LogOut {
            agent_id,
            queues,
            by,
            at,
        };
        (command, "log_out")
    };
    let context = match resource {
        Some(resource) => resource_context(&staff.actor(), meta, operation, resource),
        None => command_context(&staff.actor(), meta, operation),
    };
    state
        .execute(&state.presence, &agent_id.to_string(), command, &context)
        .await?;
    let logged_in_queues = logged_in_queues(state, agent_id)
        .await?
        .iter()
        .map(QueueId::to_string)
        .collect();
    Ok(Json(PresenceState {
        user_id: agent_id.to_string(),
        logged_in_queues,
    }))
}

async fn logged_in_queues(
    state: &AppState,
    agent_id: UserId,
) -> Result<BTreeSet<QueueId>, ApiError> {
    let queues: Vec<String> = sqlx::query_scalar(
        "SELECT queue_id FROM agent_presence WHERE user_id = $1 ORDER BY queue_id",
    )
    .bind(agent_id.to_string())
    .fetch_all(state.db.any())
    .await?;
    Ok(queues.iter().filter_map(|q| q.parse().ok()).collect())
}

/// The agent's one button: in to, or out of, every queue they are a member of.
#[utoipa::path(
    post,
    path = "/api/v1/me/presence",
    tag = "agent",
    request_body = PresenceChange,
    responses(
        (status = 200, description = "The caller's presence", body = PresenceState),
        (
            status = 409, description = "The caller is a member of no queue",
            body = Problem, content_type = PROBLEM_JSON
        ),
        refusals::Invalid,
    ),
    security(("bearer" = []))
)]
pub async fn set_mine(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiJson(body): ApiJson<PresenceChange>,
) -> Result<Json<PresenceState>, ApiError> {
    change(&state, &staff, &meta, staff.user_id, None, body.logged_in).await
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
        (
            status = 403,
            description = "Not a supervisor or administrator (`forbidden`), or the agent is \
                           not a member of the queue (`not-a-queue-member`)",
            body = Problem, content_type = PROBLEM_JSON
        ),
        refusals::Invalid,
    ),
    security(("bearer" = []))
)]
pub async fn set_for_agent(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath((queue_id, agent_id)): ApiPath<(QueueId, UserId)>,
    ApiJson(body): ApiJson<PresenceChange>,
) -> Result<Json<PresenceState>, ApiError> {
    staff.require_oversight()?;
    let queues = BTreeSet::from([queue_id]);
    change(
        &state,
        &staff,
        &meta,
        agent_id,
        Some(queues),
        body.logged_in,
    )
    .await
}
