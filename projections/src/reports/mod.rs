//! Reporting tables: one row per chat, per queue per 15-minute interval, per agent per
//! interval. Folded from the log like every projection, so a rebuild gives the same figures.
//!
//! Conventions: a chat counts as offered, answered or abandoned in the queue and interval it
//! was *requested* in (a transfer does not offer it again); handled in the interval it ended;
//! its time with an agent, and an agent's logged-in time, are split across the intervals they
//! span. Service level is the share of answered chats answered within the threshold.

use crate::event::SamtaleEvent;
use crate::projection::{Projection, ProjectionError};
use crate::schema::{Generation, Table};
use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use sqlx::AnyConnection;

/// Answered within this many seconds counts towards the service level.
pub const SERVICE_LEVEL_SECONDS: f64 = 60.0;

/// Reporting intervals are 15 minutes, aligned to the hour.
pub const INTERVAL_SECONDS: i64 = 900;

mod fold;

pub struct Reports;

const TABLES: &[Table] = &[
    Table {
        name: "report_chats",
        columns: "chat_id text PRIMARY KEY, queue_id text NOT NULL, category_id text,
                  requested_at text NOT NULL, first_assigned_at text, first_agent_reply_at text,
                  ended_at text, wait_seconds double precision, handle_seconds double precision,
                  transfers bigint NOT NULL, customer_messages bigint NOT NULL,
                  agent_messages bigint NOT NULL, outcome text,
                  agent_id text, assigned_at text",
        indexes: &[("requested", "requested_at"), ("ended", "ended_at")],
    },
    Table {
        name: "report_queue_intervals",
        columns: "queue_id text NOT NULL, interval_start text NOT NULL, offered bigint NOT NULL,
                  answered bigint NOT NULL, abandoned bigint NOT NULL,
                  answered_within_threshold bigint NOT NULL, wait_ms_total bigint NOT NULL,
                  wait_ms_max bigint NOT NULL, handled bigint NOT NULL, handle_ms_total bigint NOT NULL,
                  PRIMARY KEY (queue_id, interval_start)",
        indexes: &[("interval", "interval_start")],
    },
    Table {
        name: "report_agent_intervals",
        columns: "agent_id text NOT NULL, interval_start text NOT NULL,
                  logged_in_ms bigint NOT NULL, chats_handled bigint NOT NULL,
                  chat_ms bigint NOT NULL, PRIMARY KEY (agent_id, interval_start)",
        indexes: &[("interval", "interval_start")],
    },
    Table {
        name: "report_chat_states",
        columns: "chat_id text NOT NULL, position bigint NOT NULL, at text NOT NULL,
                  queue_id text NOT NULL, status text NOT NULL, queued_at text NOT NULL,
                  PRIMARY KEY (chat_id, position)",
        indexes: &[],
    },
    Table {
        name: "report_agent_activity",
        columns: "agent_id text NOT NULL, position bigint NOT NULL, at text NOT NULL, kind text NOT NULL,
                  chat_id text, queues text, by_actor text NOT NULL, PRIMARY KEY (agent_id, position)",
        indexes: &[("at", "agent_id, at")],
    },
    Table {
        name: "report_queue_thresholds",
        columns: "queue_id text PRIMARY KEY, service_level_seconds double precision NOT NULL",
        indexes: &[],
    },
    Table {
        name: "report_agent_sessions",
        columns: "agent_id text PRIMARY KEY, since text NOT NULL",
        indexes: &[],
    },
];

/// The start of the 15-minute interval `at` falls in.
pub fn interval_of(at: DateTime<Utc>) -> DateTime<Utc> {
    let start = at.timestamp().div_euclid(INTERVAL_SECONDS) * INTERVAL_SECONDS;
    Utc.timestamp_opt(start, 0).single().unwrap_or(at)
}

/// `[from, to)` cut at interval boundaries: (interval start, milliseconds in it).
fn split(from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(DateTime<Utc>, i64)> {
    let mut pieces = Vec::new();
    let mut cursor = from;
    while cursor < to {
        let start = interval_of(cursor);
        let end = (start + chrono::Duration::seconds(INTERVAL_SECONDS)).min(to);
        pieces.push((start, (end - cursor).num_milliseconds()));
        cursor = end;
    }
    pieces
}

/// The tables of one generation.
pub(super) struct Tables {
    thresholds: String,
    chats: String,
    states: String,
    activity: String,
    queues: String,
    agents: String,
    sessions: String,
}

impl Tables {
    fn of(g: Generation) -> Self {
        Self {
            thresholds: g.table("report_queue_thresholds"),
            chats: g.table("report_chats"),
            states: g.table("report_chat_states"),
            activity: g.table("report_agent_activity"),
            queues: g.table("report_queue_intervals"),
            agents: g.table("report_agent_intervals"),
            sessions: g.table("report_agent_sessions"),
        }
    }
}

#[async_trait]
impl Projection for Reports {
    fn name(&self) -> &'static str {
        "reports"
    }

    fn version(&self) -> i64 {
        5
    }

    fn tables(&self) -> &'static [Table] {
        TABLES
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        g: Generation,
        event: &SamtaleEvent,
    ) -> Result<(), ProjectionError> {
        fold::fold(conn, &Tables::of(g), std::slice::from_ref(event)).await
    }

    async fn apply_batch(
        &self,
        conn: &mut AnyConnection,
        g: Generation,
        events: &[SamtaleEvent],
    ) -> Result<(), ProjectionError> {
        fold::fold(conn, &Tables::of(g), events).await
    }
}

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
    /// `agent`, `customer`, `abandoned`; null while the chat is open.
    pub outcome: Option<String>,
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
}

