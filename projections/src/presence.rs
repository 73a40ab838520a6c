//! Which agents are logged in to which queues, and each agent's login session: its number,
//! and whether the agent is paused, why and since when.

use crate::event::{DomainEvent, SamtaleEvent};
use crate::projection::{Projection, ProjectionError};
use crate::schema::{Generation, Table};
use async_trait::async_trait;
use samtale_domain::PresenceEvent;
use sqlx::AnyConnection;

pub struct PresenceTables;

const TABLES: &[Table] = &[
    Table {
        name: "agent_presence",
        columns: "user_id text NOT NULL, queue_id text NOT NULL, since text NOT NULL,
                  PRIMARY KEY (user_id, queue_id)",
        indexes: &[("queue", "queue_id")],
    },
    Table {
        name: "agent_sessions",
        columns:
            "user_id text PRIMARY KEY, session bigint NOT NULL, queues_logged_in bigint NOT NULL,
                  changed_at text NOT NULL, changed_by text NOT NULL,
                  paused_reason text, paused_since text",
        indexes: &[],
    },
];

#[async_trait]
impl Projection for PresenceTables {
    fn name(&self) -> &'static str {
        "presence"
    }

    fn version(&self) -> i64 {
        // 2: pauses.
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
        let DomainEvent::Presence(presence) = &event.event else {
            return Ok(());
        };
        let agent = &event.aggregate_id;
        let sessions = g.table("agent_sessions");
        let (queues, by, at, session) = match presence {
            PresenceEvent::AgentPaused { reason, by, at } => {
                let reason = serde_json::to_value(reason).unwrap_or_default();
                sqlx::query(&format!(
                    "UPDATE {sessions} SET paused_reason = $2, paused_since = $3,
                        changed_at = $3, changed_by = $4
                      WHERE user_id = $1"
                ))
                .bind(agent.clone())
                .bind(reason.as_str().unwrap_or_default().to_string())
                .bind(crate::timestamp(*at))
                .bind(serde_json::to_string(by).unwrap_or_default())
                .execute(&mut *conn)
                .await?;
                return Ok(());
            }
            PresenceEvent::AgentResumed { by, at } => {
                sqlx::query(&format!(
                    "UPDATE {sessions} SET paused_reason = NULL, paused_since = NULL,
                        changed_at = $2, changed_by = $3
                      WHERE user_id = $1"
                ))
                .bind(agent.clone())
                .bind(crate::timestamp(*at))
                .bind(serde_json::to_string(by).unwrap_or_default())
                .execute(&mut *conn)
                .await?;
                return Ok(());
            }
            PresenceEvent::AgentLoggedIn {
                queues,
                session,
                by,
                at,
                ..
            } => (queues, by, at, Some(*session)),
            PresenceEvent::AgentLoggedOut { queues, by, at, .. } => (queues, by, at, None),
        };
        let presence = g.table("agent_presence");
        let insert = format!(
            "INSERT INTO {presence} (user_id, queue_id, since) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
        );
        let delete = format!("DELETE FROM {presence} WHERE user_id = $1 AND queue_id = $2");
        for queue in queues {
            let change = if session.is_some() {
                sqlx::query(&insert)
                    .bind(agent.clone())
                    .bind(queue.to_string())
                    .bind(crate::timestamp(*at))
            } else {
                sqlx::query(&delete)
                    .bind(agent.clone())
                    .bind(queue.to_string())
            };
            change.execute(&mut *conn).await?;
        }
        // A session that ends ends its pause.
        sqlx::query(&format!(
            "INSERT INTO {sessions} (user_id, session, queues_logged_in, changed_at, changed_by)
             VALUES ($1, COALESCE($2, 0), (SELECT count(*) FROM {presence} WHERE user_id = $1), $3, $4)
             ON CONFLICT (user_id) DO UPDATE SET session = COALESCE($2, {sessions}.session),
                changed_at = $3, changed_by = $4,
                queues_logged_in = (SELECT count(*) FROM {presence} WHERE user_id = $1),
                paused_reason = CASE WHEN (SELECT count(*) FROM {presence} WHERE user_id = $1) = 0
                                     THEN NULL ELSE {sessions}.paused_reason END,
                paused_since = CASE WHEN (SELECT count(*) FROM {presence} WHERE user_id = $1) = 0
                                    THEN NULL ELSE {sessions}.paused_since END"
        ))
        .bind(agent.clone())
        .bind(session.and_then(|s| i64::try_from(s).ok()))
        .bind(crate::timestamp(*at))
        .bind(serde_json::to_string(by).unwrap_or_default())
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}
