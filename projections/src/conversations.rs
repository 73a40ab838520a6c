//! The chats: each chat's state and customer information, its transcript, and each agent's
//! list of active and passive chats with their read markers. The queue board, the incoming
//! list, message counts and unread counts are queries over these tables.
//!
//! A message is one row in `messages` and touches nothing else: counts are derived when read
//! (indexed by chat), so the busiest event costs one insert, and a run of messages in a batch
//! one multi-row insert.

use crate::bulk::{self, Cell};
use crate::event::{DomainEvent, SamtaleEvent};
use crate::projection::{Projection, ProjectionError};
use crate::read::MessageRow;
use crate::schema::{Generation, Table};
use crate::timestamp;
use async_trait::async_trait;
use samtale_domain::{ChatEvent, PresenceEvent};
use sqlx::AnyConnection;

pub struct Conversations;

const TABLES: &[Table] = &[
    Table {
        name: "chats",
        columns: "chat_id text PRIMARY KEY, queue_id text NOT NULL, category_id text,
                  customer_name text NOT NULL, answers text NOT NULL, status text NOT NULL,
                  agent_id text, requested_at text NOT NULL,
                  queued_at text NOT NULL, first_assigned_at text, assigned_at text,
                  ended_at text, end_reason text, transfers bigint NOT NULL",
        indexes: &[
            ("status_queue", "status, queue_id, queued_at"),
            ("requested", "requested_at"),
            ("agent", "agent_id"),
        ],
    },
    Table {
        name: "messages",
        columns: "chat_id text NOT NULL, number bigint NOT NULL, message_id text NOT NULL UNIQUE,
                  author_kind text NOT NULL, author_id text, text text NOT NULL,
                  client_message_id text, sent_at text NOT NULL, position bigint NOT NULL,
                  PRIMARY KEY (chat_id, number)",
        indexes: &[("client", "chat_id, client_message_id")],
    },
    Table {
        name: "agent_chats",
        columns: "agent_id text NOT NULL, chat_id text NOT NULL, state text NOT NULL,
                  read_up_to bigint NOT NULL, since text NOT NULL,
                  PRIMARY KEY (agent_id, chat_id)",
        indexes: &[("chat", "chat_id")],
    },
    Table {
        name: "chat_participants",
        columns: "chat_id text NOT NULL, agent_id text NOT NULL, PRIMARY KEY (chat_id, agent_id)",
        indexes: &[("agent", "agent_id")],
    },
];

