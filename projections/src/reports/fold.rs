//! The reports fold, a batch at a time: the rows a batch touches are read in a few statements,
//! its events folded in memory in log order, and every change written back in a few
//! statements. Durations are summed in whole milliseconds, so however the log is cut into
//! batches — live, or in a rebuild — the sums come out the same.

use super::{interval_of, split, Tables, SERVICE_LEVEL_SECONDS};
use crate::bulk::{self, Cell};
use crate::event::{chats_started_before, DomainEvent, SamtaleEvent};
use crate::projection::ProjectionError;
use crate::timestamp;
use chrono::{DateTime, Utc};
use samtale_domain::chat::Author;
use samtale_domain::{ChatEvent, DirectoryEvent, PresenceEvent};
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub(super) async fn fold(
    conn: &mut AnyConnection,
    t: &Tables,
    events: &[SamtaleEvent],
) -> Result<(), ProjectionError> {
    let mut batch = Batch::load(conn, t, events).await?;
    for event in events {
        batch.apply(event);
    }
    batch.write(conn, t).await?;
    Ok(())
}

/// A chat's row in `report_chats`.
#[derive(Debug, Clone, Default)]
struct ChatRow {
    queue_id: String,
    category_id: Option<String>,
    requested_at: String,
    first_assigned_at: Option<String>,
    ended_at: Option<String>,
    wait_seconds: Option<f64>,
    handle_seconds: Option<f64>,
    transfers: i64,
    messages: Messages,
    outcome: Option<String>,
    agent_id: Option<String>,
    assigned_at: Option<String>,
}

/// A chat's message counts and first reply.
#[derive(Debug, Clone, Default)]
struct Messages {
    customer: i64,
    agent: i64,
    first_agent_reply_at: Option<String>,
}

impl Messages {
    fn count(&mut self, author: &Author, at: DateTime<Utc>) {
        match author {
            Author::Customer => self.customer += 1,
            Author::Agent { .. } => {
                self.agent += 1;
                self.first_agent_reply_at
                    .get_or_insert_with(|| timestamp(at));
            }
            Author::System => {}
        }
    }
}

const CHAT_COLUMNS: &[&str] = &[
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
    "outcome",
    "agent_id",
    "assigned_at",
];

/// What a batch adds to a queue's interval.
#[derive(Debug, Default)]
struct QueueDelta {
    offered: i64,
    answered: i64,
    abandoned: i64,
    within: i64,
    wait_ms_total: i64,
    wait_ms_max: i64,
    handled: i64,
    handle_ms_total: i64,
}

/// What a batch adds to an agent's interval.
#[derive(Debug, Default)]
struct AgentDelta {
    logged_in_ms: i64,
    handled: i64,
    chat_ms: i64,
}

/// A chat's place on the board: its queue and when it joined the queues.
type Place = (String, String);

#[derive(Default)]
struct Batch {
    chats: HashMap<String, ChatRow>,
    changed_chats: BTreeSet<String>,
    /// Messages to chats the batch does nothing else to: added to their rows without reading
    /// them, which spares a busy log's batches, almost all messages, two reads each.
    messages_only: BTreeMap<String, Messages>,
    places: HashMap<String, Place>,
    states: Vec<Vec<Cell>>,
    activity: Vec<Vec<Cell>>,
    queues: BTreeMap<(String, String), QueueDelta>,
    agents: BTreeMap<(String, String), AgentDelta>,
    thresholds: HashMap<String, f64>,
    changed_thresholds: BTreeSet<String>,
    sessions: HashMap<String, String>,
    changed_sessions: BTreeSet<String>,
}

