//! The queue board and what a waiting customer sees of it: counts per queue, the incoming
//! list, a chat's place in line and its expected wait, and who is logged in to a queue.

use super::{ChatStatus, ReadResult};
use samtale_eventlog::LogPosition;
use serde::Serialize;
use sqlx::{AnyPool, FromRow};

/// One queue on the board. `oldest_waiting_since` gives the longest current wait.
#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueStatus {
    pub queue_id: String,
    pub name: String,
    pub waiting: i64,
    pub ongoing: i64,
    pub logged_in_agents: i64,
    pub oldest_waiting_since: Option<String>,
    /// Ongoing chats whose agent has raised a hand for help.
    pub hands_raised: i64,
}

/// The queue board: all queues, or only those of `member` when given.
pub async fn queue_board(db: &AnyPool, member: Option<&str>) -> ReadResult<Vec<QueueStatus>> {
    sqlx::query_as(&format!(
        "SELECT q.queue_id, q.name,
                (SELECT count(*) FROM chats c WHERE c.queue_id = q.queue_id AND c.status = '{waiting}') AS waiting,
                (SELECT count(*) FROM chats c WHERE c.queue_id = q.queue_id AND c.status = '{assigned}') AS ongoing,
                (SELECT count(*) FROM agent_presence p WHERE p.queue_id = q.queue_id) AS logged_in_agents,
                (SELECT min(c.queued_at) FROM chats c WHERE c.queue_id = q.queue_id AND c.status = '{waiting}') AS oldest_waiting_since,
                (SELECT count(*) FROM chats c WHERE c.queue_id = q.queue_id AND c.status = '{assigned}'
                    AND c.hand_raised = 1) AS hands_raised
           FROM queues q
          WHERE ($1 IS NULL OR q.queue_id IN (SELECT queue_id FROM queue_members WHERE user_id = $1))
            -- A removed queue shows while chats that reached it as it went are still open.
            AND (q.removed = 0 OR EXISTS (SELECT 1 FROM chats c WHERE c.queue_id = q.queue_id
                                            AND c.status IN ('{waiting}', '{assigned}')))
          ORDER BY q.name",
        assigned = ChatStatus::Assigned, waiting = ChatStatus::Waiting
    ))
    .bind(member.map(str::to_string))
    .fetch_all(db)
    .await
}

#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WaitingChat {
    pub chat_id: String,
    pub customer_name: String,
    pub requested_at: String,
    pub queued_at: String,
    pub queue_id: String,
    pub queue_name: String,
    pub category_id: Option<String>,
    pub category_name: Option<String>,
}

/// Which waiting chats a page of the incoming list holds: at most `limit` (all when `None`),
/// those after the chat `after` in arrival order (from the start when `None`).
#[derive(Debug, Clone, Default)]
pub struct WaitingPage {
    pub member: Option<String>,
    pub limit: Option<i64>,
    pub after: Option<String>,
}

/// The incoming list, oldest first: waiting chats, or those in `member`'s queues. The cursor
/// is a chat id rather than an offset, so a page stays put while chats ahead of it are picked
/// up; a chat keeps its `queued_at` once it leaves the queue, so a cursor that was picked up
/// still marks its place.
pub async fn waiting_chats(db: &AnyPool, page: &WaitingPage) -> ReadResult<Vec<WaitingChat>> {
    sqlx::query_as(&format!(
        "SELECT c.chat_id, c.customer_name, c.requested_at, c.queued_at, c.queue_id,
                q.name AS queue_name, c.category_id, k.name AS category_name
           FROM chats c
           JOIN queues q ON q.queue_id = c.queue_id
           LEFT JOIN categories k ON k.category_id = c.category_id
          WHERE c.status = '{waiting}'
            AND ($1 IS NULL OR c.queue_id IN (SELECT queue_id FROM queue_members WHERE user_id = $1))
            AND ($2 IS NULL OR (c.queued_at, c.chat_id) >
                 (SELECT a.queued_at, a.chat_id FROM chats a WHERE a.chat_id = $2))
          ORDER BY c.queued_at, c.chat_id
          LIMIT $3",
        waiting = ChatStatus::Waiting
    ))
    .bind(page.member.clone())
    .bind(page.after.clone())
    // SQLite reads a negative LIMIT as none; PostgreSQL wants a number, so the largest.
    .bind(page.limit.unwrap_or(i64::MAX))
    .fetch_all(db)
    .await
}

/// The chats a queue still has to deal with: waiting, going on, or left as a message not yet
/// answered. A queue with any cannot be removed.
pub async fn open_chats_in(db: &AnyPool, queue_id: &str) -> ReadResult<i64> {
    sqlx::query_scalar(&format!(
        "SELECT count(*) FROM chats
          WHERE queue_id = $1 AND status IN ('{waiting}', '{assigned}', '{left}')",
        waiting = ChatStatus::Waiting,
        assigned = ChatStatus::Assigned,
        left = ChatStatus::Left
    ))
    .bind(queue_id.to_string())
    .fetch_one(db)
    .await
}

