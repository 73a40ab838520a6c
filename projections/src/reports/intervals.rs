//! What a batch adds to the per-interval sums of `report_queue_intervals` and
//! `report_agent_intervals`. The sums are added to the stored rows in the upsert itself, so a
//! batch never reads them.

use super::{parse, split, Tables};
use crate::bulk::{self, Cell};
use crate::timestamp;
use chrono::{DateTime, Utc};
use samtale_domain::presence::PauseReason;
use std::collections::BTreeMap;

/// What a batch adds to a queue's interval.
#[derive(Debug, Default)]
pub(super) struct QueueDelta {
    pub(super) offered: i64,
    pub(super) answered: i64,
    pub(super) abandoned: i64,
    pub(super) within: i64,
    pub(super) wait_ms_total: i64,
    pub(super) wait_ms_max: i64,
    pub(super) handled: i64,
    pub(super) handle_ms_total: i64,
    /// Messages left for the queue, and of those answered, with the time they waited.
    pub(super) left_messages: i64,
    pub(super) left_answered: i64,
    pub(super) left_answer_ms_total: i64,
}

/// What a batch adds to an agent's interval.
#[derive(Debug, Default)]
pub(super) struct AgentDelta {
    pub(super) logged_in_ms: i64,
    pub(super) handled: i64,
    pub(super) chat_ms: i64,
    pub(super) offers: i64,
    pub(super) offers_expired: i64,
    pub(super) offers_declined: i64,
    /// Paused for any reason, and of that for an offer left to run out.
    pub(super) paused_ms: i64,
    pub(super) paused_no_answer_ms: i64,
    pub(super) wrap_up_ms: i64,
}

/// A batch's additions, by (queue or agent, interval start).
#[derive(Default)]
pub(super) struct Intervals {
    queues: BTreeMap<(String, String), QueueDelta>,
    agents: BTreeMap<(String, String), AgentDelta>,
    /// (agent, interval, reason) → milliseconds paused.
    pause_reasons: BTreeMap<(String, String, String), i64>,
    /// (queue, interval, code) → chats given the code.
    contact_reasons: BTreeMap<(String, String, String), i64>,
}

impl Intervals {
    pub(super) fn queue(&mut self, queue: &str, interval: DateTime<Utc>) -> &mut QueueDelta {
        self.queues
            .entry((queue.to_string(), timestamp(interval)))
            .or_default()
    }

    pub(super) fn agent(&mut self, agent: &str, interval: DateTime<Utc>) -> &mut AgentDelta {
        self.agents
            .entry((agent.to_string(), timestamp(interval)))
            .or_default()
    }

    /// Credits an agent with the time they had the chat, from `assigned_at` to `until`.
    pub(super) fn credit_chat_time(
        &mut self,
        agent: &str,
        assigned_at: &str,
        until: DateTime<Utc>,
    ) {
        if let Some(from) = parse(assigned_at) {
            for (interval, ms) in split(from, until) {
                self.agent(agent, interval).chat_ms += ms;
            }
        }
    }

    /// Credits an agent with a session's logged-in time, from `since` to `until`.
    pub(super) fn credit_session(
        &mut self,
        agent: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) {
        for (interval, ms) in split(since, until) {
            self.agent(agent, interval).logged_in_ms += ms;
        }
    }

    /// Credits an agent with a pause for `reason`, from `since` to `until`.
    pub(super) fn credit_pause(
        &mut self,
        agent: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        reason: &PauseReason,
    ) {
        let no_answer = *reason == PauseReason::NoAnswer;
        for (interval, ms) in split(since, until) {
            let d = self.agent(agent, interval);
            d.paused_ms += ms;
            d.paused_no_answer_ms += if no_answer { ms } else { 0 };
            *self
                .pause_reasons
                .entry((
                    agent.to_string(),
                    timestamp(interval),
                    reason.as_str().to_string(),
                ))
                .or_default() += ms;
        }
    }

    /// Credits an agent with wrap-up from `from` to `to` — or, when `to` is before `from`,
    /// takes back what was credited for a wrap-up cut short.
    pub(super) fn credit_wrap_up(&mut self, agent: &str, from: DateTime<Utc>, to: DateTime<Utc>) {
        let (sign, from, to) = if to < from {
            (-1, to, from)
        } else {
            (1, from, to)
        };
        for (interval, ms) in split(from, to) {
            self.agent(agent, interval).wrap_up_ms += sign * ms;
        }
    }

    /// Counts a chat of `queue` that ended in `interval` with `code`.
    pub(super) fn count_contact_reason(
        &mut self,
        queue: &str,
        interval: DateTime<Utc>,
        code: &str,
    ) {
        *self
            .contact_reasons
            .entry((queue.to_string(), timestamp(interval), code.to_string()))
            .or_default() += 1;
    }

