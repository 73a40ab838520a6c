//! The configuration as tables: users, queues and their members, categories, form fields.

use crate::event::{DomainEvent, SamtaleEvent};
use crate::projection::{Projection, ProjectionError};
use crate::schema::{Generation, Table};
use async_trait::async_trait;
use samtale_domain::DirectoryEvent;
use sqlx::AnyConnection;

pub struct DirectoryTables;

const TABLES: &[Table] = &[
    Table {
        name: "users",
        columns:
            "user_id text PRIMARY KEY, username text NOT NULL UNIQUE, display_name text NOT NULL,
                  role text NOT NULL, max_concurrent_chats bigint NOT NULL, active bigint NOT NULL,
                  created_at text NOT NULL",
        indexes: &[],
    },
    Table {
        name: "queues",
        columns: "queue_id text PRIMARY KEY, name text NOT NULL, name_en text,
                  removed bigint NOT NULL DEFAULT 0, created_at text NOT NULL,
                  no_agent_notice_after_seconds bigint, overflow_queue_id text,
                  service_level_seconds bigint, service_level_target_percent bigint,
                  transcript_retention_days bigint,
                  offer_timeout_seconds bigint, wrap_up_seconds bigint,
                  wrap_up_code_required bigint NOT NULL DEFAULT 0, opening_hours text,
                  sneak_peek bigint NOT NULL DEFAULT 0",
        indexes: &[],
    },
    Table {
        name: "queue_members",
        columns: "queue_id text NOT NULL, user_id text NOT NULL, PRIMARY KEY (queue_id, user_id)",
        indexes: &[("user", "user_id")],
    },
    Table {
        name: "categories",
        // A removed category stays, marked, so that its chats' history still names it.
        columns: "category_id text PRIMARY KEY, name text NOT NULL, name_en text,
                  queue_id text NOT NULL, removed bigint NOT NULL DEFAULT 0",
        indexes: &[("queue", "queue_id")],
    },
    Table {
        name: "form_fields",
        columns: "key text PRIMARY KEY, label text NOT NULL, label_en text, kind text NOT NULL,
                  required bigint NOT NULL,
                  options text NOT NULL, options_en text NOT NULL DEFAULT '[]',
                  max_length bigint NOT NULL, ordinal bigint NOT NULL",
        indexes: &[],
    },
    Table {
        name: "pause_reasons",
        columns: "reason text PRIMARY KEY, label text NOT NULL",
        indexes: &[],
    },
    Table {
        name: "wrap_up_codes",
        columns: "queue_id text NOT NULL, code text NOT NULL, label text NOT NULL,
                  PRIMARY KEY (queue_id, code)",
        indexes: &[],
    },
    // `queue_id` null: for every queue.
    Table {
        name: "canned_responses",
        columns: "response_id text PRIMARY KEY, queue_id text, title text NOT NULL,
                  shortcut text NOT NULL, text_nb text NOT NULL, text_en text",
        indexes: &[],
    },
];

fn text<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn english(name: &Option<samtale_domain::text::Name>) -> Option<String> {
    name.as_ref().map(|name| name.as_str().to_string())
}

