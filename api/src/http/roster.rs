//! Who is in a queue and who is logged in: the queue overview's agent list, and the agent's
//! own log-in state for the one button.

use super::presence::PresenceState;
use crate::auth::Staff;
use crate::error::{ApiError, Problem, PROBLEM_JSON};
use crate::extract::ApiPath;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use samtale_domain::QueueId;
use samtale_projections::read::{self, RosterEntry};

/// The queues the caller is logged in to and whether they are paused: the state of the log
/// in/out button and the pause switch.
#[utoipa::path(
    get,
    path = "/api/v1/me/presence",
    tag = "agent",
    responses(
        (status = 200, description = "The caller's presence", body = PresenceState),
    ),
    security(("bearer" = []))
)]
pub async fn my_presence(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<PresenceState>, ApiError> {
    Ok(Json(PresenceState::of(&state, staff.user_id).await?))
}

/// The members of a queue with their log-in state: for supervisors, and for the queue's own
/// members (an agent sees their colleagues, not other queues).
#[utoipa::path(
    get,
    path = "/api/v1/queues/{id}/agents",
    tag = "agent",
    params(("id" = uuid::Uuid, Path, description = "The queue")),
    responses(
        (status = 200, description = "The queue's members and who is logged in", body = [RosterEntry]),
        (
            status = 404, description = "No such queue, or not one of the caller's",
            body = Problem, content_type = PROBLEM_JSON
        ),
    ),
    security(("bearer" = []))
)]
pub async fn queue_agents(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(queue_id): ApiPath<QueueId>,
) -> Result<Json<Vec<RosterEntry>>, ApiError> {
    let queue_id = queue_id.to_string();
    let member = read::member_queues(state.db.any(), &staff.user_id.to_string())
        .await?
        .contains(&queue_id);
    if !(staff.oversees() || member) || read::queue(state.db.any(), &queue_id).await?.is_none() {
        return Err(ApiError::NotFound("no such queue".into()));
    }
    Ok(Json(read::queue_roster(state.db.any(), &queue_id).await?))
}