#[async_trait]
impl Projection for Conversations {
    fn name(&self) -> &'static str {
        "conversations"
    }

    fn version(&self) -> i64 {
        2
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
        match &event.event {
            DomainEvent::Chat(chat_event) => fold_chat(conn, g, event, chat_event).await,
            // A new login session clears the agent's passive chats (seed: "passive chats stay
            // listed as long as the agent's current chat session lasts").
            DomainEvent::Presence(PresenceEvent::AgentLoggedIn {
                session_started: true,
                ..
            }) => {
                sqlx::query(&format!(
                    "DELETE FROM {} WHERE agent_id = $1 AND state = 'passive'",
                    g.table("agent_chats")
                ))
                .bind(event.aggregate_id.clone())
                .execute(&mut *conn)
                .await?;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    async fn apply_batch(
        &self,
        conn: &mut AnyConnection,
        g: Generation,
        events: &[SamtaleEvent],
    ) -> Result<(), ProjectionError> {
        let mut run: Vec<&SamtaleEvent> = Vec::new();
        for event in events {
            if message_of(event).is_some() {
                run.push(event);
                continue;
            }
            insert_messages(conn, g, &run).await?;
            run.clear();
            self.apply(conn, g, event).await?;
        }
        insert_messages(conn, g, &run).await
    }
}

/// The row of a `MessageSent`, if the event is one.
fn message_of(event: &SamtaleEvent) -> Option<Vec<Cell>> {
    let DomainEvent::Chat(chat_event) = &event.event else {
        return None;
    };
    let row = MessageRow::from_event(chat_event)?;
    Some(vec![
        event.aggregate_id.clone().into(),
        row.number.into(),
        row.message_id.into(),
        row.author_kind.into(),
        row.author_id.into(),
        row.text.into(),
        row.client_message_id.into(),
        row.sent_at.into(),
        event.position.position.into(),
    ])
}

/// Writes a run of messages with as few statements as the parameter limits allow.
async fn insert_messages(
    conn: &mut AnyConnection,
    g: Generation,
    run: &[&SamtaleEvent],
) -> Result<(), ProjectionError> {
    let rows: Vec<Vec<Cell>> = run.iter().filter_map(|e| message_of(e)).collect();
    bulk::insert(
        conn,
        &g.table("messages"),
        &[
            "chat_id",
            "number",
            "message_id",
            "author_kind",
            "author_id",
            "text",
            "client_message_id",
            "sent_at",
            "position",
        ],
        &rows,
        "",
    )
    .await?;
    Ok(())
}

async fn fold_chat(
    conn: &mut AnyConnection,
    g: Generation,
    event: &SamtaleEvent,
    chat_event: &ChatEvent,
) -> Result<(), ProjectionError> {
    let chat_id = event.aggregate_id.clone();
    let chats = g.table("chats");
    let agent_chats = g.table("agent_chats");
    match chat_event {
        ChatEvent::ChatRequested {
            queue_id,
            category_id,
            customer_name,
            answers,
            at,
            ..
        } => {
            sqlx::query(&format!(
                "INSERT INTO {chats} (chat_id, queue_id, category_id, customer_name, answers, status,
                    requested_at, queued_at, transfers)
                 VALUES ($1, $2, $3, $4, $5, 'waiting', $6, $6, 0)"
            ))
            .bind(chat_id)
            .bind(queue_id.to_string())
            .bind(category_id.map(|c| c.to_string()))
            .bind(customer_name.as_str().to_string())
            .bind(serde_json::to_string(answers).unwrap_or_else(|_| "[]".into()))
            .bind(timestamp(*at))
            .execute(&mut *conn)
            .await?;
        }
        ChatEvent::ChatAssigned { agent_id, at, .. } => {
            sqlx::query(&format!(
                "UPDATE {chats} SET status = 'assigned', agent_id = $2, assigned_at = $3,
                    first_assigned_at = COALESCE(first_assigned_at, $3)
                  WHERE chat_id = $1"
            ))
            .bind(chat_id.clone())
            .bind(agent_id.to_string())
            .bind(timestamp(*at))
            .execute(&mut *conn)
            .await?;
            // Everything the customer wrote so far is unread for the new agent.
            sqlx::query(&format!(
                "INSERT INTO {agent_chats} (agent_id, chat_id, state, read_up_to, since)
                 VALUES ($1, $2, 'active', 0, $3)
                 ON CONFLICT (agent_id, chat_id) DO UPDATE SET state = 'active',
                    read_up_to = 0, since = excluded.since"
            ))
            .bind(agent_id.to_string())
            .bind(chat_id.clone())
            .bind(timestamp(*at))
            .execute(&mut *conn)
            .await?;
            sqlx::query(&format!(
                "INSERT INTO {} (chat_id, agent_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                g.table("chat_participants")
            ))
            .bind(chat_id)
            .bind(agent_id.to_string())
            .execute(&mut *conn)
            .await?;
        }
        ChatEvent::MessageSent { .. } => insert_messages(conn, g, &[event]).await?,
        ChatEvent::MessagesRead {
            agent_id, up_to, ..
        } => {
            sqlx::query(&format!(
                "UPDATE {agent_chats} SET read_up_to = $3 WHERE agent_id = $1 AND chat_id = $2"
            ))
            .bind(agent_id.to_string())
            .bind(chat_id)
            .bind(i64::try_from(*up_to).unwrap_or(i64::MAX))
            .execute(&mut *conn)
            .await?;
        }
        ChatEvent::ChatTransferred {
            to_queue,
            to_category,
            from_agent,
            ..
        } => {
            // The chat keeps its original arrival time (`queued_at`) in the new queue.
            sqlx::query(&format!(
                "UPDATE {chats} SET queue_id = $2, category_id = $3, status = 'waiting', agent_id = NULL,
                    assigned_at = NULL, transfers = transfers + 1
                  WHERE chat_id = $1"
            ))
            .bind(chat_id.clone())
            .bind(to_queue.to_string())
            .bind(to_category.map(|c| c.to_string()))
            .execute(&mut *conn)
            .await?;
            if let Some(agent) = from_agent {
                sqlx::query(&format!(
                    "DELETE FROM {agent_chats} WHERE agent_id = $1 AND chat_id = $2"
                ))
                .bind(agent.to_string())
                .bind(chat_id)
                .execute(&mut *conn)
                .await?;
            }
        }
        ChatEvent::ChatEnded { at, .. } => end(conn, g, &chat_id, "ended", "agent", *at).await?,
        ChatEvent::CustomerClosedClient { abandoned, at, .. } => {
            let (status, reason) = if *abandoned {
                ("abandoned", "abandoned")
            } else {
                ("ended", "customer")
            };
            end(conn, g, &chat_id, status, reason, *at).await?;
        }
    }
    Ok(())
}

async fn end(
    conn: &mut AnyConnection,
    g: Generation,
    chat_id: &str,
    status: &str,
    reason: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), ProjectionError> {
    sqlx::query(&format!(
        "UPDATE {} SET status = $2, end_reason = $3, ended_at = $4 WHERE chat_id = $1",
        g.table("chats")
    ))
    .bind(chat_id.to_string())
    .bind(status.to_string())
    .bind(reason.to_string())
    .bind(timestamp(at))
    .execute(&mut *conn)
    .await?;
    sqlx::query(&format!(
        "UPDATE {} SET state = 'passive' WHERE chat_id = $1 AND state = 'active'",
        g.table("agent_chats")
    ))
    .bind(chat_id.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}
