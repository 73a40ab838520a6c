//! What the dispatcher reads: agents with room in a queue, the chats it could place now, and
//! chats waiting where nobody is logged in.

use super::{AgentChatState, ChatStatus, ReadResult};
use crate::timestamp;
use chrono::{DateTime, Utc};
use sqlx::{AnyPool, FromRow};

/// An agent the dispatcher may give a chat in a queue: logged in there, active, not paused,
/// with room.
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct RoutableAgent {
    pub user_id: String,
    /// The chats the agent has, and those offered to them: an offer holds its room.
    pub active_chats: i64,
    /// Chats offered to the agent and not yet accepted.
    pub offered_chats: i64,
    pub max_concurrent_chats: i64,
    /// When the agent last got a chat this session, or logged in: who has waited longest.
    pub idle_since: String,
}

/// When routing looks: the instant that ends wrap-ups, and the pace it keeps — an agent
/// who got a chat after `paced_since` waits before the next, so one who logs in to a backlog
/// takes it a chat at a time.
#[derive(Debug, Clone, Copy)]
pub struct RoutingClock {
    pub now: DateTime<Utc>,
    pub paced_since: DateTime<Utc>,
}

/// The load of an agent as routing counts it, whether they are paused or wrapping a chat up,
/// and whether they got one a moment ago: the part of the queries below that says who may be
/// given a chat. `$now` and `$paced` are the placeholders of the clock's two instants.
fn routable(alias: &str, now: &str, paced: &str) -> String {
    format!(
        "(SELECT count(*) FROM agent_chats a WHERE a.agent_id = {alias}.user_id
             AND a.state IN ('{active}', '{offered}')) < {alias}.max_concurrent_chats
         AND {alias}.active = 1
         AND NOT EXISTS (SELECT 1 FROM agent_sessions s
                          WHERE s.user_id = {alias}.user_id AND s.paused_reason IS NOT NULL)
         AND NOT EXISTS (SELECT 1 FROM agent_chats a WHERE a.agent_id = {alias}.user_id
                          AND (a.wrap_up_until > {now}
                               OR (a.state IN ('{active}', '{offered}') AND a.since > {paced})))",
        active = AgentChatState::Active,
        offered = AgentChatState::Offered,
    )
}

/// Agents logged in to `queue_id`, not paused, with spare capacity, fewest chats first, then
/// the one idle longest.
pub async fn routable_agents(
    db: &AnyPool,
    queue_id: &str,
    clock: RoutingClock,
) -> ReadResult<Vec<RoutableAgent>> {
    sqlx::query_as(&format!(
        "SELECT u.user_id, u.max_concurrent_chats,
                (SELECT count(*) FROM agent_chats a WHERE a.agent_id = u.user_id
                    AND a.state IN ('{active}', '{offered}')) AS active_chats,
                (SELECT count(*) FROM agent_chats a WHERE a.agent_id = u.user_id
                    AND a.state = '{offered}') AS offered_chats,
                COALESCE((SELECT max(a.since) FROM agent_chats a WHERE a.agent_id = u.user_id), p.since) AS idle_since
           FROM agent_presence p JOIN users u ON u.user_id = p.user_id
          WHERE p.queue_id = $1 AND {routable}
          ORDER BY active_chats, idle_since, u.user_id",
        active = AgentChatState::Active,
        offered = AgentChatState::Offered,
        routable = routable("u", "$2", "$3"),
    ))
    .bind(queue_id.to_string())
    .bind(timestamp(clock.now))
    .bind(timestamp(clock.paced_since))
    .fetch_all(db)
    .await
}

/// The queues where a logged-in, active, unpaused agent has room: the only queues a round
/// looks at, so a long-stuck queue does not make every round longer.
pub async fn queues_with_room(db: &AnyPool, clock: RoutingClock) -> ReadResult<Vec<String>> {
    sqlx::query_scalar(&format!(
        "SELECT DISTINCT p.queue_id FROM agent_presence p JOIN users u ON u.user_id = p.user_id
          WHERE {routable}
          ORDER BY p.queue_id",
        routable = routable("u", "$1", "$2"),
    ))
    .bind(timestamp(clock.now))
    .bind(timestamp(clock.paced_since))
    .fetch_all(db)
    .await
}

/// Who has declined each of `chats`, as (chat, agent).
pub async fn decliners(db: &AnyPool, chats: &[String]) -> ReadResult<Vec<(String, String)>> {
    if chats.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=chats.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT chat_id, agent_id FROM offer_declines WHERE chat_id IN ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as(&sql);
    for chat in chats {
        query = query.bind(chat);
    }
    query.fetch_all(db).await
}

/// An offer whose time has run out at some instant.
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct DueOffer {
    pub chat_id: String,
    pub agent_id: String,
    pub expires_at: String,
}