fn parse(at: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn millis_between(from: &str, to: DateTime<Utc>) -> Option<i64> {
    parse(from).map(|from| (to - from).num_milliseconds())
}

fn seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

impl Batch {
    /// Reads the rows the batch's events will change.
    async fn load(
        conn: &mut AnyConnection,
        t: &Tables,
        events: &[SamtaleEvent],
    ) -> Result<Self, sqlx::Error> {
        let keys: Vec<Cell> = chats_started_before(events, |e| !e.is_conversation())
            .iter()
            .map(|id| id.to_string().into())
            .collect();
        let mut batch = Batch::default();
        if !keys.is_empty() {
            let select = format!(
                "SELECT {} FROM {} WHERE chat_id",
                CHAT_COLUMNS.join(", "),
                t.chats
            );
            for row in bulk::select_in(conn, &select, &keys).await? {
                let chat = ChatRow {
                    queue_id: row.try_get("queue_id")?,
                    category_id: row.try_get("category_id")?,
                    requested_at: row.try_get("requested_at")?,
                    first_assigned_at: row.try_get("first_assigned_at")?,
                    ended_at: row.try_get("ended_at")?,
                    wait_seconds: row.try_get("wait_seconds")?,
                    handle_seconds: row.try_get("handle_seconds")?,
                    transfers: row.try_get("transfers")?,
                    messages: Messages {
                        customer: row.try_get("customer_messages")?,
                        agent: row.try_get("agent_messages")?,
                        first_agent_reply_at: row.try_get("first_agent_reply_at")?,
                    },
                    outcome: row.try_get("outcome")?,
                    agent_id: row.try_get("agent_id")?,
                    assigned_at: row.try_get("assigned_at")?,
                };
                batch.chats.insert(row.try_get("chat_id")?, chat);
            }
            let select = format!(
                "SELECT chat_id, position, queue_id, queued_at FROM {} WHERE chat_id",
                t.states
            );
            let mut latest: HashMap<String, i64> = HashMap::new();
            for row in bulk::select_in(conn, &select, &keys).await? {
                let chat: String = row.try_get("chat_id")?;
                let position: i64 = row.try_get("position")?;
                if latest.get(&chat).is_none_or(|p| *p < position) {
                    latest.insert(chat.clone(), position);
                    batch
                        .places
                        .insert(chat, (row.try_get("queue_id")?, row.try_get("queued_at")?));
                }
            }
        }
        // Both tables hold a row per queue and per logged-in agent: small enough to read whole.
        // Only an assignment reads a threshold and only a logout a session's start; a batch
        // of messages, the bulk of a busy log, reads neither.
        let any = |wanted: fn(&DomainEvent) -> bool| events.iter().any(|e| wanted(&e.event));
        if any(|e| matches!(e, DomainEvent::Chat(ChatEvent::ChatAssigned { .. }))) {
            let thresholds: Vec<(String, f64)> = sqlx::query_as(&format!(
                "SELECT queue_id, service_level_seconds FROM {}",
                t.thresholds
            ))
            .fetch_all(&mut *conn)
            .await?;
            batch.thresholds = thresholds.into_iter().collect();
        }
        if any(|e| {
            matches!(
                e,
                DomainEvent::Presence(PresenceEvent::AgentLoggedOut { .. })
            )
        }) {
            let sessions: Vec<(String, String)> =
                sqlx::query_as(&format!("SELECT agent_id, since FROM {}", t.sessions))
                    .fetch_all(&mut *conn)
                    .await?;
            batch.sessions = sessions.into_iter().collect();
        }
        Ok(batch)
    }

    fn apply(&mut self, event: &SamtaleEvent) {
        if let DomainEvent::Chat(chat) = &event.event {
            self.record_place(event, chat);
        }
        self.record_activity(event);
        match &event.event {
            DomainEvent::Chat(chat) => self.fold_chat(&event.aggregate_id, chat),
            DomainEvent::Presence(presence) => self.fold_presence(&event.aggregate_id, presence),
            DomainEvent::Directory(DirectoryEvent::QueueConfigured {
                queue_id, settings, ..
            }) => {
                let threshold = settings
                    .service_level_seconds
                    .map_or(SERVICE_LEVEL_SECONDS, f64::from);
                self.thresholds.insert(queue_id.to_string(), threshold);
                self.changed_thresholds.insert(queue_id.to_string());
            }
            DomainEvent::Directory(_) => {}
        }
    }

    /// Appends the chat's new place and status when an event changes them, for the board as it
    /// stood at any past instant.
    fn record_place(&mut self, event: &SamtaleEvent, chat: &ChatEvent) {
        let (queue, queued_at) = self
            .places
            .get(&event.aggregate_id)
            .cloned()
            .unwrap_or_default();
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
            ChatEvent::MessageSent { .. }
            | ChatEvent::MessagesRead { .. }
            | ChatEvent::CustomerNotified { .. } => return,
        };
        self.states.push(vec![
            event.aggregate_id.clone().into(),
            event.position.position.into(),
            timestamp(at).into(),
            queue.clone().into(),
            status.to_string().into(),
            queued_at.clone().into(),
        ]);
        self.places
            .insert(event.aggregate_id.clone(), (queue, queued_at));
    }

    fn record_activity(&mut self, event: &SamtaleEvent) {
        let actor = |by: &samtale_domain::Actor| serde_json::to_string(by).unwrap_or_default();
        let chat = Some(event.aggregate_id.clone());
        let (agent_id, at, kind, chat_id, queues, by) = match &event.event {
            DomainEvent::Presence(PresenceEvent::AgentLoggedIn { queues, by, at, .. }) => (
                event.aggregate_id.clone(),
                *at,
                "logged_in",
                None,
                serde_json::to_string(queues).ok(),
                actor(by),
            ),
            DomainEvent::Presence(PresenceEvent::AgentLoggedOut { queues, by, at, .. }) => (
                event.aggregate_id.clone(),
                *at,
                "logged_out",
                None,
                serde_json::to_string(queues).ok(),
                actor(by),
            ),
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
            _ => return,
        };
        self.activity.push(vec![
            agent_id.into(),
            event.position.position.into(),
            timestamp(at).into(),
            kind.to_string().into(),
            chat_id.into(),
            queues.into(),
            by.into(),
        ]);
    }

    fn add_queue(
        &mut self,
        queue: &str,
        interval: DateTime<Utc>,
        add: impl FnOnce(&mut QueueDelta),
    ) {
        add(self
            .queues
            .entry((queue.to_string(), timestamp(interval)))
            .or_default());
    }

    fn add_agent(
        &mut self,
        agent: &str,
        interval: DateTime<Utc>,
        add: impl FnOnce(&mut AgentDelta),
    ) {
        add(self
            .agents
            .entry((agent.to_string(), timestamp(interval)))
            .or_default());
    }

    /// Credits an agent with the time they had the chat, from `assigned_at` to `until`.
    fn credit_chat_time(&mut self, agent: &str, assigned_at: &str, until: DateTime<Utc>) {
        if let Some(from) = parse(assigned_at) {
            for (interval, ms) in split(from, until) {
                self.add_agent(agent, interval, |d| d.chat_ms += ms);
            }
        }
    }

    fn fold_presence(&mut self, agent: &str, event: &PresenceEvent) {
        match event {
            PresenceEvent::AgentLoggedIn {
                session_started: true,
                at,
                ..
            } => {
                self.sessions.insert(agent.to_string(), timestamp(*at));
                self.changed_sessions.insert(agent.to_string());
            }
            PresenceEvent::AgentLoggedOut {
                session_ended: true,
                at,
                ..
            } => {
                if let Some(since) = self.sessions.remove(agent).as_deref().and_then(parse) {
                    for (interval, ms) in split(since, *at) {
                        self.add_agent(agent, interval, |d| d.logged_in_ms += ms);
                    }
                }
                self.changed_sessions.insert(agent.to_string());
            }
            _ => {}
        }
    }

    fn fold_chat(&mut self, chat_id: &str, event: &ChatEvent) {
        let Some(mut chat) = self.chats.get(chat_id).cloned() else {
            if let ChatEvent::ChatRequested {
                queue_id,
                category_id,
                at,
                ..
            } = event
            {
                let queue = queue_id.to_string();
                self.add_queue(&queue, interval_of(*at), |d| d.offered += 1);
                let chat = ChatRow {
                    queue_id: queue,
                    category_id: category_id.map(|c| c.to_string()),
                    requested_at: timestamp(*at),
                    ..ChatRow::default()
                };
                self.chats.insert(chat_id.to_string(), chat);
                self.changed_chats.insert(chat_id.to_string());
            } else if let ChatEvent::MessageSent { author, at, .. } = event {
                self.messages_only
                    .entry(chat_id.to_string())
                    .or_default()
                    .count(author, *at);
            }
            return;
        };
        match event {
            ChatEvent::ChatRequested { .. }
            | ChatEvent::MessagesRead { .. }
            | ChatEvent::CustomerNotified { .. } => return,
            ChatEvent::ChatAssigned { agent_id, at, .. } => {
                if chat.first_assigned_at.is_none() {
                    let wait_ms = millis_between(&chat.requested_at, *at).unwrap_or_default();
                    chat.wait_seconds = Some(seconds(wait_ms));
                    let threshold = self
                        .thresholds
                        .get(&chat.queue_id)
                        .copied()
                        .unwrap_or(SERVICE_LEVEL_SECONDS);
                    let within = i64::from(seconds(wait_ms) <= threshold);
                    let interval = parse(&chat.requested_at).map(interval_of).unwrap_or(*at);
                    self.add_queue(&chat.queue_id, interval, |d| {
                        d.answered += 1;
                        d.within += within;
                        d.wait_ms_total += wait_ms;
                        d.wait_ms_max = d.wait_ms_max.max(wait_ms);
                    });
                    chat.first_assigned_at = Some(timestamp(*at));
                }
                chat.agent_id = Some(agent_id.to_string());
                chat.assigned_at = Some(timestamp(*at));
            }
            ChatEvent::MessageSent {
                author: Author::System,
                ..
            } => return,
            ChatEvent::MessageSent { author, at, .. } => chat.messages.count(author, *at),
            ChatEvent::ChatTransferred { at, .. } => {
                if let (Some(agent), Some(assigned_at)) = (&chat.agent_id, &chat.assigned_at) {
                    self.credit_chat_time(agent, assigned_at, *at);
                }
                chat.transfers += 1;
                chat.agent_id = None;
                chat.assigned_at = None;
            }
            ChatEvent::ChatEnded { at, .. } => self.end(&mut chat, "agent", *at),
            ChatEvent::CustomerClosedClient { abandoned, at, .. } => {
                let outcome = if *abandoned { "abandoned" } else { "customer" };
                self.end(&mut chat, outcome, *at);
            }
        }
        self.chats.insert(chat_id.to_string(), chat);
        self.changed_chats.insert(chat_id.to_string());
    }

    fn end(&mut self, chat: &mut ChatRow, outcome: &str, at: DateTime<Utc>) {
        let handle_ms = chat
            .first_assigned_at
            .as_deref()
            .and_then(|first| millis_between(first, at));
        chat.ended_at = Some(timestamp(at));
        chat.outcome = Some(outcome.to_string());
        chat.handle_seconds = handle_ms.map(seconds);
        if outcome == "abandoned" {
            let interval = parse(&chat.requested_at).map(interval_of).unwrap_or(at);
            self.add_queue(&chat.queue_id, interval, |d| d.abandoned += 1);
        }
        if let Some(handle_ms) = handle_ms {
            self.add_queue(&chat.queue_id, interval_of(at), |d| {
                d.handled += 1;
                d.handle_ms_total += handle_ms;
            });
        }
        if let (Some(agent), Some(assigned_at)) = (chat.agent_id.clone(), chat.assigned_at.clone())
        {
            self.credit_chat_time(&agent, &assigned_at, at);
            self.add_agent(&agent, interval_of(at), |d| d.handled += 1);
        }
    }

    async fn write(self, conn: &mut AnyConnection, t: &Tables) -> Result<(), sqlx::Error> {
        let chats: Vec<Vec<Cell>> = self
            .changed_chats
            .iter()
            .filter_map(|id| self.chats.get(id).map(|chat| (id, chat)))
            .map(|(id, c)| {
                vec![
                    id.clone().into(),
                    c.queue_id.clone().into(),
                    c.category_id.clone().into(),
                    c.requested_at.clone().into(),
                    c.first_assigned_at.clone().into(),
                    c.messages.first_agent_reply_at.clone().into(),
                    c.ended_at.clone().into(),
                    c.wait_seconds.into(),
                    c.handle_seconds.into(),
                    c.transfers.into(),
                    c.messages.customer.into(),
                    c.messages.agent.into(),
                    c.outcome.clone().into(),
                    c.agent_id.clone().into(),
                    c.assigned_at.clone().into(),
                ]
            })
            .collect();
        bulk::replace(conn, &t.chats, CHAT_COLUMNS, &chats).await?;
        let counts: Vec<Vec<Cell>> = self
            .messages_only
            .into_iter()
            .map(|(id, m)| {
                vec![
                    id.into(),
                    m.customer.into(),
                    m.agent.into(),
                    m.first_agent_reply_at.into(),
                ]
            })
            .collect();
        bulk::update(
            conn,
            &t.chats,
            &["chat_id", "customer", "agent", "first_reply"],
            &counts,
            "customer_messages = customer_messages + d.customer,
             agent_messages = agent_messages + d.agent,
             first_agent_reply_at = COALESCE(first_agent_reply_at, d.first_reply)",
        )
        .await?;
        bulk::insert(
            conn,
            &t.states,
            &[
                "chat_id",
                "position",
                "at",
                "queue_id",
                "status",
                "queued_at",
            ],
            &self.states,
            "",
        )
        .await?;
        bulk::insert(
            conn,
            &t.activity,
            &[
                "agent_id", "position", "at", "kind", "chat_id", "queues", "by_actor",
            ],
            &self.activity,
            "",
        )
        .await?;
        let queues: Vec<Vec<Cell>> = self
            .queues
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
                ]
            })
            .collect();
        bulk::insert(
            conn,
            &t.queues,
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
            ],
            &queues,
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
                    handle_ms_total = {q}.handle_ms_total + excluded.handle_ms_total",
                q = t.queues
            ),
        )
        .await?;
        let agents: Vec<Vec<Cell>> = self
            .agents
            .into_iter()
            .map(|((agent, interval), d)| {
                vec![
                    agent.into(),
                    interval.into(),
                    d.logged_in_ms.into(),
                    d.handled.into(),
                    d.chat_ms.into(),
                ]
            })
            .collect();
        bulk::insert(
            conn,
            &t.agents,
            &[
                "agent_id",
                "interval_start",
                "logged_in_ms",
                "chats_handled",
                "chat_ms",
            ],
            &agents,
            &format!(
                "ON CONFLICT (agent_id, interval_start) DO UPDATE SET
                    logged_in_ms = {a}.logged_in_ms + excluded.logged_in_ms,
                    chats_handled = {a}.chats_handled + excluded.chats_handled,
                    chat_ms = {a}.chat_ms + excluded.chat_ms",
                a = t.agents
            ),
        )
        .await?;
        let thresholds: Vec<Vec<Cell>> = self
            .changed_thresholds
            .iter()
            .map(|queue| {
                vec![
                    queue.clone().into(),
                    Cell::Float(self.thresholds.get(queue).copied()),
                ]
            })
            .collect();
        bulk::insert(
            conn,
            &t.thresholds,
            &["queue_id", "service_level_seconds"],
            &thresholds,
            "ON CONFLICT (queue_id) DO UPDATE SET service_level_seconds = excluded.service_level_seconds",
        )
        .await?;
        let agents: Vec<Vec<Cell>> = self
            .changed_sessions
            .iter()
            .map(|agent| vec![agent.clone().into()])
            .collect();
        bulk::delete_rows(conn, &t.sessions, &["agent_id"], &agents).await?;
        let open: Vec<Vec<Cell>> = self
            .changed_sessions
            .iter()
            .filter_map(|agent| {
                let since = self.sessions.get(agent)?;
                Some(vec![agent.clone().into(), since.clone().into()])
            })
            .collect();
        bulk::insert(conn, &t.sessions, &["agent_id", "since"], &open, "").await
    }
}