/// How many chats wait, in all queues or in `member`'s: the incoming list's length, counted
/// from the index without reading the rows.
pub async fn waiting_count(db: &AnyPool, member: Option<&str>) -> ReadResult<i64> {
    sqlx::query_scalar(&format!(
        "SELECT count(*) FROM chats c
          WHERE c.status = '{waiting}'
            AND ($1 IS NULL OR c.queue_id IN (SELECT queue_id FROM queue_members WHERE user_id = $1))",
        waiting = ChatStatus::Waiting
    ))
    .bind(member.map(str::to_string))
    .fetch_one(db)
    .await
}

/// Every waiting chat as `(queue, chat, queued_at)`, with the position of the log the rows
/// stand at: the conversations' checkpoint, read in the same statement, so the two agree.
/// The live feed starts its place book from this and folds the log from that position on.
/// A row of [`waiting_snapshot`]'s query: the checkpoint, and a waiting chat if there is one.
type SnapshotRow = (i64, i64, Option<String>, Option<String>, Option<String>);

pub async fn waiting_snapshot(
    db: &AnyPool,
) -> ReadResult<(LogPosition, Vec<(String, String, String)>)> {
    let rows: Vec<SnapshotRow> = sqlx::query_as(&format!(
        "SELECT k.tx, k.position, c.queue_id, c.chat_id, c.queued_at
           FROM projection_checkpoints k
           LEFT JOIN chats c ON c.status = '{waiting}'
          WHERE k.name = 'conversations'",
        waiting = ChatStatus::Waiting
    ))
    .fetch_all(db)
    .await?;
    let at = rows
        .first()
        .map(|(tx, position, ..)| LogPosition {
            tx: *tx,
            position: *position,
        })
        .ok_or(sqlx::Error::RowNotFound)?;
    let waiting = rows
        .into_iter()
        .filter_map(|(_, _, queue, chat, queued_at)| Some((queue?, chat?, queued_at?)))
        .collect();
    Ok((at, waiting))
}

/// A waiting chat's place in its queue: 1 is next. Chats leave a queue in arrival order.
pub async fn queue_position(db: &AnyPool, chat_id: &str) -> ReadResult<Option<i64>> {
    sqlx::query_scalar(&format!(
        "SELECT (SELECT count(*) FROM chats o
                  WHERE o.queue_id = c.queue_id AND o.status = '{waiting}'
                    AND (o.queued_at < c.queued_at OR (o.queued_at = c.queued_at AND o.chat_id <= c.chat_id)))
           FROM chats c WHERE c.chat_id = $1 AND c.status = '{waiting}'",
        waiting = ChatStatus::Waiting
    ))
    .bind(chat_id.to_string())
    .fetch_optional(db)
    .await
}

/// Seconds a new arrival at `position` can expect to wait: the queue's pace times the position.
/// `None` until the queue has a pace.
pub async fn estimated_wait_seconds(
    db: &AnyPool,
    queue_id: &str,
    position: i64,
) -> ReadResult<Option<i64>> {
    Ok(queue_pace(db, queue_id)
        .await?
        .map(|pace| estimated_wait(pace, position)))
}

/// The wait a place in a queue of this pace means, in whole seconds.
pub fn estimated_wait(pace_seconds: f64, position: i64) -> i64 {
    (pace_seconds * position as f64).round() as i64
}

/// A queue's recent pace: the seconds between its last 20 assignments, on average. `None`
/// until it has two. Reads 20 rows of an index whatever the queue's length or history.
pub async fn queue_pace(db: &AnyPool, queue_id: &str) -> ReadResult<Option<f64>> {
    let recent: Vec<String> = sqlx::query_scalar(
        "SELECT assigned_at FROM chats WHERE queue_id = $1 AND assigned_at IS NOT NULL
          ORDER BY assigned_at DESC LIMIT 20",
    )
    .bind(queue_id.to_string())
    .fetch_all(db)
    .await?;
    let parse = |t: &String| chrono::DateTime::parse_from_rfc3339(t).ok();
    let (Some(newest), Some(oldest)) = (
        recent.first().and_then(parse),
        recent.last().and_then(parse),
    ) else {
        return Ok(None);
    };
    if recent.len() < 2 {
        return Ok(None);
    }
    Ok(Some(
        (newest - oldest).num_seconds() as f64 / (recent.len() - 1) as f64,
    ))
}

/// An ongoing chat, for supervisors watching a queue: who has it, since when, and whether they
/// asked for help.
#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OngoingChat {
    pub chat_id: String,
    pub queue_id: String,
    pub customer_name: String,
    pub agent_id: Option<String>,
    pub assigned_at: Option<String>,
    pub hand_raised: i64,
}

/// The ongoing chats of every queue (or of `queue_id`), raised hands first, then the longest
/// running.
pub async fn ongoing_chats(db: &AnyPool, queue_id: Option<&str>) -> ReadResult<Vec<OngoingChat>> {
    sqlx::query_as(&format!(
        "SELECT chat_id, queue_id, customer_name, agent_id, assigned_at, hand_raised FROM chats
          WHERE status = '{assigned}' AND ($1 IS NULL OR queue_id = $1)
          ORDER BY hand_raised DESC, assigned_at, chat_id
          LIMIT 1000",
        assigned = ChatStatus::Assigned
    ))
    .bind(queue_id.map(str::to_string))
    .fetch_all(db)
    .await
}
