//! Queries over the read models, for the API and for tools. They read the stable views, so
//! they never notice a rebuild's swap.

use crate::timestamp;
use samtale_domain::chat::Author;
use samtale_domain::form::{FieldKind, FormField};
use samtale_domain::ChatEvent;
use serde::Serialize;
use sqlx::{AnyPool, FromRow};

pub type ReadResult<T> = Result<T, sqlx::Error>;

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
    pub no_agent_notice_after_seconds: Option<i64>,
    pub overflow_queue_id: Option<String>,
    pub service_level_seconds: Option<i64>,
}

const QUEUE_COLUMNS: &str =
    "queue_id, name, no_agent_notice_after_seconds, overflow_queue_id, service_level_seconds";

pub async fn queues(db: &AnyPool) -> ReadResult<Vec<QueueRow>> {
    sqlx::query_as(&format!("SELECT {QUEUE_COLUMNS} FROM queues ORDER BY name"))
        .fetch_all(db)
        .await
}

pub async fn queue(db: &AnyPool, queue_id: &str) -> ReadResult<Option<QueueRow>> {
    sqlx::query_as(&format!(
        "SELECT {QUEUE_COLUMNS} FROM queues WHERE queue_id = $1"
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
    pub queue_id: String,
}

pub async fn categories(db: &AnyPool) -> ReadResult<Vec<CategoryRow>> {
    sqlx::query_as("SELECT category_id, name, queue_id FROM categories ORDER BY name")
        .fetch_all(db)
        .await
}

pub async fn category(db: &AnyPool, category_id: &str) -> ReadResult<Option<CategoryRow>> {
    sqlx::query_as("SELECT category_id, name, queue_id FROM categories WHERE category_id = $1")
        .bind(category_id.to_string())
        .fetch_optional(db)
        .await
}

#[derive(FromRow)]
struct FormFieldRow {
    key: String,
    label: String,
    kind: String,
    required: i64,
    options: String,
    max_length: i64,
}

/// The pre-chat form, in the order its fields were first defined.
pub async fn form_fields(db: &AnyPool) -> ReadResult<Vec<FormField>> {
    let rows: Vec<FormFieldRow> = sqlx::query_as(
        "SELECT key, label, kind, required, options, max_length FROM form_fields ORDER BY ordinal",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| FormField {
            key: r.key,
            label: r.label,
            kind: serde_json::from_value(serde_json::Value::String(r.kind))
                .unwrap_or(FieldKind::Text),
            required: r.required != 0,
            options: serde_json::from_str(&r.options).unwrap_or_default(),
            max_length: usize::try_from(r.max_length).unwrap_or_default(),
        })
        .collect())
}

/// One queue on the board. `oldest_waiting_since` gives the longest current wait.
#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueStatus {
    pub queue_id: String,
    pub name: String,
    pub waiting: i64,
    pub ongoing: i64,
    pub logged_in_agents: i64,
    pub oldest_waiting_since: Option<String>,
}

/// The queue board: all queues, or only those of `member` when given.
pub async fn queue_board(db: &AnyPool, member: Option<&str>) -> ReadResult<Vec<QueueStatus>> {
    sqlx::query_as(
        "SELECT q.queue_id, q.name,
                (SELECT count(*) FROM chats c WHERE c.queue_id = q.queue_id AND c.status = 'waiting') AS waiting,
                (SELECT count(*) FROM chats c WHERE c.queue_id = q.queue_id AND c.status = 'assigned') AS ongoing,
                (SELECT count(*) FROM agent_presence p WHERE p.queue_id = q.queue_id) AS logged_in_agents,
                (SELECT min(c.queued_at) FROM chats c WHERE c.queue_id = q.queue_id AND c.status = 'waiting') AS oldest_waiting_since
           FROM queues q
          WHERE $1 IS NULL OR q.queue_id IN (SELECT queue_id FROM queue_members WHERE user_id = $1)
          ORDER BY q.name",
    )
    .bind(member.map(str::to_string))
    .fetch_all(db)
    .await
}

