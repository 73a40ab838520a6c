//! The directory's rows: users, queues and their members, categories, the pre-chat form.

use super::ReadResult;
use samtale_domain::form::{FieldKind, FormField};
use serde::Serialize;
use sqlx::{AnyPool, FromRow};

#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserRow {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub max_concurrent_chats: i64,
    pub active: i64,
}

const USER_COLUMNS: &str = "user_id, username, display_name, role, max_concurrent_chats, active";

pub async fn user_by_username(db: &AnyPool, username: &str) -> ReadResult<Option<UserRow>> {
    sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE username = $1"
    ))
    .bind(username.to_string())
    .fetch_optional(db)
    .await
}

pub async fn user(db: &AnyPool, user_id: &str) -> ReadResult<Option<UserRow>> {
    sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE user_id = $1"
    ))
    .bind(user_id.to_string())
    .fetch_optional(db)
    .await
}

pub async fn users(db: &AnyPool) -> ReadResult<Vec<UserRow>> {
    sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users ORDER BY username"
    ))
    .fetch_all(db)
    .await
}

#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueRow {
    pub queue_id: String,
    pub name: String,
    /// What English consoles and widgets call it; `null`: `name`.
    pub name_en: Option<String>,
    pub no_agent_notice_after_seconds: Option<i64>,
    pub overflow_queue_id: Option<String>,
    pub service_level_seconds: Option<i64>,
    /// The share of chats (%) the queue aims to answer within `service_level_seconds`;
    /// `null`: 80.
    pub service_level_target_percent: Option<i64>,
    /// Days from a chat's end until retention erases its personal data; `null`: never.
    pub transcript_retention_days: Option<i64>,
    /// Seconds routing offers a chat to one agent before offering it to the next; `null`:
    /// routing assigns chats straight away.
    pub offer_timeout_seconds: Option<i64>,
    /// Seconds of wrap-up an agent has after each chat, given no new one; `null`: none.
    pub wrap_up_seconds: Option<i64>,
    /// 1: a chat cannot end without one of the queue's wrap-up codes (when it has any).
    pub wrap_up_code_required: i64,
    /// The opening hours as JSON (`hours()` reads them); `null`: always open.
    #[serde(skip)]
    pub opening_hours: Option<String>,
    /// 1: its agents see what a customer types before sending it.
    pub sneak_peek: i64,
}

impl QueueRow {
    pub fn hours(&self) -> Option<samtale_domain::hours::OpeningHours> {
        serde_json::from_str(self.opening_hours.as_deref()?).ok()
    }
}

const QUEUE_COLUMNS: &str = "queue_id, name, name_en, no_agent_notice_after_seconds, overflow_queue_id,
     service_level_seconds, service_level_target_percent, transcript_retention_days, offer_timeout_seconds, wrap_up_seconds,
     wrap_up_code_required, opening_hours, sneak_peek";

/// The queues there are, by name (not those removed).
pub async fn queues(db: &AnyPool) -> ReadResult<Vec<QueueRow>> {
    sqlx::query_as(&format!(
        "SELECT {QUEUE_COLUMNS} FROM queues WHERE removed = 0 ORDER BY name"
    ))
    .fetch_all(db)
    .await
}

/// Every queue there has been, removed ones too: the chats that ended there still keep to
/// its retention.
pub async fn queues_ever(db: &AnyPool) -> ReadResult<Vec<QueueRow>> {
    sqlx::query_as(&format!("SELECT {QUEUE_COLUMNS} FROM queues ORDER BY name"))
        .fetch_all(db)
        .await
}

/// A queue there is (not one removed).
pub async fn queue(db: &AnyPool, queue_id: &str) -> ReadResult<Option<QueueRow>> {
    sqlx::query_as(&format!(
        "SELECT {QUEUE_COLUMNS} FROM queues WHERE queue_id = $1 AND removed = 0"
    ))
    .bind(queue_id.to_string())
    .fetch_optional(db)
    .await
}

