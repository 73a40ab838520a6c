//! Who is logged in where: a queue's members with their log-in state and pause, and an
//! agent's own.

use super::{AgentChatState, ReadResult};
use serde::Serialize;
use sqlx::{AnyPool, FromRow};

/// A member of a queue as the queue overview shows them.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
pub struct RosterEntry {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    /// 1 if logged in to this queue.
    pub logged_in: i64,
    pub active_chats: i64,
    /// Why routing passes the agent by (`away`, `no_answer`), while it does.
    pub paused_reason: Option<String>,
    pub paused_since: Option<String>,
}

pub async fn queue_roster(db: &AnyPool, queue_id: &str) -> ReadResult<Vec<RosterEntry>> {
    sqlx::query_as(&format!(
        "SELECT u.user_id, u.username, u.display_name, u.role,
                (SELECT count(*) FROM agent_presence p WHERE p.user_id = u.user_id AND p.queue_id = m.queue_id) AS logged_in,
                (SELECT count(*) FROM agent_chats a WHERE a.agent_id = u.user_id AND a.state = '{active}') AS active_chats,
                s.paused_reason, s.paused_since
           FROM queue_members m JOIN users u ON u.user_id = m.user_id
           LEFT JOIN agent_sessions s ON s.user_id = u.user_id
          WHERE m.queue_id = $1 AND u.active = 1
          ORDER BY u.display_name, u.user_id",
        active = AgentChatState::Active
    ))
    .bind(queue_id.to_string())
    .fetch_all(db)
    .await
}

/// A queue an agent is a member of, and whether they are logged in to it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
pub struct MemberPresence {
    #[serde(skip)]
    pub user_id: String,
    pub queue_id: String,
    /// 1 if logged in to this queue.
    pub logged_in: i64,
}

/// Every queue membership of an active user, with the member's log-in state there: by user,
/// then queue name.
pub async fn member_presence(db: &AnyPool) -> ReadResult<Vec<MemberPresence>> {
    sqlx::query_as(
        "SELECT m.user_id, m.queue_id,
                (SELECT count(*) FROM agent_presence p
                  WHERE p.user_id = m.user_id AND p.queue_id = m.queue_id) AS logged_in
           FROM queue_members m JOIN users u ON u.user_id = m.user_id
           JOIN queues q ON q.queue_id = m.queue_id
          WHERE u.active = 1
          ORDER BY m.user_id, q.name, m.queue_id",
    )
    .fetch_all(db)
    .await
}

/// The queues at least one agent is logged in to: what the widget tells a customer before
/// they start a chat.
pub async fn staffed_queues(db: &AnyPool) -> ReadResult<Vec<String>> {
    sqlx::query_scalar("SELECT DISTINCT queue_id FROM agent_presence ORDER BY queue_id")
        .fetch_all(db)
        .await
}

/// The queues a user is logged in to.
pub async fn logged_in_queues(db: &AnyPool, user_id: &str) -> ReadResult<Vec<String>> {
    sqlx::query_scalar("SELECT queue_id FROM agent_presence WHERE user_id = $1 ORDER BY queue_id")
        .bind(user_id.to_string())
        .fetch_all(db)
        .await
}

/// An agent as the supervisors' board of agents shows them: how many of their queues they are
/// logged in to, their pause or wrap-up, their chats.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
pub struct AgentStateRow {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub member_queues: i64,
    pub logged_in_queues: i64,
    pub active_chats: i64,
    pub offered_chats: i64,
    pub paused_reason: Option<String>,
    pub paused_since: Option<String>,
    /// The end of their latest wrap-up: while it is ahead, they are wrapping up.
    pub wrap_up_until: Option<String>,
    /// When their presence last changed: logging in or out, a pause, a resume.
    pub changed_at: Option<String>,
}

/// The board's query, for the users `filter` (SQL after `WHERE`) picks.
fn agent_state_sql(filter: &str) -> String {
    format!(
        "SELECT u.user_id, u.username, u.display_name, u.role,
                (SELECT count(*) FROM queue_members m WHERE m.user_id = u.user_id) AS member_queues,
                (SELECT count(*) FROM agent_presence p WHERE p.user_id = u.user_id) AS logged_in_queues,
                (SELECT count(*) FROM agent_chats a WHERE a.agent_id = u.user_id
                    AND a.state = '{active}') AS active_chats,
                (SELECT count(*) FROM agent_chats a WHERE a.agent_id = u.user_id
                    AND a.state = '{offered}') AS offered_chats,
                s.paused_reason, s.paused_since,
                (SELECT max(a.wrap_up_until) FROM agent_chats a WHERE a.agent_id = u.user_id)
                    AS wrap_up_until,
                s.changed_at
           FROM users u LEFT JOIN agent_sessions s ON s.user_id = u.user_id
          WHERE {filter}",
        active = AgentChatState::Active,
        offered = AgentChatState::Offered,
    )
}

/// Every active user who is a member of a queue, by name.
pub async fn agent_states(db: &AnyPool) -> ReadResult<Vec<AgentStateRow>> {
    sqlx::query_as(&agent_state_sql(
        "u.active = 1 AND EXISTS (SELECT 1 FROM queue_members m WHERE m.user_id = u.user_id)
          ORDER BY u.display_name, u.user_id",
    ))
    .fetch_all(db)
    .await
}

/// One user's state, whether or not they are a member of a queue (or still active).
pub async fn agent_state(db: &AnyPool, user_id: &str) -> ReadResult<Option<AgentStateRow>> {
    sqlx::query_as(&agent_state_sql("u.user_id = $1"))
        .bind(user_id.to_string())
        .fetch_optional(db)
        .await
}