#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WaitingChat {
    pub chat_id: String,
    pub customer_name: String,
    pub requested_at: String,
    pub queued_at: String,
    pub queue_id: String,
    pub queue_name: String,
    pub category_id: Option<String>,
    pub category_name: Option<String>,
}

/// The incoming list, oldest first: all waiting chats, or those in `member`'s queues.
pub async fn waiting_chats(db: &AnyPool, member: Option<&str>) -> ReadResult<Vec<WaitingChat>> {
    sqlx::query_as(
        "SELECT c.chat_id, c.customer_name, c.requested_at, c.queued_at, c.queue_id,
                q.name AS queue_name, c.category_id, k.name AS category_name
           FROM chats c
           JOIN queues q ON q.queue_id = c.queue_id
           LEFT JOIN categories k ON k.category_id = c.category_id
          WHERE c.status = 'waiting'
            AND ($1 IS NULL OR c.queue_id IN (SELECT queue_id FROM queue_members WHERE user_id = $1))
          ORDER BY c.queued_at, c.chat_id",
    )
    .bind(member.map(str::to_string))
    .fetch_all(db)
    .await
}

/// A chat in an agent's list, with the customer messages the agent has not read.
#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentChat {
    pub chat_id: String,
    pub customer_name: String,
    pub status: String,
    pub queue_id: String,
    pub unread: i64,
    pub read_up_to: i64,
    pub since: String,
    pub last_message_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentChatList {
    pub active: Vec<AgentChat>,
    pub passive: Vec<AgentChat>,
}

pub async fn agent_chats(db: &AnyPool, agent_id: &str) -> ReadResult<AgentChatList> {
    let rows: Vec<(String, AgentChat)> = sqlx::query(
        "SELECT a.state, c.chat_id, c.customer_name, c.status, c.queue_id, a.read_up_to, a.since,
                (SELECT count(*) FROM messages m WHERE m.chat_id = a.chat_id
                    AND m.author_kind = 'customer' AND m.number > a.read_up_to) AS unread,
                (SELECT max(m.sent_at) FROM messages m WHERE m.chat_id = a.chat_id) AS last_message_at
           FROM agent_chats a JOIN chats c ON c.chat_id = a.chat_id
          WHERE a.agent_id = $1
          ORDER BY a.since, c.chat_id",
    )
    .bind(agent_id.to_string())
    .fetch_all(db)
    .await?
    .iter()
    .map(|row| Ok((sqlx::Row::try_get(row, "state")?, AgentChat::from_row(row)?)))
    .collect::<ReadResult<_>>()?;
    let (active, passive): (Vec<_>, Vec<_>) =
        rows.into_iter().partition(|(state, _)| state == "active");
    Ok(AgentChatList {
        active: active.into_iter().map(|(_, c)| c).collect(),
        passive: passive.into_iter().map(|(_, c)| c).collect(),
    })
}

/// How many chats an agent has open now.
pub async fn active_chat_count(db: &AnyPool, agent_id: &str) -> ReadResult<i64> {
    sqlx::query_scalar("SELECT count(*) FROM agent_chats WHERE agent_id = $1 AND state = 'active'")
        .bind(agent_id.to_string())
        .fetch_one(db)
        .await
}

#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
pub struct ChatRow {
    pub chat_id: String,
    pub status: String,
    pub queue_id: String,
    pub category_id: Option<String>,
    pub customer_name: String,
    pub answers: String,
    pub agent_id: Option<String>,
    pub requested_at: String,
    pub queued_at: String,
    pub assigned_at: Option<String>,
    pub ended_at: Option<String>,
    pub end_reason: Option<String>,
    pub transfers: i64,
}

const CHAT_COLUMNS: &str = "c.chat_id, c.status, c.queue_id, c.category_id, c.customer_name,
    c.answers, c.agent_id, c.requested_at, c.queued_at, c.assigned_at, c.ended_at, c.end_reason,
    c.transfers";