/// The open offers to agents who can no longer take them: paused, logged out of the chat's
/// queue, or deactivated. At most one per agent is open, so these are few.
pub async fn stranded_offers(db: &AnyPool, limit: i64) -> ReadResult<Vec<DueOffer>> {
    sqlx::query_as(
        "SELECT c.chat_id, c.offered_to AS agent_id, c.offer_expires_at AS expires_at FROM chats c
          WHERE c.offer_expires_at IS NOT NULL AND c.offered_to IS NOT NULL
            AND (NOT EXISTS (SELECT 1 FROM agent_presence p JOIN users u ON u.user_id = p.user_id
                              WHERE p.user_id = c.offered_to AND p.queue_id = c.queue_id
                                AND u.active = 1)
                 OR EXISTS (SELECT 1 FROM agent_sessions s
                             WHERE s.user_id = c.offered_to AND s.paused_reason IS NOT NULL))
          ORDER BY c.offer_expires_at
          LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await
}

/// The offers whose time ran out by `now`, the longest overdue first, at most `limit`.
pub async fn due_offers(db: &AnyPool, now: DateTime<Utc>, limit: i64) -> ReadResult<Vec<DueOffer>> {
    sqlx::query_as(
        "SELECT chat_id, offered_to AS agent_id, offer_expires_at AS expires_at FROM chats
          WHERE offer_expires_at <= $1 AND offered_to IS NOT NULL
          ORDER BY offer_expires_at
          LIMIT $2",
    )
    .bind(timestamp(now))
    .bind(limit)
    .fetch_all(db)
    .await
}

/// A waiting chat as routing sees it: where it waits and since when.
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct QueuedChat {
    pub queue_id: String,
    pub chat_id: String,
    pub queued_at: String,
}

/// The `limit` longest-waiting chats of a queue not offered to anyone, oldest first: a range
/// of the waiting index, as long as the room the queue's agents have, however long the queue
/// (offered chats, at most one per agent, are passed over in it).
pub async fn oldest_waiting(
    db: &AnyPool,
    queue_id: &str,
    limit: i64,
) -> ReadResult<Vec<QueuedChat>> {
    sqlx::query_as(&format!(
        "SELECT queue_id, chat_id, queued_at FROM chats
          WHERE status = '{waiting}' AND queue_id = $1 AND offered_to IS NULL
          ORDER BY queued_at, chat_id
          LIMIT $2",
        waiting = ChatStatus::Waiting
    ))
    .bind(queue_id.to_string())
    .bind(limit)
    .fetch_all(db)
    .await
}

/// A chat waiting in a queue that has a no-agent notice configured and nobody logged in.
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct UnattendedChat {
    pub chat_id: String,
    pub queue_id: String,
    pub overflow_queue_id: Option<String>,
}

/// A queue with a no-agent notice configured and nobody logged in to it.
#[derive(Debug, Clone, FromRow)]
struct UnattendedQueue {
    queue_id: String,
    no_agent_notice_after_seconds: i64,
    overflow_queue_id: Option<String>,
}

/// The chats due their no-agent notice at `now`, oldest first, at most `limit` per queue.
///
/// A chat told already is passed by, so however many are told and left waiting, a round reads
/// only what is new; except where the queue overflows, since a chat told there but not yet
/// moved (a crash between the two) must still move.
pub async fn unattended_chats(
    db: &AnyPool,
    now: DateTime<Utc>,
    limit: i64,
) -> ReadResult<Vec<UnattendedChat>> {
    let queues: Vec<UnattendedQueue> = sqlx::query_as(
        "SELECT q.queue_id, q.no_agent_notice_after_seconds, q.overflow_queue_id FROM queues q
          WHERE q.no_agent_notice_after_seconds IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM agent_presence p JOIN users u ON u.user_id = p.user_id
                             WHERE p.queue_id = q.queue_id AND u.active = 1
                               AND NOT EXISTS (SELECT 1 FROM agent_sessions s
                                                WHERE s.user_id = p.user_id
                                                  AND s.paused_reason IS NOT NULL))
          ORDER BY q.queue_id",
    )
    .fetch_all(db)
    .await?;
    let mut due = Vec::new();
    for queue in queues {
        let cutoff = now - chrono::Duration::seconds(queue.no_agent_notice_after_seconds);
        // An equality, not a flag in the SQL, and the order of the index alone (no chat id to
        // break ties: the order of two notices does not matter), so that both planners range
        // the `untold` index (or `status_queue`) over the due chats with no sort.
        let untold = if queue.overflow_queue_id.is_some() {
            ""
        } else {
            "AND told_no_agents = 0"
        };
        let chats: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT chat_id FROM chats
              WHERE status = '{waiting}' AND queue_id = $1 {untold} AND queued_at <= $2
              ORDER BY queued_at
              LIMIT $3",
            waiting = ChatStatus::Waiting
        ))
        .bind(&queue.queue_id)
        .bind(timestamp(cutoff))
        .bind(limit)
        .fetch_all(db)
        .await?;
        due.extend(chats.into_iter().map(|chat_id| UnattendedChat {
            chat_id,
            queue_id: queue.queue_id.clone(),
            overflow_queue_id: queue.overflow_queue_id.clone(),
        }));
    }
    Ok(due)
}
