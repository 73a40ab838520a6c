//! Who is in a queue and who is logged in: the queue overview's agent list, the supervisors'
//! board of every agent's state, and the agent's own state for the availability control.

use super::presence::PresenceState;
use crate::auth::Staff;
use crate::error::{ApiError, OverseersOnly, Problem, PROBLEM_JSON};
use crate::extract::ApiPath;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use samtale_domain::QueueId;
use samtale_projections::read::{self, AgentStateRow, MemberPresence, RosterEntry};
use samtale_projections::timestamp;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

/// Where an agent stands with routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    /// Logged in to no queue.
    Offline,
    /// Logged in, and given chats as they have room.
    Ready,
    /// Logged in, given nothing until they resume (`paused_reason` says why).
    Paused,
    /// Logged in, wrapping up a chat that ended: given nothing until `wrap_up_until`.
    WrapUp,
}

/// An agent's state, and since when they have been in it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Availability {
    pub state: AgentState,
    /// When the state began, where the read models know it: a session's or pause's start, the
    /// end of the last wrap-up; `null` during a wrap-up (`wrap_up_until` says when it ends).
    pub since: Option<String>,
    pub paused_reason: Option<String>,
    pub wrap_up_until: Option<String>,
}

impl Availability {
    pub(super) fn of(row: &AgentStateRow, now: DateTime<Utc>) -> Self {
        let now = timestamp(now);
        let wrapping_up = row.wrap_up_until.as_ref().filter(|until| **until > now);
        let (state, since) = if row.logged_in_queues == 0 {
            (AgentState::Offline, row.changed_at.clone())
        } else if row.paused_reason.is_some() {
            (AgentState::Paused, row.paused_since.clone())
        } else if wrapping_up.is_some() {
            (AgentState::WrapUp, None)
        } else {
            // Ready since their presence last changed or their last wrap-up ended.
            let since = row.changed_at.clone().max(row.wrap_up_until.clone());
            (AgentState::Ready, since)
        };
        Availability {
            state,
            since,
            paused_reason: row.paused_reason.clone(),
            wrap_up_until: wrapping_up.cloned(),
        }
    }
}

/// One agent on the supervisors' board.
#[derive(Serialize, ToSchema)]
pub struct AgentOnBoard {
    #[schema(format = Uuid)]
    user_id: String,
    username: String,
    display_name: String,
    role: String,
    /// Signed in to the console now: a session not signed out, used within the idle time.
    signed_in: bool,
    #[serde(flatten)]
    availability: Availability,
    /// "Logged in to 1 of 2 queues".
    logged_in_queues: i64,
    member_queues: i64,
    /// Each queue they are a member of, by name, and whether they are logged in to it.
    queues: Vec<MemberPresence>,
    active_chats: i64,
    offered_chats: i64,
}

/// Supervisors and administrators: every agent (every active member of a queue) with their
/// state, since when, whether they are signed in, the queues they are logged in to and
/// their chats.
#[utoipa::path(
    get,
    path = "/api/v1/agents",
    tag = "supervision",
    responses(
        (status = 200, description = "Every agent's state, by name", body = Vec<AgentOnBoard>),
        (status = 403, response = OverseersOnly),
    ),
    security(("bearer" = []))
)]
pub async fn agents(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<Vec<AgentOnBoard>>, ApiError> {
    staff.require_oversight()?;
    let now = Utc::now();
    let db = state.db.any();
    let signed_in: HashSet<String> = state.sessions.signed_in(now).await?.into_iter().collect();
    let mut memberships: HashMap<String, Vec<MemberPresence>> = HashMap::new();
    for membership in read::member_presence(db).await? {
        let user = membership.user_id.clone();
        memberships.entry(user).or_default().push(membership);
    }
    let board = read::agent_states(db)
        .await?
        .into_iter()
        .map(|row| AgentOnBoard {
            availability: Availability::of(&row, now),
            signed_in: signed_in.contains(&row.user_id),
            queues: memberships.remove(&row.user_id).unwrap_or_default(),
            user_id: row.user_id,
            username: row.username,
            display_name: row.display_name,
            role: row.role,
            logged_in_queues: row.logged_in_queues,
            member_queues: row.member_queues,
            active_chats: row.active_chats,
            offered_chats: row.offered_chats,
        })
        .collect();
    Ok(Json(board))
}

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
