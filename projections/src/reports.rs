//! Reporting tables: one row per chat, per queue per 15-minute interval, per agent per
//! interval. Folded from the log like every projection, so a rebuild gives the same figures.
//!
//! Conventions: a chat counts as offered, answered or abandoned in the queue and interval it
//! was *requested* in (a transfer does not offer it again); handled in the interval it ended;
//! its time with an agent, and an agent's logged-in time, are split across the intervals they
//! span. Service level is the share of answered chats answered within the threshold.

use crate::event::{DomainEvent, SamtaleEvent};
use crate::projection::{Projection, ProjectionError};
use crate::schema::{Generation, Table};
use crate::timestamp;
use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use samtale_domain::chat::Author;
use samtale_domain::{ChatEvent, PresenceEvent};
use sqlx::{AnyConnection, Row};

/// Answered within this many seconds counts towards the service level.
pub const SERVICE_LEVEL_SECONDS: f64 = 60.0;

/// Reporting intervals are 15 minutes, aligned to the hour.
pub const INTERVAL_SECONDS: i64 = 900;

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
                  answered_within_threshold bigint NOT NULL, wait_seconds_total double precision NOT NULL,
                  wait_seconds_max double precision NOT NULL, handled bigint NOT NULL,
                  handle_seconds_total double precision NOT NULL,
                  PRIMARY KEY (queue_id, interval_start)",
        indexes: &[("interval", "interval_start")],
    },
    Table {
        name: "report_agent_intervals",
        columns: "agent_id text NOT NULL, interval_start text NOT NULL,
                  logged_in_seconds double precision NOT NULL, chats_handled bigint NOT NULL,
                  chat_seconds double precision NOT NULL, PRIMARY KEY (agent_id, interval_start)",
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

/// `[from, to)` cut at interval boundaries: (interval start, seconds in it).
fn split(from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(DateTime<Utc>, f64)> {
    let mut pieces = Vec::new();
    let mut cursor = from;
    while cursor < to {
        let start = interval_of(cursor);
        let end = (start + chrono::Duration::seconds(INTERVAL_SECONDS)).min(to);
        pieces.push((start, (end - cursor).num_milliseconds() as f64 / 1000.0));
        cursor = end;
    }
    pieces
}

fn seconds_between(from: &str, to: DateTime<Utc>) -> Option<f64> {
    let from = DateTime::parse_from_rfc3339(from).ok()?.with_timezone(&Utc);
    Some((to - from).num_milliseconds() as f64 / 1000.0)
}

fn parse(at: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// What one event adds to a queue interval.
#[derive(Default)]
struct QueueDelta {
    offered: i64,
    answered: i64,
    abandoned: i64,
    within: i64,
    wait: f64,
    handled: i64,
    handle: f64,
}

struct Tables {
    thresholds: String,
    chats: String,
    queues: String,
    agents: String,
    sessions: String,
}

impl Tables {
    fn of(g: Generation) -> Self {
        Self {
            thresholds: g.table("report_queue_thresholds"),
            chats: g.table("report_chats"),
            queues: g.table("report_queue_intervals"),
            agents: g.table("report_agent_intervals"),
            sessions: g.table("report_agent_sessions"),
        }
    }

    /// Adds to a queue interval's counters in one statement of constant text, so it is
    /// prepared once and reused for every event.
    async fn add_queue(
        &self,
        conn: &mut AnyConnection,
        queue: &str,
        interval: DateTime<Utc>,
        delta: QueueDelta,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(&format!(
            "INSERT INTO {q} (queue_id, interval_start, offered, answered, abandoned, answered_within_threshold,
                wait_seconds_total, wait_seconds_max, handled, handle_seconds_total)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9)
             ON CONFLICT (queue_id, interval_start) DO UPDATE SET
                offered = {q}.offered + excluded.offered,
                answered = {q}.answered + excluded.answered,
                abandoned = {q}.abandoned + excluded.abandoned,
                answered_within_threshold = {q}.answered_within_threshold + excluded.answered_within_threshold,
                wait_seconds_total = {q}.wait_seconds_total + excluded.wait_seconds_total,
                wait_seconds_max = CASE WHEN {q}.wait_seconds_max < excluded.wait_seconds_max
                                        THEN excluded.wait_seconds_max ELSE {q}.wait_seconds_max END,
                handled = {q}.handled + excluded.handled,
                handle_seconds_total = {q}.handle_seconds_total + excluded.handle_seconds_total",
            q = self.queues
        ))
        .bind(queue.to_string())
        .bind(timestamp(interval))
        .bind(delta.offered)
        .bind(delta.answered)
        .bind(delta.abandoned)
        .bind(delta.within)
        .bind(delta.wait)
        .bind(delta.handled)
        .bind(delta.handle)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    async fn add_agent(
        &self,
        conn: &mut AnyConnection,
        agent: &str,
        interval: DateTime<Utc>,
        logged_in_seconds: f64,
        chats_handled: i64,
        chat_seconds: f64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(&format!(
            "INSERT INTO {agents} (agent_id, interval_start, logged_in_seconds, chats_handled, chat_seconds)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (agent_id, interval_start) DO UPDATE SET
                logged_in_seconds = {agents}.logged_in_seconds + excluded.logged_in_seconds,
                chats_handled = {agents}.chats_handled + excluded.chats_handled,
                chat_seconds = {agents}.chat_seconds + excluded.chat_seconds",
            agents = self.agents
        ))
        .bind(agent.to_string())
        .bind(timestamp(interval))
        .bind(logged_in_seconds)
        .bind(chats_handled)
        .bind(chat_seconds)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Credits an agent with the time they had the chat, from `assigned_at` to `until`.
    async fn credit_chat_time(
        &self,
        conn: &mut AnyConnection,
        agent: &str,
        assigned_at: &str,
        until: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        if let Some(from) = parse(assigned_at) {
            for (interval, seconds) in split(from, until) {
                self.add_agent(conn, agent, interval, 0.0, 0, seconds)
                    .await?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Projection for Reports {
    fn name(&self) -> &'static str {
        "reports"
    }

    fn version(&self) -> i64 {
        4
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
        let t = Tables::of(g);
        if let DomainEvent::Chat(chat) = &event.event {
            record_state(conn, g, event, chat).await?;
        }
        if let Some(activity) = activity_of(event) {
            sqlx::query(&format!(
                "INSERT INTO {} (agent_id, position, at, kind, chat_id, queues, by_actor)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                g.table("report_agent_activity")
            ))
            .bind(activity.agent_id)
            .bind(event.position.position)
            .bind(timestamp(activity.at))
            .bind(activity.kind.to_string())
            .bind(activity.chat_id)
            .bind(activity.queues)
            .bind(activity.by)
            .execute(&mut *conn)
            .await?;
        }
        match &event.event {
            DomainEvent::Chat(chat) => fold_chat(conn, &t, &event.aggregate_id, chat).await?,
            DomainEvent::Presence(presence) => {
                fold_presence(conn, &t, &event.aggregate_id, presence).await?
            }
            DomainEvent::Directory(samtale_domain::DirectoryEvent::QueueConfigured {
                queue_id,
                settings,
                ..
            }) => {
                let threshold = settings
                    .service_level_seconds
                    .map_or(SERVICE_LEVEL_SECONDS, f64::from);
                sqlx::query(&format!(
                    "INSERT INTO {} (queue_id, service_level_seconds) VALUES ($1, $2)
                     ON CONFLICT (queue_id) DO UPDATE SET service_level_seconds = excluded.service_level_seconds",
                    t.thresholds
                ))
                .bind(queue_id.to_string())
                .bind(threshold)
                .execute(&mut *conn)
                .await?;
            }
            DomainEvent::Directory(_) => {}
        }
        Ok(())
    }
}

/// Appends the chat's new place and status when an event changes them, for the board as it
/// stood at any past instant.
async fn record_state(
    conn: &mut AnyConnection,
    g: Generation,
    event: &SamtaleEvent,
    chat: &ChatEvent,
) -> Result<(), sqlx::Error> {
    let states = g.table("report_chat_states");
    let previous: Option<(String, String)> = sqlx::query_as(&format!(
        "SELECT queue_id, queued_at FROM {states} WHERE chat_id = $1 ORDER BY position DESC LIMIT 1"
    ))
    .bind(event.aggregate_id.clone())
    .fetch_optional(&mut *conn)
    .await?;
    let (queue, queued_at) = previous.unwrap_or_default();
    let (queue, status, queued_at, at) = match chat {
        ChatEvent::ChatRequested { queue_id, at, .. } => {
            (queue_id.to_string(), "waiting", timestamp(*at), *at)
        }
        ChatEvent::ChatAssigned { at, .. } => (queue, "assigned", queued_at, *at),
        // A transferred chat keeps its original arrival time in the new queue.
        ChatEvent::ChatTransferred { to_queue, at, .. } => {
            (to_queue.to_string(), "waiting", queued_at, *at)
        }
        ChatEvent::ChatEnded { at, .. } => (queue, "ended", queued_at, *at),
        ChatEvent::CustomerClosedClient { abandoned, at, .. } => (
            queue,
            if *abandoned { "abandoned" } else { "ended" },
            queued_at,
            *at,
        ),
        ChatEvent::MessageSent { .. } | ChatEvent::MessagesRead { .. } => return Ok(()),
    };
    sqlx::query(&format!(
        "INSERT INTO {states} (chat_id, position, at, queue_id, status, queued_at) VALUES ($1, $2, $3, $4, $5, $6)"
    ))
    .bind(event.aggregate_id.clone())
    .bind(event.position.position)
    .bind(timestamp(at))
    .bind(queue)
    .bind(status.to_string())
    .bind(queued_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One line of an agent's activity log.
struct Activity {
    agent_id: String,
    at: DateTime<Utc>,
    kind: &'static str,
    chat_id: Option<String>,
    queues: Option<String>,
    by: String,
}

fn activity_of(event: &SamtaleEvent) -> Option<Activity> {
    let actor = |by: &samtale_domain::Actor| serde_json::to_string(by).unwrap_or_default();
    let chat = Some(event.aggregate_id.clone());
    let (agent_id, at, kind, chat_id, queues, by) = match &event.event {
        DomainEvent::Presence(PresenceEvent::AgentLoggedIn { queues, by, at, .. }) => {
            let queues = serde_json::to_string(queues).ok();
            (
                event.aggregate_id.clone(),
                *at,
                "logged_in",
                None,
                queues,
                actor(by),
            )
        }
        DomainEvent::Presence(PresenceEvent::AgentLoggedOut { queues, by, at, .. }) => {
            let queues = serde_json::to_string(queues).ok();
            (
                event.aggregate_id.clone(),
                *at,
                "logged_out",
                None,
                queues,
                actor(by),
            )
        }
        DomainEvent::Chat(ChatEvent::ChatAssigned {
            agent_id, by, at, ..
        }) => (agent_id.to_string(), *at, "assigned", chat, None, actor(by)),
        DomainEvent::Chat(ChatEvent::ChatTransferred {
            from_agent: Some(agent),
            by,
            at,
            ..
        }) => (
            agent.to_string(),
            *at,
            "transferred_away",
            chat,
            None,
            actor(by),
        ),
        DomainEvent::Chat(ChatEvent::ChatEnded {
            agent_id: Some(agent),
            by,
            at,
            ..
        })
        | DomainEvent::Chat(ChatEvent::CustomerClosedClient {
            agent_id: Some(agent),
            by,
            at,
            ..
        }) => (agent.to_string(), *at, "handled", chat, None, actor(by)),
        _ => return None,
    };
    Some(Activity {
        agent_id,
        at,
        kind,
        chat_id,
        queues,
        by,
    })
}

async fn fold_presence(
    conn: &mut AnyConnection,
    t: &Tables,
    agent: &str,
    event: &PresenceEvent,
) -> Result<(), sqlx::Error> {
    match event {
        PresenceEvent::AgentLoggedIn {
            session_started: true,
            at,
            ..
        } => {
            sqlx::query(&format!(
                "INSERT INTO {} (agent_id, since) VALUES ($1, $2)
                 ON CONFLICT (agent_id) DO UPDATE SET since = excluded.since",
                t.sessions
            ))
            .bind(agent.to_string())
            .bind(timestamp(*at))
            .execute(&mut *conn)
            .await?;
        }
        PresenceEvent::AgentLoggedOut {
            session_ended: true,
            at,
            ..
        } => {
            let since: Option<String> = sqlx::query_scalar(&format!(
                "SELECT since FROM {} WHERE agent_id = $1",
                t.sessions
            ))
            .bind(agent.to_string())
            .fetch_optional(&mut *conn)
            .await?;
            if let Some(since) = since.as_deref().and_then(parse) {
                for (interval, seconds) in split(since, *at) {
                    t.add_agent(conn, agent, interval, seconds, 0, 0.0).await?;
                }
            }
            sqlx::query(&format!("DELETE FROM {} WHERE agent_id = $1", t.sessions))
                .bind(agent.to_string())
                .execute(&mut *conn)
                .await?;
        }
        _ => {}
    }
    Ok(())
}

async fn fold_chat(
    conn: &mut AnyConnection,
    t: &Tables,
    chat_id: &str,
    event: &ChatEvent,
) -> Result<(), sqlx::Error> {
    let chats = &t.chats;
    let row = sqlx::query(&format!(
        "SELECT queue_id, requested_at, first_assigned_at, agent_id, assigned_at FROM {chats} WHERE chat_id = $1"
    ))
    .bind(chat_id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    let current = row.map(|r| {
        (
            r.get::<String, _>("queue_id"),
            r.get::<String, _>("requested_at"),
            r.get::<Option<String>, _>("first_assigned_at"),
            r.get::<Option<String>, _>("agent_id"),
            r.get::<Option<String>, _>("assigned_at"),
        )
    });
    match (event, current) {
        (
            ChatEvent::ChatRequested {
                queue_id,
                category_id,
                at,
                ..
            },
            None,
        ) => {
            sqlx::query(&format!(
                "INSERT INTO {chats} (chat_id, queue_id, category_id, requested_at, transfers,
                    customer_messages, agent_messages) VALUES ($1, $2, $3, $4, 0, 0, 0)"
            ))
            .bind(chat_id.to_string())
            .bind(queue_id.to_string())
            .bind(category_id.map(|c| c.to_string()))
            .bind(timestamp(*at))
            .execute(&mut *conn)
            .await?;
            let offered = QueueDelta {
                offered: 1,
                ..QueueDelta::default()
            };
            t.add_queue(conn, &queue_id.to_string(), interval_of(*at), offered)
                .await?;
        }
        (
            ChatEvent::ChatAssigned { agent_id, at, .. },
            Some((queue, requested_at, first, _, _)),
        ) => {
            sqlx::query(&format!(
                "UPDATE {chats} SET agent_id = $2, assigned_at = $3,
                    first_assigned_at = COALESCE(first_assigned_at, $3) WHERE chat_id = $1"
            ))
            .bind(chat_id.to_string())
            .bind(agent_id.to_string())
            .bind(timestamp(*at))
            .execute(&mut *conn)
            .await?;
            if first.is_none() {
                let wait = seconds_between(&requested_at, *at).unwrap_or_default();
                sqlx::query(&format!(
                    "UPDATE {chats} SET wait_seconds = $2 WHERE chat_id = $1"
                ))
                .bind(chat_id.to_string())
                .bind(wait)
                .execute(&mut *conn)
                .await?;
                let threshold: Option<f64> = sqlx::query_scalar(&format!(
                    "SELECT service_level_seconds FROM {} WHERE queue_id = $1",
                    t.thresholds
                ))
                .bind(queue.clone())
                .fetch_optional(&mut *conn)
                .await?;
                let within = i64::from(wait <= threshold.unwrap_or(SERVICE_LEVEL_SECONDS));
                let interval = parse(&requested_at).map(interval_of).unwrap_or(*at);
                let answered = QueueDelta {
                    answered: 1,
                    within,
                    wait,
                    ..QueueDelta::default()
                };
                t.add_queue(conn, &queue, interval, answered).await?;
            }
        }
        (ChatEvent::MessageSent { author, at, .. }, Some(_)) => {
            let count = match author {
                Author::Customer => "customer_messages = customer_messages + 1",
                Author::Agent { .. } => "agent_messages = agent_messages + 1",
                Author::System => return Ok(()),
            };
            let reply = i64::from(matches!(author, Author::Agent { .. }));
            sqlx::query(&format!(
                "UPDATE {chats} SET {count},
                    first_agent_reply_at = CASE WHEN $3 = 1 THEN COALESCE(first_agent_reply_at, $2)
                                                ELSE first_agent_reply_at END
                  WHERE chat_id = $1"
            ))
            .bind(chat_id.to_string())
            .bind(timestamp(*at))
            .bind(reply)
            .execute(&mut *conn)
            .await?;
        }
        (ChatEvent::ChatTransferred { at, .. }, Some((_, _, _, agent, assigned_at))) => {
            if let (Some(agent), Some(assigned_at)) = (agent, assigned_at) {
                t.credit_chat_time(conn, &agent, &assigned_at, *at).await?;
            }
            sqlx::query(&format!(
                "UPDATE {chats} SET transfers = transfers + 1, agent_id = NULL, assigned_at = NULL WHERE chat_id = $1"
            ))
            .bind(chat_id.to_string())
            .execute(&mut *conn)
            .await?;
        }
        (ChatEvent::ChatEnded { at, .. }, Some(current)) => {
            end(conn, t, chat_id, current, "agent", *at).await?
        }
        (ChatEvent::CustomerClosedClient { abandoned, at, .. }, Some(current)) => {
            let outcome = if *abandoned { "abandoned" } else { "customer" };
            end(conn, t, chat_id, current, outcome, *at).await?;
        }
        _ => {}
    }
    Ok(())
}

async fn end(
    conn: &mut AnyConnection,
    t: &Tables,
    chat_id: &str,
    (queue, requested_at, first, agent, assigned_at): (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    ),
    outcome: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let handle = first
        .as_deref()
        .and_then(|first| seconds_between(first, at));
    sqlx::query(&format!(
        "UPDATE {} SET ended_at = $2, outcome = $3, handle_seconds = $4 WHERE chat_id = $1",
        t.chats
    ))
    .bind(chat_id.to_string())
    .bind(timestamp(at))
    .bind(outcome.to_string())
    .bind(handle)
    .execute(&mut *conn)
    .await?;
    if outcome == "abandoned" {
        let interval = parse(&requested_at).map(interval_of).unwrap_or(at);
        let abandoned = QueueDelta {
            abandoned: 1,
            ..QueueDelta::default()
        };
        t.add_queue(conn, &queue, interval, abandoned).await?;
    }
    if let Some(handle) = handle {
        let handled = QueueDelta {
            handled: 1,
            handle,
            ..QueueDelta::default()
        };
        t.add_queue(conn, &queue, interval_of(at), handled).await?;
    }
    if let (Some(agent), Some(assigned_at)) = (agent, assigned_at) {
        t.credit_chat_time(conn, &agent, &assigned_at, at).await?;
        t.add_agent(conn, &agent, interval_of(at), 0.0, 1, 0.0)
            .await?;
    }
    Ok(())
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
                CASE WHEN answered > 0 THEN CAST(wait_seconds_total / answered AS double precision) END
                    AS average_wait_seconds,
                wait_seconds_max AS max_wait_seconds,
                CASE WHEN answered > 0
                     THEN CAST(100.0 * answered_within_threshold / answered AS double precision) END
                    AS service_level_percent,
                handled,
                CASE WHEN handled > 0 THEN CAST(handle_seconds_total / handled AS double precision) END
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
        "SELECT agent_id, interval_start, logged_in_seconds, chats_handled,
                CAST(chat_seconds / {INTERVAL_SECONDS} AS double precision) AS average_concurrency
           FROM report_agent_intervals WHERE interval_start >= $1 AND interval_start < $2
          ORDER BY interval_start, agent_id"
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

/// The queue board at `at`. Only chats open at that instant are looked at (found through the
/// requested/ended indexes), and agents' presence is folded from their log-in and log-out
/// lines, so the cost follows what was open then rather than the length of the log.
pub async fn board_at(db: &sqlx::AnyPool, at: &str) -> Result<Vec<PastQueueStatus>, sqlx::Error> {
    use std::collections::BTreeMap;
    let open: Vec<String> = sqlx::query_scalar(
        "SELECT chat_id FROM report_chats WHERE requested_at <= $1 AND (ended_at IS NULL OR ended_at > $1)",
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
    for chat in open {
        let state: Option<(String, String, String)> = sqlx::query_as(
            "SELECT queue_id, status, queued_at FROM report_chat_states
              WHERE chat_id = $1 AND at <= $2 ORDER BY position DESC LIMIT 1",
        )
        .bind(chat)
        .bind(at.to_string())
        .fetch_optional(db)
        .await?;
        let Some((queue, status, queued_at)) = state else {
            continue;
        };
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
