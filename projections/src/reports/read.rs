//! The reports' rows as supervisors and reporting jobs read them, and the queue board at a
//! past instant.

use super::INTERVAL_SECONDS;
use crate::columns::Columns;
use crate::read::{ActivityKind, ChatStatus, EndReason};
use std::collections::{BTreeMap, BTreeSet};

/// One chat's report row.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, PartialEq)]
pub struct ChatReport {
    pub chat_id: String,
    pub queue_id: String,
    pub category_id: Option<String>,
    pub requested_at: String,
    pub first_assigned_at: Option<String>,
    pub first_agent_reply_at: Option<String>,
    pub ended_at: Option<String>,
    pub wait_seconds: Option<f64>,
    pub handle_seconds: Option<f64>,
    pub transfers: i64,
    pub customer_messages: i64,
    pub agent_messages: i64,
    /// Files sent in the chat (both ways), and their bytes: never their names or content.
    pub files: i64,
    pub file_bytes: i64,
    /// `agent`, `customer`, `abandoned`; null while the chat is open.
    pub outcome: Option<EndReason>,
    /// How long its agent wrapped it up after it ended.
    pub wrap_up_seconds: Option<f64>,
    /// Its contact reasons: the wrap-up codes it was given, separated by spaces.
    pub wrap_up_codes: Option<String>,
    /// The customer's rating, 1-5.
    pub rating: Option<f64>,
}

impl Columns for ChatReport {
    /// The first columns of `report_chats`; the fold adds the two it credits agents from.
    const COLUMNS: &'static [&'static str] = &[
        "chat_id",
        "queue_id",
        "category_id",
        "requested_at",
        "first_assigned_at",
        "first_agent_reply_at",
        "ended_at",
        "wait_seconds",
        "handle_seconds",
        "transfers",
        "customer_messages",
        "agent_messages",
        "files",
        "file_bytes",
        "outcome",
        "wrap_up_seconds",
        "wrap_up_codes",
        "rating",
    ];
}

/// A queue's figures for one interval, with the derived averages and service level.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, PartialEq)]
pub struct QueueIntervalReport {
    pub queue_id: String,
    pub interval_start: String,
    pub offered: i64,
    pub answered: i64,
    pub abandoned: i64,
    pub average_wait_seconds: Option<f64>,
    pub max_wait_seconds: f64,
    /// Percent of answered chats answered within the threshold; null if none was answered.
    pub service_level_percent: Option<f64>,
    pub handled: i64,
    pub average_handle_seconds: Option<f64>,
    /// Messages left for the queue in the interval (outside its hours), and of those answered
    /// so far, with how long they waited for the answer on average.
    pub left_messages: i64,
    pub left_answered: i64,
    pub average_left_answer_seconds: Option<f64>,
}

impl Columns for QueueIntervalReport {
    /// Derived in the query from `report_queue_intervals`' sums.
    const COLUMNS: &'static [&'static str] = &[
        "queue_id",
        "interval_start",
        "offered",
        "answered",
        "abandoned",
        "average_wait_seconds",
        "max_wait_seconds",
        "service_level_percent",
        "handled",
        "average_handle_seconds",
        "left_messages",
        "left_answered",
        "average_left_answer_seconds",
    ];
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, PartialEq)]
pub struct AgentIntervalReport {
    pub agent_id: String,
    pub interval_start: String,
    pub logged_in_seconds: f64,
    pub chats_handled: i64,
    /// Chats open at once, on average over the interval.
    pub average_concurrency: f64,
    /// Chats routing offered the agent, and of those, offers that ran out and that they declined.
    pub offers: i64,
    pub offers_expired: i64,
    pub offers_declined: i64,
    /// Time paused (logged in, given no chats), and of that, paused for an offer left to run out.
    pub paused_seconds: f64,
    pub paused_no_answer_seconds: f64,
    /// Time in wrap-up after chats.
    pub wrap_up_seconds: f64,
}

impl Columns for AgentIntervalReport {
    /// Derived in the query from `report_agent_intervals`' sums.
    const COLUMNS: &'static [&'static str] = &[
        "agent_id",
        "interval_start",
        "logged_in_seconds",
        "chats_handled",
        "average_concurrency",
        "offers",
        "offers_expired",
        "offers_declined",
        "paused_seconds",
        "paused_no_answer_seconds",
        "wrap_up_seconds",
    ];
}

/// The rows `sql` selects for the period from `$1` until `$2`.
async fn in_period<T>(
    db: &sqlx::AnyPool,
    sql: &str,
    from: &str,
    to: &str,
) -> Result<Vec<T>, sqlx::Error>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    sqlx::query_as(sql)
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(db)
        .await
}