pub async fn chat(db: &AnyPool, chat_id: &str) -> ReadResult<Option<ChatRow>> {
    sqlx::query_as(&format!(
        "SELECT {CHAT_COLUMNS} FROM chats c WHERE c.chat_id = $1"
    ))
    .bind(chat_id.to_string())
    .fetch_optional(db)
    .await
}

/// A chat with what a staff member has to do with it, read together: sending a message asks
/// both, and that is the busiest request there is.
#[derive(Debug, Clone, FromRow)]
pub struct ChatForStaff {
    #[sqlx(flatten)]
    pub chat: ChatRow,
    /// Is the staff member a member of the chat's queue?
    pub in_queue: i64,
    /// Was the staff member ever assigned the chat?
    pub took_part: i64,
}

pub async fn chat_for_staff(
    db: &AnyPool,
    chat_id: &str,
    user_id: &str,
) -> ReadResult<Option<ChatForStaff>> {
    sqlx::query_as(&format!(
        "SELECT {CHAT_COLUMNS},
                (SELECT count(*) FROM queue_members m
                  WHERE m.queue_id = c.queue_id AND m.user_id = $2) AS in_queue,
                (SELECT count(*) FROM chat_participants p
                  WHERE p.chat_id = c.chat_id AND p.agent_id = $2) AS took_part
           FROM chats c WHERE c.chat_id = $1"
    ))
    .bind(chat_id.to_string())
    .bind(user_id.to_string())
    .fetch_optional(db)
    .await
}

#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageRow {
    pub message_id: String,
    pub number: i64,
    pub author_kind: String,
    pub author_id: Option<String>,
    /// Empty for a notice.
    pub text: String,
    /// A notice from the service to the customer (`no_agents_available`): clients word it in
    /// their reader's language.
    pub notice: Option<String>,
    pub client_message_id: Option<String>,
    pub sent_at: String,
}

impl MessageRow {
    /// The transcript line a `MessageSent` or `CustomerNotified` event becomes; `None` for any
    /// other event.
    pub fn from_event(event: &ChatEvent) -> Option<MessageRow> {
        let (message_id, number, author, text, client_message_id, at) = match event {
            ChatEvent::MessageSent {
                message_id,
                number,
                author,
                text,
                client_message_id,
                at,
            } => (
                message_id,
                number,
                author,
                text.as_str(),
                client_message_id,
                at,
            ),
            ChatEvent::CustomerNotified {
                message_id,
                number,
                notice,
                at,
                ..
            } => {
                return Some(MessageRow {
                    message_id: message_id.to_string(),
                    number: i64::try_from(*number).unwrap_or(i64::MAX),
                    author_kind: "system".into(),
                    author_id: None,
                    text: String::new(),
                    notice: Some(notice.code().into()),
                    client_message_id: None,
                    sent_at: timestamp(*at),
                })
            }
            _ => return None,
        };
        let (author_kind, author_id) = match author {
            Author::Customer => ("customer", None),
            Author::Agent { user_id } => ("agent", Some(user_id.to_string())),
            Author::System => ("system", None),
        };
        Some(MessageRow {
            message_id: message_id.to_string(),
            number: i64::try_from(*number).unwrap_or(i64::MAX),
            author_kind: author_kind.to_string(),
            author_id,
            text: text.to_string(),
            notice: None,
            client_message_id: client_message_id.clone(),
            sent_at: timestamp(*at),
        })
    }
}

const MESSAGE_COLUMNS: &str =
    "message_id, number, author_kind, author_id, text, notice, client_message_id, sent_at";

pub async fn transcript(db: &AnyPool, chat_id: &str) -> ReadResult<Vec<MessageRow>> {
    sqlx::query_as(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE chat_id = $1 ORDER BY number"
    ))
    .bind(chat_id.to_string())
    .fetch_all(db)
    .await
}

/// A waiting chat's place in its queue: 1 is next. Chats leave a queue in arrival order.
pub async fn queue_position(db: &AnyPool, chat_id: &str) -> ReadResult<Option<i64>> {
    sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM chats o
                  WHERE o.queue_id = c.queue_id AND o.status = 'waiting'
                    AND (o.queued_at < c.queued_at OR (o.queued_at = c.queued_at AND o.chat_id <= c.chat_id)))
           FROM chats c WHERE c.chat_id = $1 AND c.status = 'waiting'",
    )
    .bind(chat_id.to_string())
    .fetch_optional(db)
    .await
}