#[async_trait]
impl Projection for DirectoryTables {
    fn name(&self) -> &'static str {
        "directory"
    }

    fn version(&self) -> i64 {
        // 5: a queue's offer timeout.
        // 6: pause reasons; a queue's wrap-up time and codes, its opening hours.
        // 7: canned responses.
        // 8: a queue's sneak peek.
        // 9: a queue's service-level target.
        // 10: a form field's English label.
        // 11: English names of queues, categories and select options; removed queues and
        //     categories; the form's order.
        11
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
        let DomainEvent::Directory(event) = &event.event else {
            return Ok(());
        };
        use DirectoryEvent as E;
        match event {
            E::UserCreated {
                user_id,
                username,
                display_name,
                role,
                max_concurrent_chats,
                at,
                ..
            } => {
                sqlx::query(&format!(
                    "INSERT INTO {} (user_id, username, display_name, role, max_concurrent_chats, active, created_at)
                     VALUES ($1, $2, $3, $4, $5, 1, $6)",
                    g.table("users")
                ))
                .bind(user_id.to_string())
                .bind(username.as_str().to_string())
                .bind(display_name.as_str().to_string())
                .bind(text(role))
                .bind(i64::from(*max_concurrent_chats))
                .bind(crate::timestamp(*at))
                .execute(&mut *conn)
                .await?;
            }
            E::UserUpdated {
                user_id, changes, ..
            } => {
                sqlx::query(&format!(
                    "UPDATE {} SET display_name = COALESCE($2, display_name), role = COALESCE($3, role),
                            max_concurrent_chats = COALESCE($4, max_concurrent_chats),
                            active = COALESCE($5, active)
                      WHERE user_id = $1",
                    g.table("users")
                ))
                .bind(user_id.to_string())
                .bind(changes.display_name.as_ref().map(|n| n.as_str().to_string()))
                .bind(changes.role.as_ref().map(text))
                .bind(changes.max_concurrent_chats.map(i64::from))
                .bind(changes.active.map(i64::from))
                .execute(&mut *conn)
                .await?;
            }
            E::PasswordChanged { .. } => {}
            E::QueueCreated {
                queue_id,
                name,
                name_en,
                transcript_retention_days,
                offer_timeout_seconds,
                at,
                ..
            } => {
                sqlx::query(&format!(
                    "INSERT INTO {} (queue_id, name, created_at, transcript_retention_days,
                        offer_timeout_seconds, name_en)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    g.table("queues")
                ))
                .bind(queue_id.to_string())
                .bind(name.as_str().to_string())
                .bind(crate::timestamp(*at))
                .bind(transcript_retention_days.map(i64::from))
                .bind(offer_timeout_seconds.map(i64::from))
                .bind(english(name_en))
                .execute(&mut *conn)
                .await?;
            }
            E::QueueRenamed {
                queue_id,
                name,
                name_en,
                ..
            } => {
                sqlx::query(&format!(
                    "UPDATE {} SET name = $2, name_en = $3 WHERE queue_id = $1",
                    g.table("queues")
                ))
                .bind(queue_id.to_string())
                .bind(name.as_str().to_string())
                .bind(english(name_en))
                .execute(&mut *conn)
                .await?;
            }
            // The row stays, marked, for the history and reports that name the queue; its
            // members go with it, as the directory has them.
            E::QueueRemoved { queue_id, .. } => {
                sqlx::query(&format!(
                    "UPDATE {} SET removed = 1 WHERE queue_id = $1",
                    g.table("queues")
                ))
                .bind(queue_id.to_string())
                .execute(&mut *conn)
                .await?;
                sqlx::query(&format!(
                    "DELETE FROM {} WHERE queue_id = $1",
                    g.table("queue_members")
                ))
                .bind(queue_id.to_string())
                .execute(&mut *conn)
                .await?;
            }
            E::QueueConfigured {
                queue_id, settings, ..
            } => {
                sqlx::query(&format!(
                    "UPDATE {} SET no_agent_notice_after_seconds = $2, overflow_queue_id = $3,
                        service_level_seconds = $4, transcript_retention_days = $5,
                        offer_timeout_seconds = $6, wrap_up_seconds = $7,
                        wrap_up_code_required = $8, opening_hours = $9, sneak_peek = $10,
                        service_level_target_percent = $11
                      WHERE queue_id = $1",
                    g.table("queues")
                ))
                .bind(queue_id.to_string())
                .bind(settings.no_agent_notice_after_seconds.map(i64::from))
                .bind(settings.overflow_queue_id.map(|q| q.to_string()))
                .bind(settings.service_level_seconds.map(i64::from))
                .bind(settings.transcript_retention_days.map(i64::from))
                .bind(settings.offer_timeout_seconds.map(i64::from))
                .bind(settings.wrap_up_seconds.map(i64::from))
                .bind(i64::from(settings.wrap_up_code_required))
                .bind(
                    settings
                        .opening_hours
                        .as_ref()
                        .and_then(|hours| serde_json::to_string(hours).ok()),
                )
                .bind(i64::from(settings.sneak_peek))
                .bind(settings.service_level_target_percent.map(i64::from))
                .execute(&mut *conn)
                .await?;
            }
            E::QueueMemberAdded {
                queue_id, user_id, ..
            } => {
                sqlx::query(&format!(
                    "INSERT INTO {} (queue_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    g.table("queue_members")
                ))
                .bind(queue_id.to_string())
                .bind(user_id.to_string())
                .execute(&mut *conn)
                .await?;
            }
            E::QueueMemberRemoved {
                queue_id, user_id, ..
            } => {
                sqlx::query(&format!(
                    "DELETE FROM {} WHERE queue_id = $1 AND user_id = $2",
                    g.table("queue_members")
                ))
                .bind(queue_id.to_string())
                .bind(user_id.to_string())
                .execute(&mut *conn)
                .await?;
            }
            E::CategoryCreated {
                category_id,
                name,
                name_en,
                queue_id,
                ..
            }
            | E::CategoryUpdated {
                category_id,
                name,
                name_en,
                queue_id,
                ..
            } => {
                sqlx::query(&format!(
                    "INSERT INTO {} (category_id, name, name_en, queue_id) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (category_id) DO UPDATE SET name = excluded.name,
                        name_en = excluded.name_en, queue_id = excluded.queue_id",
                    g.table("categories")
                ))
                .bind(category_id.to_string())
                .bind(name.as_str().to_string())
                .bind(english(name_en))
                .bind(queue_id.to_string())
                .execute(&mut *conn)
                .await?;
            }
            E::CategoryRemoved { category_id, .. } => {
                sqlx::query(&format!(
                    "UPDATE {} SET removed = 1 WHERE category_id = $1",
                    g.table("categories")
                ))
                .bind(category_id.to_string())
                .execute(&mut *conn)
                .await?;
            }
            E::FormFieldDefined { field, .. } => {
                let fields = g.table("form_fields");
                sqlx::query(&format!(
                    "INSERT INTO {fields} (key, label, kind, required, options, max_length, ordinal, label_en,
                        options_en)
                     VALUES ($1, $2, $3, $4, $5, $6, (SELECT COALESCE(max(ordinal), 0) + 1 FROM {fields}), $7, $8)
                     ON CONFLICT (key) DO UPDATE SET label = excluded.label, label_en = excluded.label_en,
                        kind = excluded.kind,
                        required = excluded.required, options = excluded.options,
                        options_en = excluded.options_en, max_length = excluded.max_length"
                ))
                .bind(field.key.clone())
                .bind(field.label.clone())
                .bind(text(&field.kind))
                .bind(i64::from(field.required))
                .bind(serde_json::to_string(&field.options).unwrap_or_else(|_| "[]".into()))
                .bind(i64::try_from(field.max_length).unwrap_or(i64::MAX))
                .bind(field.label_en.clone())
                .bind(serde_json::to_string(&field.options_en).unwrap_or_else(|_| "[]".into()))
                .execute(&mut *conn)
                .await?;
            }
            E::FormFieldsOrdered { keys, .. } => {
                for (ordinal, key) in (1_i64..).zip(keys) {
                    sqlx::query(&format!(
                        "UPDATE {} SET ordinal = $2 WHERE key = $1",
                        g.table("form_fields")
                    ))
                    .bind(key.clone())
                    .bind(ordinal)
                    .execute(&mut *conn)
                    .await?;
                }
            }
            E::FormFieldRemoved { key, .. } => {
                sqlx::query(&format!(
                    "DELETE FROM {} WHERE key = $1",
                    g.table("form_fields")
                ))
                .bind(key.clone())
                .execute(&mut *conn)
                .await?;
            }
            E::PauseReasonDefined { reason, label, .. } => {
                sqlx::query(&format!(
                    "INSERT INTO {} (reason, label) VALUES ($1, $2)
                     ON CONFLICT (reason) DO UPDATE SET label = excluded.label",
                    g.table("pause_reasons")
                ))
                .bind(reason.to_string())
                .bind(label.as_str().to_string())
                .execute(&mut *conn)
                .await?;
            }
            E::PauseReasonRemoved { reason, .. } => {
                sqlx::query(&format!(
                    "DELETE FROM {} WHERE reason = $1",
                    g.table("pause_reasons")
                ))
                .bind(reason.to_string())
                .execute(&mut *conn)
                .await?;
            }
            E::WrapUpCodeDefined {
                queue_id,
                code,
                label,
                ..
            } => {
                sqlx::query(&format!(
                    "INSERT INTO {} (queue_id, code, label) VALUES ($1, $2, $3)
                     ON CONFLICT (queue_id, code) DO UPDATE SET label = excluded.label",
                    g.table("wrap_up_codes")
                ))
                .bind(queue_id.to_string())
                .bind(code.to_string())
                .bind(label.as_str().to_string())
                .execute(&mut *conn)
                .await?;
            }
            E::CannedResponseDefined {
                response_id,
                response,
                ..
            } => {
                sqlx::query(&format!(
                    "INSERT INTO {} (response_id, queue_id, title, shortcut, text_nb, text_en)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (response_id) DO UPDATE SET queue_id = excluded.queue_id,
                        title = excluded.title, shortcut = excluded.shortcut,
                        text_nb = excluded.text_nb, text_en = excluded.text_en",
                    g.table("canned_responses")
                ))
                .bind(response_id.to_string())
                .bind(response.queue_id.map(|q| q.to_string()))
                .bind(response.title.as_str().to_string())
                .bind(response.shortcut.to_string())
                .bind(response.text_nb.as_str().to_string())
                .bind(response.text_en.as_ref().map(|t| t.as_str().to_string()))
                .execute(&mut *conn)
                .await?;
            }
            E::CannedResponseRemoved { response_id, .. } => {
                sqlx::query(&format!(
                    "DELETE FROM {} WHERE response_id = $1",
                    g.table("canned_responses")
                ))
                .bind(response_id.to_string())
                .execute(&mut *conn)
                .await?;
            }
            E::WrapUpCodeRemoved { queue_id, code, .. } => {
                sqlx::query(&format!(
                    "DELETE FROM {} WHERE queue_id = $1 AND code = $2",
                    g.table("wrap_up_codes")
                ))
                .bind(queue_id.to_string())
                .bind(code.to_string())
                .execute(&mut *conn)
                .await?;
            }
        }
        Ok(())
    }
}
