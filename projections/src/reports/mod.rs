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

mod activity;
mod chats;
mod fold;
mod intervals;
mod presence;
mod read;
mod states;

pub use read::*;

pub struct Reports;

const TABLES: &[Table] = &[
    Table {
        name: "report_chats",
        columns: "chat_id text PRIMARY KEY, queue_id text NOT NULL, category_id text,
                  requested_at text NOT NULL, first_assigned_at text, first_agent_reply_at text,
                  ended_at text, wait_seconds double precision, handle_seconds double precision,
                  transfers bigint NOT NULL, customer_messages bigint NOT NULL,
                  agent_messages bigint NOT NULL, files bigint NOT NULL,
                  file_bytes bigint NOT NULL, outcome text,
                  wrap_up_seconds double precision, wrap_up_codes text, rating double precision,
                  agent_id text, assigned_at text, wrap_up_until text",
        indexes: &[("requested", "requested_at"), ("ended", "ended_at")],
    },
    Table {
        name: "report_queue_intervals",
        columns: "queue_id text NOT NULL, interval_start text NOT NULL, offered bigint NOT NULL,
                  answered bigint NOT NULL, abandoned bigint NOT NULL,
                  answered_within_threshold bigint NOT NULL, wait_ms_total bigint NOT NULL,
                  wait_ms_max bigint NOT NULL, handled bigint NOT NULL, handle_ms_total bigint NOT NULL,
                  left_messages bigint NOT NULL, left_answered bigint NOT NULL,
                  left_answer_ms_total bigint NOT NULL,
                  PRIMARY KEY (queue_id, interval_start)",
        indexes: &[("interval", "interval_start")],
    },
    Table {
        name: "report_agent_intervals",
        columns: "agent_id text NOT NULL, interval_start text NOT NULL,
                  logged_in_ms bigint NOT NULL, chats_handled bigint NOT NULL,
                  chat_ms bigint NOT NULL, offers bigint NOT NULL, offers_expired bigint NOT NULL,
                  offers_declined bigint NOT NULL, paused_ms bigint NOT NULL,
                  paused_no_answer_ms bigint NOT NULL, wrap_up_ms bigint NOT NULL,
                  PRIMARY KEY (agent_id, interval_start)",
        indexes: &[("interval", "interval_start")],
    },
    Table {
        name: "report_agent_pause_reasons",
        columns: "agent_id text NOT NULL, interval_start text NOT NULL, reason text NOT NULL,
                  paused_ms bigint NOT NULL, PRIMARY KEY (agent_id, interval_start, reason)",
        indexes: &[("interval", "interval_start")],
    },
    Table {
        name: "report_contact_reasons",
        columns: "queue_id text NOT NULL, interval_start text NOT NULL, code text NOT NULL,
                  chats bigint NOT NULL, PRIMARY KEY (queue_id, interval_start, code)",
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
                  chat_id text, queues text, by_actor text NOT NULL, reason text,
                  PRIMARY KEY (agent_id, position)",
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
    Table {
        name: "report_agent_pauses",
        columns: "agent_id text PRIMARY KEY, since text NOT NULL, reason text NOT NULL",
        indexes: &[],
    },
];

/// The start of the 15-minute interval `at` falls in.
pub fn interval_of(at: DateTime<Utc>) -> DateTime<Utc> {
    let start = at.timestamp().div_euclid(INTERVAL_SECONDS) * INTERVAL_SECONDS;
    Utc.timestamp_opt(start, 0).single().unwrap_or(at)
}

/// A stored RFC 3339 time, back as a time.
fn parse(at: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|t| t.with_timezone(&Utc))
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
    pauses: String,
    pause_reasons: String,
    contact_reasons: String,
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
            pauses: g.table("report_agent_pauses"),
            pause_reasons: g.table("report_agent_pause_reasons"),
            contact_reasons: g.table("report_contact_reasons"),
        }
    }
}

#[async_trait]
impl Projection for Reports {
    fn name(&self) -> &'static str {
        "reports"
    }

    fn version(&self) -> i64 {
        // 6: offers and pauses per agent interval; open pauses.
        // 7: offers and pauses in the agents' activity.
        // 8: wrap-up time and codes; pause time by reason; ratings.
        // 9: messages left for a queue, and their answers; hand-overs.
        // 10: files sent in a chat, counted with their bytes.
        10
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