/// Filters of the chat history; all optional.
#[derive(Debug, Clone, Default)]
pub struct HistoryFilter {
    pub from: Option<String>,
    pub to: Option<String>,
    pub queue_id: Option<String>,
    pub agent_id: Option<String>,
    /// Matches the customer's name or any of their form answers (e-mail, phone, …).
    pub customer: Option<String>,
    /// Only chats in the queues this user is a member of.
    pub member: Option<String>,
    pub limit: i64,
}

#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryRow {
    pub chat_id: String,
    pub status: String,
    pub queue_id: String,
    pub customer_name: String,
    pub agent_id: Option<String>,
    pub requested_at: String,
    pub ended_at: Option<String>,
    pub end_reason: Option<String>,
    pub messages: i64,
}

pub async fn history(db: &AnyPool, filter: &HistoryFilter) -> ReadResult<Vec<HistoryRow>> {
    let customer = filter
        .customer
        .as_ref()
        .map(|c| format!("%{}%", c.to_lowercase().replace(['%', '_'], "")));
    sqlx::query_as(
        "SELECT c.chat_id, c.status, c.queue_id, c.customer_name, c.agent_id, c.requested_at,
                c.ended_at, c.end_reason,
                (SELECT count(*) FROM messages m WHERE m.chat_id = c.chat_id) AS messages
           FROM chats c
          WHERE ($1 IS NULL OR c.requested_at >= $1)
            AND ($2 IS NULL OR c.requested_at < $2)
            AND ($3 IS NULL OR c.queue_id = $3)
            AND ($4 IS NULL OR c.chat_id IN (SELECT chat_id FROM chat_participants WHERE agent_id = $4))
            AND ($5 IS NULL OR lower(c.customer_name) LIKE $5 OR lower(c.answers) LIKE $5)
            AND ($6 IS NULL OR c.queue_id IN (SELECT queue_id FROM queue_members WHERE user_id = $6)
                 OR c.chat_id IN (SELECT chat_id FROM chat_participants WHERE agent_id = $6))
          ORDER BY c.requested_at DESC, c.chat_id
          LIMIT $7",
    )
    .bind(filter.from.clone())
    .bind(filter.to.clone())
    .bind(filter.queue_id.clone())
    .bind(filter.agent_id.clone())
    .bind(customer)
    .bind(filter.member.clone())
    .bind(filter.limit)
    .fetch_all(db)
    .await
}

/// An agent the dispatcher may give a chat in a queue: logged in there, active, with room.
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct RoutableAgent {
    pub user_id: String,
    pub active_chats: i64,
    pub max_concurrent_chats: i64,
    /// When the agent last got a chat this session, or logged in: who has waited longest.
    pub idle_since: String,
}

/// Agents logged in to `queue_id` with spare capacity, fewest active chats first, then the
/// one idle longest.
pub async fn routable_agents(db: &AnyPool, queue_id: &str) -> ReadResult<Vec<RoutableAgent>> {
    sqlx::query_as(
        "SELECT * FROM (
            SELECT u.user_id, u.max_concurrent_chats,
                   (SELECT count(*) FROM agent_chats a WHERE a.agent_id = u.user_id AND a.state = 'active') AS active_chats,
                   COALESCE((SELECT max(a.since) FROM agent_chats a WHERE a.agent_id = u.user_id), p.since) AS idle_since
              FROM agent_presence p JOIN users u ON u.user_id = p.user_id
             WHERE p.queue_id = $1 AND u.active = 1
         ) candidates
         WHERE active_chats < max_concurrent_chats
         ORDER BY active_chats, idle_since, user_id",
    )
    .bind(queue_id.to_string())
    .fetch_all(db)
    .await
}

