//! Logging agents in and out of their queues (seed: the log in/out button; supervisors
//! logging others in and out in the queue overview).

use super::roster::Availability;
use crate::auth::Staff;
use crate::error::{refusals, ApiError, Problem, PROBLEM_JSON};
use crate::extract::{ApiJson, ApiPath, Origin};
use crate::http::constraints;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use samtale_domain::directory::DIRECTORY_ID;
use samtale_domain::presence::PauseReason;
use samtale_domain::{PresenceCommand, QueueId, UserId};
use samtale_projections::read;
use samtale_service::origin::{command_context, resource_context};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct PresenceChange {
    logged_in: bool,
}

/// The queues the agent is logged in to now (of how many they are a member of), and where they
/// stand with routing: the state the availability control shows.
#[derive(Serialize, ToSchema)]
pub struct PresenceState {
    #[schema(format = Uuid)]
    user_id: String,
    logged_in_queues: Vec<String>,
    /// How many queues the agent is a member of: "logged in to 1 of 2".
    member_queues: i64,
    #[serde(flatten)]
    availability: Availability,
    /// Since when the agent is paused (`paused_reason` says why: `away`, `no_answer` or a
    /// defined reason); `null` while routing gives them chats.
    paused_since: Option<String>,
}

impl PresenceState {
    /// The agent's presence as the read models have it now.
    pub(super) async fn of(state: &AppState, agent_id: UserId) -> Result<Self, ApiError> {
        let logged_in_queues = logged_in_queues(state, agent_id)
            .await?
            .iter()
            .map(QueueId::to_string)
            .collect();
        let row = read::agent_state(state.db.any(), &agent_id.to_string())
            .await?
            .ok_or_else(|| ApiError::NotFound("no such agent".into()))?;
        Ok(PresenceState {
            user_id: agent_id.to_string(),
            logged_in_queues,
            member_queues: row.member_queues,
            availability: Availability::of(&row, chrono::Utc::now()),
            paused_since: row.paused_since,
        })
    }
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
    Ok(Json(PresenceState::of(state, agent_id).await?))
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
        (
            status = 404, description = "No such agent",
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

#[derive(Deserialize, ToSchema)]
pub struct PauseChange {
    /// `true`: routing passes the agent by while they stay logged in; `false`: they are given
    /// chats again, whatever paused them.
    paused: bool,
    /// Why: `away` (the default) or one of the reasons in `GET /pause-reasons`.
    #[schema(schema_with = constraints::optional_code)]
    reason: Option<String>,
}

async fn pause(
    state: &AppState,
    staff: &Staff,
    meta: &Origin,
    agent_id: UserId,
    change: PauseChange,
) -> Result<Json<PresenceState>, ApiError> {
    let (by, at) = (staff.actor(), meta.at);
    // A reason that is no reason is refused even on resuming, where it has no use: the
    // request is wrong either way.
    let reason = change
        .reason
        .map(|reason| {
            PauseReason::try_from(reason).map_err(|e| ApiError::invalid_field("reason", e))
        })
        .transpose()?;
    let (command, operation) = if change.paused {
        let reason = reason.unwrap_or(PauseReason::Away);
        let command = PresenceCommand::Pause {
            agent_id,
            reason,
            defined: state.directory.current(DIRECTORY_ID).await?.pause_reasons(),
            by,
            at,
        };
        (command, "pause")
    } else {
        (PresenceCommand::Resume { agent_id, by, at }, "resume")
    };
    let context = command_context(&staff.actor(), meta, operation);
    state
        .execute(&state.presence, &agent_id.to_string(), command, &context)
        .await?;
    Ok(Json(PresenceState::of(state, agent_id).await?))
}

/// The agent pauses (stays logged in, is given no chat) or resumes, also after routing
/// paused them for an offer they let run out.
#[utoipa::path(
    post,
    path = "/api/v1/me/pause",
    tag = "agent",
    request_body = PauseChange,
    responses(
        (status = 200, description = "The caller's presence", body = PresenceState),
        (
            status = 409, description = "Not logged in to any queue (`not-logged-in`)",
            body = Problem, content_type = PROBLEM_JSON
        ),
        refusals::Invalid,
    ),
    security(("bearer" = []))
)]
pub async fn pause_mine(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiJson(body): ApiJson<PauseChange>,
) -> Result<Json<PresenceState>, ApiError> {
    pause(&state, &staff, &meta, staff.user_id, body).await
}

/// A supervisor pauses an agent or resumes them.
#[utoipa::path(
    post,
    path = "/api/v1/agents/{user_id}/pause",
    tag = "agent",
    params(("user_id" = uuid::Uuid, Path, description = "The agent")),
    request_body = PauseChange,
    responses(
        (status = 200, description = "The agent's presence", body = PresenceState),
        (
            status = 403, description = "Not a supervisor or administrator",
            body = Problem, content_type = PROBLEM_JSON
        ),
        (
            status = 404, description = "No such agent",
            body = Problem, content_type = PROBLEM_JSON
        ),
        (
            status = 409, description = "The agent is not logged in to any queue (`not-logged-in`)",
            body = Problem, content_type = PROBLEM_JSON
        ),
        refusals::Invalid,
    ),
    security(("bearer" = []))
)]
pub async fn pause_agent(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(agent_id): ApiPath<UserId>,
    ApiJson(body): ApiJson<PauseChange>,
) -> Result<Json<PresenceState>, ApiError> {
    staff.require_oversight()?;
    pause(&state, &staff, &meta, agent_id, body).await
}