    pub(super) async fn write(
        self,
        conn: &mut sqlx::AnyConnection,
        t: &Tables,
    ) -> Result<(), sqlx::Error> {
        write_queues(conn, &t.queues, self.queues).await?;
        write_agents(conn, &t.agents, self.agents).await?;
        write_sums(
            conn,
            &t.pause_reasons,
            ["agent_id", "interval_start", "reason", "paused_ms"],
            self.pause_reasons,
        )
        .await?;
        write_sums(
            conn,
            &t.contact_reasons,
            ["queue_id", "interval_start", "code", "chats"],
            self.contact_reasons,
        )
        .await
    }
}

async fn write_queues(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    queues: BTreeMap<(String, String), QueueDelta>,
) -> Result<(), sqlx::Error> {
    let rows: Vec<Vec<Cell>> = queues
        .into_iter()
        .map(|((queue, interval), d)| {
            vec![
                queue.into(),
                interval.into(),
                d.offered.into(),
                d.answered.into(),
                d.abandoned.into(),
                d.within.into(),
                d.wait_ms_total.into(),
                d.wait_ms_max.into(),
                d.handled.into(),
                d.handle_ms_total.into(),
                d.left_messages.into(),
                d.left_answered.into(),
                d.left_answer_ms_total.into(),
            ]
        })
        .collect();
    bulk::insert(
        conn,
        table,
        &[
            "queue_id",
            "interval_start",
            "offered",
            "answered",
            "abandoned",
            "answered_within_threshold",
            "wait_ms_total",
            "wait_ms_max",
            "handled",
            "handle_ms_total",
            "left_messages",
            "left_answered",
            "left_answer_ms_total",
        ],
        &rows,
        &format!(
            "ON CONFLICT (queue_id, interval_start) DO UPDATE SET
                offered = {q}.offered + excluded.offered,
                answered = {q}.answered + excluded.answered,
                abandoned = {q}.abandoned + excluded.abandoned,
                answered_within_threshold = {q}.answered_within_threshold + excluded.answered_within_threshold,
                wait_ms_total = {q}.wait_ms_total + excluded.wait_ms_total,
                wait_ms_max = CASE WHEN {q}.wait_ms_max < excluded.wait_ms_max
                                   THEN excluded.wait_ms_max ELSE {q}.wait_ms_max END,
                handled = {q}.handled + excluded.handled,
                handle_ms_total = {q}.handle_ms_total + excluded.handle_ms_total,
                left_messages = {q}.left_messages + excluded.left_messages,
                left_answered = {q}.left_answered + excluded.left_answered,
                left_answer_ms_total = {q}.left_answer_ms_total + excluded.left_answer_ms_total",
            q = table
        ),
    )
    .await
}

async fn write_agents(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    agents: BTreeMap<(String, String), AgentDelta>,
) -> Result<(), sqlx::Error> {
    let rows: Vec<Vec<Cell>> = agents
        .into_iter()
        .map(|((agent, interval), d)| {
            vec![
                agent.into(),
                interval.into(),
                d.logged_in_ms.into(),
                d.handled.into(),
                d.chat_ms.into(),
                d.offers.into(),
                d.offers_expired.into(),
                d.offers_declined.into(),
                d.paused_ms.into(),
                d.paused_no_answer_ms.into(),
                d.wrap_up_ms.into(),
            ]
        })
        .collect();
    bulk::insert(
        conn,
        table,
        &[
            "agent_id",
            "interval_start",
            "logged_in_ms",
            "chats_handled",
            "chat_ms",
            "offers",
            "offers_expired",
            "offers_declined",
            "paused_ms",
            "paused_no_answer_ms",
            "wrap_up_ms",
        ],
        &rows,
        &format!(
            "ON CONFLICT (agent_id, interval_start) DO UPDATE SET
                logged_in_ms = {a}.logged_in_ms + excluded.logged_in_ms,
                chats_handled = {a}.chats_handled + excluded.chats_handled,
                chat_ms = {a}.chat_ms + excluded.chat_ms,
                offers = {a}.offers + excluded.offers,
                offers_expired = {a}.offers_expired + excluded.offers_expired,
                offers_declined = {a}.offers_declined + excluded.offers_declined,
                paused_ms = {a}.paused_ms + excluded.paused_ms,
                paused_no_answer_ms = {a}.paused_no_answer_ms + excluded.paused_no_answer_ms,
                wrap_up_ms = {a}.wrap_up_ms + excluded.wrap_up_ms",
            a = table
        ),
    )
    .await
}

/// Adds a batch's sums keyed by three columns to the stored ones.
async fn write_sums(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    [a, b, c, sum]: [&str; 4],
    sums: BTreeMap<(String, String, String), i64>,
) -> Result<(), sqlx::Error> {
    let rows: Vec<Vec<Cell>> = sums
        .into_iter()
        .map(|((x, y, z), n)| vec![x.into(), y.into(), z.into(), n.into()])
        .collect();
    bulk::insert(
        conn,
        table,
        &[a, b, c, sum],
        &rows,
        &format!(
            "ON CONFLICT ({a}, {b}, {c}) DO UPDATE SET {sum} = {table}.{sum} + excluded.{sum}"
        ),
    )
    .await
}