/// Reports of chats requested in `[from, to)`.
pub async fn chat_reports(
    db: &sqlx::AnyPool,
    from: &str,
    to: &str,
) -> Result<Vec<ChatReport>, sqlx::Error> {
    in_period(
        db,
        &format!(
            "SELECT {} FROM report_chats WHERE requested_at >= $1 AND requested_at < $2
          ORDER BY requested_at, chat_id",
            ChatReport::COLUMNS.join(", ")
        ),
        from,
        to,
    )
    .await
}

pub async fn queue_reports(
    db: &sqlx::AnyPool,
    from: &str,
    to: &str,
) -> Result<Vec<QueueIntervalReport>, sqlx::Error> {
    // Casts keep PostgreSQL from answering in `numeric`, which the Any driver cannot read.
    in_period(db, "SELECT queue_id, interval_start, offered, answered, abandoned,
                CASE WHEN answered > 0 THEN CAST(wait_ms_total / 1000.0 / answered AS double precision) END
                    AS average_wait_seconds,
                CAST(wait_ms_max / 1000.0 AS double precision) AS max_wait_seconds,
                CASE WHEN answered > 0
                     THEN CAST(100.0 * answered_within_threshold / answered AS double precision) END
                    AS service_level_percent,
                handled,
                CASE WHEN handled > 0 THEN CAST(handle_ms_total / 1000.0 / handled AS double precision) END
                    AS average_handle_seconds,
                left_messages, left_answered,
                CASE WHEN left_answered > 0
                     THEN CAST(left_answer_ms_total / 1000.0 / left_answered AS double precision) END
                    AS average_left_answer_seconds
           FROM report_queue_intervals WHERE interval_start >= $1 AND interval_start < $2
          ORDER BY interval_start, queue_id", from, to).await
}

pub async fn agent_reports(
    db: &sqlx::AnyPool,
    from: &str,
    to: &str,
) -> Result<Vec<AgentIntervalReport>, sqlx::Error> {
    in_period(db, &format!(
        "SELECT agent_id, interval_start, CAST(logged_in_ms / 1000.0 AS double precision) AS logged_in_seconds,
                chats_handled, CAST(chat_ms / {interval_ms}.0 AS double precision) AS average_concurrency,
                offers, offers_expired, offers_declined,
                CAST(paused_ms / 1000.0 AS double precision) AS paused_seconds,
                CAST(paused_no_answer_ms / 1000.0 AS double precision) AS paused_no_answer_seconds,
                CAST(wrap_up_ms / 1000.0 AS double precision) AS wrap_up_seconds
           FROM report_agent_intervals WHERE interval_start >= $1 AND interval_start < $2
          ORDER BY interval_start, agent_id",
        interval_ms = INTERVAL_SECONDS * 1000
    ), from, to).await
}

/// The customers' satisfaction with the chats that ended on one day (UTC) in one queue with one
/// agent: how many rated, the average score, and the share satisfied (4 or 5) — CSAT.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, PartialEq)]
pub struct SatisfactionReport {
    pub day: String,
    pub queue_id: String,
    pub agent_id: Option<String>,
    pub ratings: i64,
    pub average_rating: f64,
    pub csat_percent: f64,
}

impl Columns for SatisfactionReport {
    const COLUMNS: &'static [&'static str] = &[
        "day",
        "queue_id",
        "agent_id",
        "ratings",
        "average_rating",
        "csat_percent",
    ];
}

/// Rated chats that ended in `[from, to)`, by day, queue and agent.
pub async fn satisfaction_reports(
    db: &sqlx::AnyPool,
    from: &str,
    to: &str,
) -> Result<Vec<SatisfactionReport>, sqlx::Error> {
    in_period(
        db,
        "SELECT substr(ended_at, 1, 10) AS day, queue_id, agent_id, count(*) AS ratings,
                CAST(avg(rating) AS double precision) AS average_rating,
                CAST(100.0 * sum(CASE WHEN rating >= 4 THEN 1 ELSE 0 END) / count(*)
                     AS double precision) AS csat_percent
           FROM report_chats
          WHERE rating IS NOT NULL AND ended_at >= $1 AND ended_at < $2
          GROUP BY substr(ended_at, 1, 10), queue_id, agent_id
          ORDER BY day, queue_id, agent_id",
        from,
        to,
    )
    .await
}

/// How long an agent was paused for one reason in one interval.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, PartialEq)]
pub struct PauseReport {
    pub agent_id: String,
    pub interval_start: String,
    /// `away`, `no_answer`, or a reason the administrators defined.
    pub reason: String,
    pub paused_seconds: f64,
}

impl Columns for PauseReport {
    const COLUMNS: &'static [&'static str] =
        &["agent_id", "interval_start", "reason", "paused_seconds"];
}