/// Reports of chats requested in `[from, to)`.
pub async fn chat_reports(
    db: &sqlx::AnyPool,
    from: &str,
    to: &str,
) -> Result<Vec<ChatReport>, sqlx::Error> {
    sqlx::query_as(
        "SELECT chat_id, queue_id, category_id, requested_at, first_assigned_at, first_agent_reply_at,
                ended_at, wait_seconds, handle_seconds, transfers, customer_messages, agent_messages, outcome
           FROM report_chats WHERE requested_at >= $1 AND requested_at < $2
          ORDER BY requested_at, chat_id",
    )
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(db)
    .await
}

pub async fn queue_reports(
    db: &sqlx::AnyPool,
    from: &str,
    to: &str,
) -> Result<Vec<QueueIntervalReport>, sqlx::Error> {
    // Casts keep PostgreSQL from answering in `numeric`, which the Any driver cannot read.
    sqlx::query_as(
        "SELECT queue_id, interval_start, offered, answered, abandoned,
                CASE WHEN answered > 0 THEN CAST(wait_ms_total / 1000.0 / answered AS double precision) END
                    AS average_wait_seconds,
                CAST(wait_ms_max / 1000.0 AS double precision) AS max_wait_seconds,
                CASE WHEN answered > 0
                     THEN CAST(100.0 * answered_within_threshold / answered AS double precision) END
                    AS service_level_percent,
                handled,
                CASE WHEN handled > 0 THEN CAST(handle_ms_total / 1000.0 / handled AS double precision) END
                    AS average_handle_seconds
           FROM report_queue_intervals WHERE interval_start >= $1 AND interval_start < $2
          ORDER BY interval_start, queue_id",
    )
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(db)
    .await
}

pub async fn agent_reports(
    db: &sqlx::AnyPool,
    from: &str,
    to: &str,
) -> Result<Vec<AgentIntervalReport>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT agent_id, interval_start, CAST(logged_in_ms / 1000.0 AS double precision) AS logged_in_seconds,
                chats_handled, CAST(chat_ms / {interval_ms}.0 AS double precision) AS average_concurrency
           FROM report_agent_intervals WHERE interval_start >= $1 AND interval_start < $2
          ORDER BY interval_start, agent_id",
        interval_ms = INTERVAL_SECONDS * 1000
    ))
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(db)
    .await
}

/// A line of an agent's activity: logins and logouts (and who did them), assignments, chats
/// handled or transferred away.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, PartialEq)]
pub struct AgentActivity {
    pub position: i64,
    pub at: String,
    /// `logged_in`, `logged_out`, `assigned`, `handled`, `transferred_away`.
    pub kind: String,
    pub chat_id: Option<String>,
    /// JSON array of queue ids, for logins and logouts.
    pub queues: Option<String>,
    /// JSON actor: the agent, a supervisor, routing.
    pub by_actor: String,
}

pub async fn agent_activity(
    db: &sqlx::AnyPool,
    agent_id: &str,
    from: &str,
    to: &str,
) -> Result<Vec<AgentActivity>, sqlx::Error> {
    sqlx::query_as(
        "SELECT position, at, kind, chat_id, queues, by_actor FROM report_agent_activity
          WHERE agent_id = $1 AND at >= $2 AND at < $3 ORDER BY at, position",
    )
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
    use std::collections::BTreeMap;
    let open: Vec<(String, String, String)> = sqlx::query_as(
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
            match status.as_str() {
                "waiting" => {
                    row.waiting += 1;
                    if row
                        .oldest_waiting_since
                        .as_ref()
                        .is_none_or(|o| queued_at < *o)
                    {
                        row.oldest_waiting_since = Some(queued_at);
                    }
                }
                "assigned" => row.ongoing += 1,
                _ => {}
            }
        }
    }
    let presence: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT agent_id, kind, queues FROM report_agent_activity
          WHERE at <= $1 AND kind IN ('logged_in', 'logged_out') ORDER BY at, position",
    )
    .bind(at.to_string())
    .fetch_all(db)
    .await?;
    let mut logged_in: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for (agent, kind, queues) in presence {
        let queues: Vec<String> = queues
            .and_then(|q| serde_json::from_str(&q).ok())
            .unwrap_or_default();
        let agent_queues = logged_in.entry(agent).or_default();
        for queue in queues {
            if kind == "logged_in" {
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