/// The queues a user is a member of.
pub async fn member_queues(db: &AnyPool, user_id: &str) -> ReadResult<Vec<String>> {
    sqlx::query_scalar("SELECT queue_id FROM queue_members WHERE user_id = $1 ORDER BY queue_id")
        .bind(user_id.to_string())
        .fetch_all(db)
        .await
}

#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryRow {
    pub category_id: String,
    pub name: String,
    /// What English widgets call it; `null`: `name`.
    pub name_en: Option<String>,
    pub queue_id: String,
}

/// The categories customers choose from, by name (not those removed).
pub async fn categories(db: &AnyPool) -> ReadResult<Vec<CategoryRow>> {
    sqlx::query_as(
        "SELECT category_id, name, name_en, queue_id FROM categories WHERE removed = 0
          ORDER BY name",
    )
    .fetch_all(db)
    .await
}

/// A category customers can choose (not one removed).
pub async fn category(db: &AnyPool, category_id: &str) -> ReadResult<Option<CategoryRow>> {
    sqlx::query_as(
        "SELECT category_id, name, name_en, queue_id FROM categories
          WHERE category_id = $1 AND removed = 0",
    )
    .bind(category_id.to_string())
    .fetch_optional(db)
    .await
}

#[derive(FromRow)]
struct FormFieldRow {
    key: String,
    label: String,
    label_en: Option<String>,
    kind: String,
    required: i64,
    options: String,
    options_en: String,
    max_length: i64,
}

/// The pre-chat form, in its order: as the administrator last ordered it, new fields last.
pub async fn form_fields(db: &AnyPool) -> ReadResult<Vec<FormField>> {
    let rows: Vec<FormFieldRow> = sqlx::query_as(
        "SELECT key, label, label_en, kind, required, options, options_en, max_length FROM form_fields
          ORDER BY ordinal",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| FormField {
            key: r.key,
            label: r.label,
            label_en: r.label_en,
            kind: serde_json::from_value(serde_json::Value::String(r.kind))
                .unwrap_or(FieldKind::Text),
            required: r.required != 0,
            options: serde_json::from_str(&r.options).unwrap_or_default(),
            options_en: serde_json::from_str(&r.options_en).unwrap_or_default(),
            max_length: usize::try_from(r.max_length).unwrap_or_default(),
        })
        .collect())
}

/// Something staff choose from a list an administrator keeps: a pause reason, a wrap-up code.
#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Choice {
    pub code: String,
    pub label: String,
}

/// The pause reasons administrators have defined, by label.
pub async fn pause_reasons(db: &AnyPool) -> ReadResult<Vec<Choice>> {
    sqlx::query_as("SELECT reason AS code, label FROM pause_reasons ORDER BY label, reason")
        .fetch_all(db)
        .await
}

/// A queue's wrap-up codes, by label.
pub async fn wrap_up_codes(db: &AnyPool, queue_id: &str) -> ReadResult<Vec<Choice>> {
    sqlx::query_as("SELECT code, label FROM wrap_up_codes WHERE queue_id = $1 ORDER BY label, code")
        .bind(queue_id.to_string())
        .fetch_all(db)
        .await
}

/// A canned response as the directory has it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
pub struct CannedResponseRow {
    pub response_id: String,
    /// `null`: for every queue.
    pub queue_id: Option<String>,
    pub title: String,
    pub shortcut: String,
    pub text_nb: String,
    pub text_en: Option<String>,
}

/// The canned responses for every queue and for the queues `member` works (`None`: all of
/// them), by shortcut.
pub async fn canned_responses(
    db: &AnyPool,
    member: Option<&str>,
) -> ReadResult<Vec<CannedResponseRow>> {
    sqlx::query_as(
        "SELECT response_id, queue_id, title, shortcut, text_nb, text_en FROM canned_responses
          WHERE $1 IS NULL OR queue_id IS NULL
             OR queue_id IN (SELECT queue_id FROM queue_members WHERE user_id = $1)
          ORDER BY shortcut, queue_id, response_id",
    )
    .bind(member.map(str::to_string))
    .fetch_all(db)
    .await
}