pub async fn pause_reports(
    db: &sqlx::AnyPool,
    from: &str,
    to: &str,
) -> Result<Vec<PauseReport>, sqlx::Error> {
    in_period(
        db,
        "SELECT agent_id, interval_start, reason,
                CAST(paused_ms / 1000.0 AS double precision) AS paused_seconds
           FROM report_agent_pause_reasons WHERE interval_start >= $1 AND interval_start < $2
          ORDER BY interval_start, agent_id, reason",
        from,
        to,
    )
    .await
}

/// How many chats of a queue that ended in one interval were given one wrap-up code.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, PartialEq)]
pub struct ContactReasonReport {
    pub queue_id: String,
    pub interval_start: String,
    pub code: String,
    pub chats: i64,
}

impl Columns for ContactReasonReport {
    const COLUMNS: &'static [&'static str] = &["queue_id", "interval_start", "code", "chats"];
}

pub async fn contact_reason_reports(
    db: &sqlx::AnyPool,
    from: &str,
    to: &str,
) -> Result<Vec<ContactReasonReport>, sqlx::Error> {
    in_period(
        db,
        "SELECT queue_id, interval_start, code, chats FROM report_contact_reasons
          WHERE interval_start >= $1 AND interval_start < $2
          ORDER BY interval_start, queue_id, code",
        from,
        to,
    )
    .await
}

/// A line of an agent's activity: logins and logouts (and who did them), assignments, chats
/// handled or transferred away.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, PartialEq)]
pub struct AgentActivity {
    pub position: i64,
    pub at: String,
    /// `logged_in`, `logged_out`, `assigned`, `handled`, `transferred_away` (also back into
    /// the queue when the agent left), `offered`, `offer_declined`, `offer_expired`,
    /// `paused_away`, `paused_no_answer`, `paused` (for a reason administrators defined),
    /// `resumed`.
    pub kind: ActivityKind,
    pub chat_id: Option<String>,
    /// JSON array of queue ids, for logins and logouts.
    pub queues: Option<String>,
    /// JSON actor: the agent, a supervisor, routing.
    pub by_actor: String,
    /// For a pause: its reason.
    pub reason: Option<String>,
}

impl Columns for AgentActivity {
    /// The columns of `report_agent_activity` after `agent_id`.
    const COLUMNS: &'static [&'static str] = &[
        "position", "at", "kind", "chat_id", "queues", "by_actor", "reason",
    ];
}

pub async fn agent_activity(
    db: &sqlx::AnyPool,
    agent_id: &str,
    from: &str,
    to: &str,
) -> Result<Vec<AgentActivity>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {} FROM report_agent_activity
          WHERE agent_id = $1 AND at >= $2 AND at < $3 ORDER BY at, position",
        AgentActivity::COLUMNS.join(", ")
    ))
    .bind(agent_id.to_string())
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(db)
    .await
}

/// A queue on the board as it stood at some instant.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct PastQueueStatus {
    pub queue_id: String,
    pub waiting: i64,
    pub ongoing: i64,
    pub logged_in_agents: i64,
    pub oldest_waiting_since: Option<String>,
}