/// The waiting chats routing could place now, in arrival order: those of queues where a
/// logged-in, active agent has room. Chats of queues where nobody has room are left out, so a
/// long-stuck queue does not make every round longer.
pub async fn placeable_chats(db: &AnyPool) -> ReadResult<Vec<(String, String)>> {
    sqlx::query_as(
        "SELECT c.queue_id, c.chat_id FROM chats c
          WHERE c.status = 'waiting'
            AND c.queue_id IN (
                SELECT p.queue_id FROM agent_presence p JOIN users u ON u.user_id = p.user_id
                 WHERE u.active = 1
                   AND (SELECT count(*) FROM agent_chats a
                         WHERE a.agent_id = u.user_id AND a.state = 'active')
                       < u.max_concurrent_chats)
          ORDER BY c.queued_at, c.chat_id",
    )
    .fetch_all(db)
    .await
}

/// Seconds a new arrival at `position` can expect to wait: the queue's recent pace (time
/// between its last 20 assignments) times the position. `None` until the queue has a pace.
pub async fn estimated_wait_seconds(
    db: &AnyPool,
    queue_id: &str,
    position: i64,
) -> ReadResult<Option<i64>> {
    let recent: Vec<String> = sqlx::query_scalar(
        "SELECT assigned_at FROM chats WHERE queue_id = $1 AND assigned_at IS NOT NULL
          ORDER BY assigned_at DESC LIMIT 20",
    )
    .bind(queue_id.to_string())
    .fetch_all(db)
    .await?;
    let parse = |t: &String| chrono::DateTime::parse_from_rfc3339(t).ok();
    let (Some(newest), Some(oldest)) = (
        recent.first().and_then(parse),
        recent.last().and_then(parse),
    ) else {
        return Ok(None);
    };
    if recent.len() < 2 {
        return Ok(None);
    }
    let pace = (newest - oldest).num_seconds() as f64 / (recent.len() - 1) as f64;
    Ok(Some((pace * position as f64).round() as i64))
}

/// A chat waiting in a queue that has a no-agent notice configured and nobody logged in.
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct UnattendedChat {
    pub chat_id: String,
    pub queue_id: String,
    pub queued_at: String,
    pub no_agent_notice_after_seconds: i64,
    pub overflow_queue_id: Option<String>,
}

pub async fn unattended_chats(db: &AnyPool) -> ReadResult<Vec<UnattendedChat>> {
    sqlx::query_as(
        "SELECT c.chat_id, c.queue_id, c.queued_at, q.no_agent_notice_after_seconds, q.overflow_queue_id
           FROM chats c JOIN queues q ON q.queue_id = c.queue_id
          WHERE c.status = 'waiting' AND q.no_agent_notice_after_seconds IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM agent_presence p WHERE p.queue_id = c.queue_id)
          ORDER BY c.queued_at",
    )
    .fetch_all(db)
    .await
}

/// A member of a queue as the queue overview shows them.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
pub struct RosterEntry {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    /// 1 if logged in to this queue.
    pub logged_in: i64,
    pub active_chats: i64,
}

pub async fn queue_roster(db: &AnyPool, queue_id: &str) -> ReadResult<Vec<RosterEntry>> {
    sqlx::query_as(
        "SELECT u.user_id, u.username, u.display_name, u.role,
                (SELECT count(*) FROM agent_presence p WHERE p.user_id = u.user_id AND p.queue_id = m.queue_id) AS logged_in,
                (SELECT count(*) FROM agent_chats a WHERE a.agent_id = u.user_id AND a.state = 'active') AS active_chats
           FROM queue_members m JOIN users u ON u.user_id = m.user_id
          WHERE m.queue_id = $1 AND u.active = 1
          ORDER BY u.display_name, u.user_id",
    )
    .bind(queue_id.to_string())
    .fetch_all(db)
    .await
}

/// The queues a user is logged in to.
pub async fn logged_in_queues(db: &AnyPool, user_id: &str) -> ReadResult<Vec<String>> {
    sqlx::query_scalar("SELECT queue_id FROM agent_presence WHERE user_id = $1 ORDER BY queue_id")
        .bind(user_id.to_string())
        .fetch_all(db)
        .await
}
