//! The chats: each chat's state and customer information, its transcript, and each agent's
//! list of active and passive chats with unread counts. The queue board and the incoming
//! list are queries over `chats` and `agent_presence`.

use crate::event::{DomainEvent, SamtaleEvent};
use crate::projection::{Projection, ProjectionError};
use crate::schema::{Generation, Table};
use crate::timestamp;
use async_trait::async_trait;
use samtale_domain::chat::Author;
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
                  first_agent_reply_at text, ended_at text, end_reason text,
                  transfers bigint NOT NULL, messages bigint NOT NULL,
                  customer_messages bigint NOT NULL, agent_messages bigint NOT NULL,
                  last_message_at text, last_position bigint NOT NULL",
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
                  unread bigint NOT NULL, read_up_to bigint NOT NULL, since text NOT NULL,
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
        1
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
}

async fn fold_chat(
    conn: &mut AnyConnection,
    g: Generation,
    event: &SamtaleEvent,
    chat_event: &ChatEvent,
) -> Result<(), ProjectionError> {
    let chat_id = event.aggregate_id.clone();
    let position = event.position.position;
    let chats = g.table("chats");
    let agent_chats = g.table("agent_chats");
    let messages = g.table("messages");
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
                    requested_at, queued_at, transfers, messages, customer_messages, agent_messages,
                    last_position)
                 VALUES ($1, $2, $3, $4, $5, 'waiting', $6, $6, 0, 0, 0, 0, $7)"
            ))
            .bind(chat_id)
            .bind(queue_id.to_string())
            .bind(category_id.map(|c| c.to_string()))
            .bind(customer_name.as_str().to_string())
            .bind(serde_json::to_string(answers).unwrap_or_else(|_| "[]".into()))
            .bind(timestamp(*at))
            .bind(position)
            .execute(&mut *conn)
            .await?;
        }
        ChatEvent::ChatAssigned { agent_id, at, .. } => {
            sqlx::query(&format!(
                "UPDATE {chats} SET status = 'assigned', agent_id = $2, assigned_at = $3,
                    first_assigned_at = COALESCE(first_assigned_at, $3), last_position = $4
                  WHERE chat_id = $1"
            ))
            .bind(chat_id.clone())
            .bind(agent_id.to_string())
            .bind(timestamp(*at))
            .bind(position)
            .execute(&mut *conn)
            .await?;
            // Everything the customer wrote so far is unread for the new agent.
            sqlx::query(&format!(
                "INSERT INTO {agent_chats} (agent_id, chat_id, state, unread, read_up_to, since)
                 VALUES ($1, $2, 'active',
                         (SELECT count(*) FROM {messages} WHERE chat_id = $2 AND author_kind = 'customer'),
                         0, $3)
                 ON CONFLICT (agent_id, chat_id) DO UPDATE SET state = 'active',
                    unread = excluded.unread, read_up_to = 0, since = excluded.since"
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
        ChatEvent::MessageSent {
            message_id,
            number,
            author,
            text,
            client_message_id,
            at,
        } => {
            let (kind, author_id) = match author {
                Author::Customer => ("customer", None),
                Author::Agent { user_id } => ("agent", Some(user_id.to_string())),
                Author::System => ("system", None),
            };
            let number = i64::try_from(*number).unwrap_or(i64::MAX);
            sqlx::query(&format!(
                "INSERT INTO {messages} (chat_id, number, message_id, author_kind, author_id, text,
                    client_message_id, sent_at, position)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            ))
            .bind(chat_id.clone())
            .bind(number)
            .bind(message_id.to_string())
            .bind(kind)
            .bind(author_id)
            .bind(text.as_str().to_string())
            .bind(client_message_id.clone())
            .bind(timestamp(*at))
            .bind(position)
            .execute(&mut *conn)
            .await?;
            let (customer, agent) = (i64::from(kind == "customer"), i64::from(kind == "agent"));
            sqlx::query(&format!(
                "UPDATE {chats} SET messages = $2, customer_messages = customer_messages + $3,
                    agent_messages = agent_messages + $4, last_message_at = $5, last_position = $6,
                    first_agent_reply_at = CASE WHEN $4 = 1 AND first_agent_reply_at IS NULL
                                                THEN $5 ELSE first_agent_reply_at END
                  WHERE chat_id = $1"
            ))
            .bind(chat_id.clone())
            .bind(number)
            .bind(customer)
            .bind(agent)
            .bind(timestamp(*at))
            .bind(position)
            .execute(&mut *conn)
            .await?;
            if kind == "customer" {
                sqlx::query(&format!(
                    "UPDATE {agent_chats} SET unread = unread + 1 WHERE chat_id = $1 AND state = 'active'"
                ))
                .bind(chat_id)
                .execute(&mut *conn)
                .await?;
            }
        }
        ChatEvent::MessagesRead {
            agent_id, up_to, ..
        } => {
            sqlx::query(&format!(
                "UPDATE {agent_chats} SET read_up_to = $3,
                    unread = (SELECT count(*) FROM {messages}
                               WHERE chat_id = $2 AND author_kind = 'customer' AND number > $3)
                  WHERE agent_id = $1 AND chat_id = $2"
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
                    assigned_at = NULL, transfers = transfers + 1, last_position = $4
                  WHERE chat_id = $1"
            ))
            .bind(chat_id.clone())
            .bind(to_queue.to_string())
            .bind(to_category.map(|c| c.to_string()))
            .bind(position)
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
        ChatEvent::ChatEnded { at, .. } => {
            end(conn, g, &chat_id, "ended", "agent", *at, position).await?
        }
        ChatEvent::CustomerClosedClient { abandoned, at, .. } => {
            let (status, reason) = if *abandoned {
                ("abandoned", "abandoned")
            } else {
                ("ended", "customer")
            };
            end(conn, g, &chat_id, status, reason, *at, position).await?;
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
    position: i64,
) -> Result<(), ProjectionError> {
    sqlx::query(&format!(
        "UPDATE {} SET status = $2, end_reason = $3, ended_at = $4, last_position = $5 WHERE chat_id = $1",
        g.table("chats")
    ))
    .bind(chat_id.to_string())
    .bind(status.to_string())
    .bind(reason.to_string())
    .bind(timestamp(at))
    .bind(position)
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