/// The queue board at `at`. The chats are those open at that instant, each with its last
/// state before it, in one query: the cost of that part follows what was open then. Agents'
/// presence is folded from every log-in and log-out line up to `at` — the activity lines do
/// not mark where a session starts — so that part grows with the history of logins.
pub async fn board_at(db: &sqlx::AnyPool, at: &str) -> Result<Vec<PastQueueStatus>, sqlx::Error> {
    let open: Vec<(String, ChatStatus, String)> = sqlx::query_as(
        "SELECT s.queue_id, s.status, s.queued_at
           FROM report_chats c JOIN report_chat_states s ON s.chat_id = c.chat_id
          WHERE c.requested_at <= $1 AND (c.ended_at IS NULL OR c.ended_at > $1)
            AND s.position = (SELECT max(p.position) FROM report_chat_states p
                               WHERE p.chat_id = c.chat_id AND p.at <= $1)",
    )
    .bind(at.to_string())
    .fetch_all(db)
    .await?;
    let mut board: BTreeMap<String, PastQueueStatus> = BTreeMap::new();
    let entry = |board: &mut BTreeMap<String, PastQueueStatus>, queue: &str| {
        board
            .entry(queue.to_string())
            .or_insert_with(|| PastQueueStatus {
                queue_id: queue.to_string(),
                waiting: 0,
                ongoing: 0,
                logged_in_agents: 0,
                oldest_waiting_since: None,
            });
    };
    for (queue, status, queued_at) in open {
        entry(&mut board, &queue);
        if let Some(row) = board.get_mut(&queue) {
            match status {
                ChatStatus::Waiting => {
                    row.waiting += 1;
                    if row
                        .oldest_waiting_since
                        .as_ref()
                        .is_none_or(|o| queued_at < *o)
                    {
                        row.oldest_waiting_since = Some(queued_at);
                    }
                }
                ChatStatus::Assigned => row.ongoing += 1,
                ChatStatus::Ended | ChatStatus::Abandoned | ChatStatus::Left => {}
            }
        }
    }
    let presence: Vec<(String, ActivityKind, Option<String>)> = sqlx::query_as(
        "SELECT agent_id, kind, queues FROM report_agent_activity
          WHERE at <= $1 AND kind IN ('logged_in', 'logged_out') ORDER BY at, position",
    )
    .bind(at.to_string())
    .fetch_all(db)
    .await?;
    let mut logged_in: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (agent, kind, queues) in presence {
        let queues: Vec<String> = queues
            .and_then(|q| serde_json::from_str(&q).ok())
            .unwrap_or_default();
        let agent_queues = logged_in.entry(agent).or_default();
        for queue in queues {
            if kind == ActivityKind::LoggedIn {
                agent_queues.insert(queue);
            } else {
                agent_queues.remove(&queue);
            }
        }
    }
    for queue in logged_in.values().flatten() {
        entry(&mut board, queue);
        if let Some(row) = board.get_mut(queue) {
            row.logged_in_agents += 1;
        }
    }
    Ok(board.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    /// The fields a row serialises, which are the JSON report's keys and so its CSV columns.
    fn fields(row: impl Serialize) -> Vec<String> {
        let mut keys: Vec<String> = match serde_json::to_value(row) {
            Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        };
        keys.sort();
        keys
    }

    fn sorted(columns: &[&str]) -> Vec<String> {
        let mut columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
        columns.sort();
        columns
    }

    #[test]
    fn each_reports_columns_are_its_json_fields() {
        let chat = ChatReport {
            chat_id: String::new(),
            queue_id: String::new(),
            category_id: None,
            requested_at: String::new(),
            first_assigned_at: None,
            first_agent_reply_at: None,
            ended_at: None,
            wait_seconds: None,
            handle_seconds: None,
            transfers: 0,
            customer_messages: 0,
            agent_messages: 0,
            files: 0,
            file_bytes: 0,
            outcome: Some(EndReason::Agent),
            wrap_up_seconds: None,
            wrap_up_codes: None,
            rating: None,
        };
        assert_eq!(fields(chat), sorted(ChatReport::COLUMNS));
        let queue = QueueIntervalReport {
            queue_id: String::new(),
            interval_start: String::new(),
            offered: 0,
            answered: 0,
            abandoned: 0,
            average_wait_seconds: None,
            max_wait_seconds: 0.0,
            service_level_percent: None,
            handled: 0,
            average_handle_seconds: None,
            left_messages: 0,
            left_answered: 0,
            average_left_answer_seconds: None,
        };
        assert_eq!(fields(queue), sorted(QueueIntervalReport::COLUMNS));
        let agent = AgentIntervalReport {
            agent_id: String::new(),
            interval_start: String::new(),
            logged_in_seconds: 0.0,
            chats_handled: 0,
            average_concurrency: 0.0,
            offers: 0,
            offers_expired: 0,
            offers_declined: 0,
            paused_seconds: 0.0,
            paused_no_answer_seconds: 0.0,
            wrap_up_seconds: 0.0,
        };
        assert_eq!(fields(agent), sorted(AgentIntervalReport::COLUMNS));
        let activity = AgentActivity {
            position: 0,
            at: String::new(),
            kind: ActivityKind::Handled,
            chat_id: None,
            queues: None,
            by_actor: String::new(),
            reason: None,
        };
        assert_eq!(fields(activity), sorted(AgentActivity::COLUMNS));
        let pause = PauseReport {
            agent_id: String::new(),
            interval_start: String::new(),
            reason: String::new(),
            paused_seconds: 0.0,
        };
        assert_eq!(fields(pause), sorted(PauseReport::COLUMNS));
        let reason = ContactReasonReport {
            queue_id: String::new(),
            interval_start: String::new(),
            code: String::new(),
            chats: 0,
        };
        assert_eq!(fields(reason), sorted(ContactReasonReport::COLUMNS));
        let satisfaction = SatisfactionReport {
            day: String::new(),
            queue_id: String::new(),
            agent_id: None,
            ratings: 0,
            average_rating: 0.0,
            csat_percent: 0.0,
        };
        assert_eq!(fields(satisfaction), sorted(SatisfactionReport::COLUMNS));
    }
}
