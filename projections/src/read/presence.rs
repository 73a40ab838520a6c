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

/// The queues a user is logged in to.
pub async fn logged_in_queues(db: &AnyPool, user_id: &str) -> ReadResult<Vec<String>> {
    sqlx::query_scalar("SELECT queue_id FROM agent_presence WHERE user_id = $1 ORDER BY queue_id")
        .bind(user_id.to_string())
        .fetch_all(db)
        .await
}

/// Why the agent is paused and since when, if they are.
pub async fn pause_of(db: &AnyPool, user_id: &str) -> ReadResult<Option<(String, String)>> {
    let row: Option<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT paused_reason, paused_since FROM agent_sessions WHERE user_id = $1")
            .bind(user_id.to_string())
            .fetch_optional(db)
            .await?;
    Ok(row.and_then(|(reason, since)| Some((reason?, since?))))
}
