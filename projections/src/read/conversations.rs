//! The conversations' rows: a chat, its transcript, an agent's list of chats, the history.

use super::{AgentChatState, AuthorKind, ChatStatus, EndReason, ReadResult};
use crate::bulk::Cell;
use crate::columns::{qualified, Columns};
use crate::timestamp;
use samtale_domain::chat::Author as LineAuthor;
use samtale_domain::ChatEvent;
use serde::Serialize;
use sqlx::{AnyPool, FromRow};

/// A chat in an agent's list, with the customer messages the agent has not read.
#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentChat {
    pub chat_id: String,
    pub customer_name: String,
    pub status: ChatStatus,
    pub queue_id: String,
    pub unread: i64,
    pub read_up_to: i64,
    pub since: String,
    pub last_message_at: Option<String>,
    /// For a chat offered to the agent: when the offer runs out.
    pub offer_expires_at: Option<String>,
    /// For an ended chat the agent is wrapping up: until when.
    pub wrap_up_until: Option<String>,
    /// 1: the chat's queue requires a wrap-up code, and it has none yet.
    pub code_owed: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentChatList {
    /// Offered by routing, waiting for the agent to accept (or decline) before it runs out.
    pub offered: Vec<AgentChat>,
    pub active: Vec<AgentChat>,
    pub passive: Vec<AgentChat>,
    /// A colleague invited them in: they join or decline.
    pub invited: Vec<AgentChat>,
}

pub async fn agent_chats(db: &AnyPool, agent_id: &str) -> ReadResult<AgentChatList> {
    let rows: Vec<(AgentChatState, AgentChat)> = sqlx::query(&format!(
        "SELECT a.state, c.chat_id, c.customer_name, c.status, c.queue_id, a.read_up_to, a.since,
                (SELECT count(*) FROM messages m WHERE m.chat_id = a.chat_id
                    AND m.author_kind = '{customer}' AND m.number > a.read_up_to) AS unread,
                (SELECT max(m.sent_at) FROM messages m WHERE m.chat_id = a.chat_id) AS last_message_at,
                CASE WHEN c.offered_to = a.agent_id THEN c.offer_expires_at END AS offer_expires_at,
                a.wrap_up_until,
                COALESCE((SELECT w.code_owed FROM chat_wrap_ups w WHERE w.chat_id = a.chat_id), 0)
                    AS code_owed
           FROM agent_chats a JOIN chats c ON c.chat_id = a.chat_id
          WHERE a.agent_id = $1
          ORDER BY a.since, c.chat_id",
        customer = AuthorKind::Customer
    ))
    .bind(agent_id.to_string())
    .fetch_all(db)
    .await?
    .iter()
    .map(|row| Ok((sqlx::Row::try_get(row, "state")?, AgentChat::from_row(row)?)))
    .collect::<ReadResult<_>>()?;
    let mut list = AgentChatList {
        offered: Vec::new(),
        active: Vec::new(),
        passive: Vec::new(),
        invited: Vec::new(),
    };
    for (state, chat) in rows {
        match state {
            AgentChatState::Offered => list.offered.push(chat),
            AgentChatState::Active => list.active.push(chat),
            AgentChatState::Passive => list.passive.push(chat),
            AgentChatState::Invited => list.invited.push(chat),
        }
    }
    Ok(list)
}

/// How many chats an agent has open now.
pub async fn active_chat_count(db: &AnyPool, agent_id: &str) -> ReadResult<i64> {
    sqlx::query_scalar("SELECT count(*) FROM agent_chats WHERE agent_id = $1 AND state = $2")
        .bind(agent_id.to_string())
        .bind(AgentChatState::Active.as_str())
        .fetch_one(db)
        .await
}

/// A chat's row in `chats`: its state and the customer's details.
#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
pub struct ChatRow {
    pub chat_id: String,
    pub queue_id: String,
    pub category_id: Option<String>,
    pub customer_name: String,
    /// The pre-chat form's answers, as JSON.
    pub answers: String,
    pub status: ChatStatus,
    pub agent_id: Option<String>,
    pub requested_at: String,
    /// When the chat joined the queues; a transfer keeps it, so it keeps its place.
    pub queued_at: String,
    pub first_assigned_at: Option<String>,
    pub assigned_at: Option<String>,
    pub ended_at: Option<String>,
    pub end_reason: Option<EndReason>,
    pub transfers: i64,
    /// Under legal hold (1): retention passes it by and it cannot be erased.
    pub legal_hold: i64,
    /// When its personal data was erased: the name, answers and message texts are empty.
    pub erased_at: Option<String>,
    /// Told that nobody is logged in to its current queue (1); a transfer clears it.
    pub told_no_agents: i64,
    /// While waiting: the agent routing offered it to, and until when.
    pub offered_to: Option<String>,
    pub offer_expires_at: Option<String>,
    /// The customer's rating (1-5; 0 while not rated), and comment (none once erased).
    pub rating: i64,
    pub rating_comment: Option<String>,
    /// The customer's id on the company's site, where it vouched for them (none once erased).
    pub customer_user_id: Option<String>,
    /// Its agent has raised a hand for a supervisor's help (1).
    pub hand_raised: i64,
}

impl Columns for ChatRow {
    const COLUMNS: &'static [&'static str] = &[
        "chat_id",
        "queue_id",
        "category_id",
        "customer_name",
        "answers",
        "status",
        "agent_id",
        "requested_at",
        "queued_at",
        "first_assigned_at",
        "assigned_at",
        "ended_at",
        "end_reason",
        "transfers",
        "legal_hold",
        "erased_at",
        "told_no_agents",
        "offered_to",
        "offer_expires_at",
        "rating",
        "rating_comment",
        "customer_user_id",
        "hand_raised",
    ];
}

impl ChatRow {
    /// The row's values in `COLUMNS` order, for the fold's writes.
    pub(crate) fn cells(&self) -> Vec<Cell> {
        vec![
            self.chat_id.clone().into(),
            self.queue_id.clone().into(),
            self.category_id.clone().into(),
            self.customer_name.clone().into(),
            self.answers.clone().into(),
            self.status.into(),
            self.agent_id.clone().into(),
            self.requested_at.clone().into(),
            self.queued_at.clone().into(),
            self.first_assigned_at.clone().into(),
            self.assigned_at.clone().into(),
            self.ended_at.clone().into(),
            self.end_reason.into(),
            self.transfers.into(),
            self.legal_hold.into(),
            self.erased_at.clone().into(),
            self.told_no_agents.into(),
            self.offered_to.clone().into(),
            self.offer_expires_at.clone().into(),
            self.rating.into(),
            self.rating_comment.clone().into(),
            self.customer_user_id.clone().into(),
            self.hand_raised.into(),
        ]
    }
}

pub async fn chat(db: &AnyPool, chat_id: &str) -> ReadResult<Option<ChatRow>> {
    sqlx::query_as(&format!(
        "SELECT {} FROM chats c WHERE c.chat_id = $1",
        qualified::<ChatRow>("c")
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
        "SELECT {},
                (SELECT count(*) FROM queue_members m
                  WHERE m.queue_id = c.queue_id AND m.user_id = $2) AS in_queue,
                (SELECT count(*) FROM chat_participants p
                  WHERE p.chat_id = c.chat_id AND p.agent_id = $2) AS took_part
           FROM chats c WHERE c.chat_id = $1",
        qualified::<ChatRow>("c")
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
    pub author_kind: AuthorKind,
    pub author_id: Option<String>,
    /// Empty for a notice, and once the chat is erased.
    pub text: String,
    /// A notice from the service to the customer (`no_agents_available`): clients word it in
    /// their reader's language.
    pub notice: Option<String>,
    pub client_message_id: Option<String>,
    pub sent_at: String,
    /// A file sent as this line (its `text` is then empty): its id, to download it by.
    pub attachment_id: Option<String>,
    /// The file's name; `null` once the chat is erased.
    pub file_name: Option<String>,
    /// The file's media type, decided from its content when it was sent.
    pub file_type: Option<String>,
    /// Bytes.
    pub file_size: Option<i64>,
    /// The SHA-256 of its bytes, 64 hex digits.
    pub file_sha256: Option<String>,
}

impl MessageRow {
    /// The transcript line a `MessageSent`, `AttachmentSent` or `CustomerNotified` event
    /// becomes; `None` for any other event.
    pub fn from_event(event: &ChatEvent) -> Option<MessageRow> {
        let line = |message_id: String, number: &u64, author: Option<&LineAuthor>, at| {
            let (author_kind, author_id) =
                author.map_or((AuthorKind::System, None), AuthorKind::of);
            MessageRow {
                message_id,
                number: i64::try_from(*number).unwrap_or(i64::MAX),
                author_kind,
                author_id,
                text: String::new(),
                notice: None,
                client_message_id: None,
                sent_at: timestamp(at),
                attachment_id: None,
                file_name: None,
                file_type: None,
                file_size: None,
                file_sha256: None,
            }
        };
        match event {
            ChatEvent::MessageSent {
                message_id,
                number,
                author,
                text,
                client_message_id,
                at,
            } => Some(MessageRow {
                text: text
                    .known()
                    .map(|text| text.as_str().to_string())
                    .unwrap_or_default(),
                client_message_id: client_message_id.clone(),
                ..line(message_id.to_string(), number, Some(author), *at)
            }),
            // A file's line is known by the file's id: it has no message id of its own.
            ChatEvent::AttachmentSent {
                attachment_id,
                number,
                author,
                name,
                kind,
                size,
                sha256,
                client_id,
                at,
            } => Some(MessageRow {
                client_message_id: client_id.clone(),
                attachment_id: Some(attachment_id.to_string()),
                file_name: name.known().map(|name| name.as_str().to_string()),
                file_type: Some(kind.media_type().to_string()),
                file_size: Some(i64::try_from(*size).unwrap_or(i64::MAX)),
                file_sha256: Some(sha256.clone()),
                ..line(attachment_id.to_string(), number, Some(author), *at)
            }),
            ChatEvent::CustomerNotified {
                message_id,
                number,
                notice,
                at,
                ..
            } => Some(MessageRow {
                notice: Some(notice.code().into()),
                ..line(message_id.to_string(), number, None, *at)
            }),
            _ => None,
        }
    }
}

impl Columns for MessageRow {
    /// The transcript's columns of `messages`; the table adds `chat_id` and `position`.
    const COLUMNS: &'static [&'static str] = &[
        "number",
        "message_id",
        "author_kind",
        "author_id",
        "text",
        "notice",
        "client_message_id",
        "sent_at",
        "attachment_id",
        "file_name",
        "file_type",
        "file_size",
        "file_sha256",
    ];
}

impl MessageRow {
    /// The row's values in `COLUMNS` order, for the fold's writes.
    pub(crate) fn into_cells(self) -> Vec<Cell> {
        vec![
            self.number.into(),
            self.message_id.into(),
            self.author_kind.into(),
            self.author_id.into(),
            self.text.into(),
            self.notice.into(),
            self.client_message_id.into(),
            self.sent_at.into(),
            self.attachment_id.into(),
            self.file_name.into(),
            self.file_type.into(),
            self.file_size.into(),
            self.file_sha256.into(),
        ]
    }
}

pub async fn transcript(db: &AnyPool, chat_id: &str) -> ReadResult<Vec<MessageRow>> {
    sqlx::query_as(&format!(
        "SELECT {} FROM messages WHERE chat_id = $1 ORDER BY number",
        MessageRow::COLUMNS.join(", ")
    ))
    .bind(chat_id.to_string())
    .fetch_all(db)
    .await
}

/// A chat that ended: where a walk through a queue's ended chats has got to.
#[derive(Debug, Clone, Default, PartialEq, Eq, FromRow)]
pub struct EndedChat {
    pub ended_at: String,
    pub chat_id: String,
}

/// Up to `limit` chats of a queue, not erased nor under legal hold, that ended before `before`
/// and after `after`, the longest ended first: what retention erases next. The order is the
/// `queue_retained` index's, so the query reads only the rows it returns.
///
/// With `left`, the messages left for the queue that nobody has answered, by when they were
/// left (their `ended_at` here): a message nobody answers is kept no longer than a chat.
pub async fn chats_ended_before(
    db: &AnyPool,
    queue_id: &str,
    before: &str,
    after: &EndedChat,
    limit: i64,
    left: bool,
) -> ReadResult<Vec<EndedChat>> {
    let sql = if left {
        // The `status_queue` index's order: a left message's `queued_at` is when it was left.
        format!(
            "SELECT queued_at AS ended_at, chat_id FROM chats
              WHERE status = '{}' AND queue_id = $1 AND queued_at < $2
                AND erased_at IS NULL AND legal_hold = 0
                AND (queued_at > $3 OR (queued_at = $3 AND chat_id > $4))
              ORDER BY status, queue_id, queued_at, chat_id LIMIT $5",
            ChatStatus::Left
        )
    } else {
        "SELECT ended_at, chat_id FROM chats
          WHERE queue_id = $1 AND erased_at IS NULL AND legal_hold = 0 AND ended_at < $2
            AND (ended_at > $3 OR (ended_at = $3 AND chat_id > $4))
          ORDER BY queue_id, erased_at, legal_hold, ended_at, chat_id LIMIT $5"
            .to_string()
    };
    sqlx::query_as(&sql)
        .bind(queue_id.to_string())
        .bind(before.to_string())
        .bind(after.ended_at.clone())
        .bind(after.chat_id.clone())
        .bind(limit)
        .fetch_all(db)
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
    /// Only chats of the customer the company's site knows by this id.
    pub customer_user_id: Option<String>,
    /// Only chats in this status now.
    pub status: Option<ChatStatus>,
    pub limit: i64,
}

#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryRow {
    pub chat_id: String,
    pub status: ChatStatus,
    pub queue_id: String,
    pub customer_name: String,
    pub agent_id: Option<String>,
    pub requested_at: String,
    pub ended_at: Option<String>,
    pub end_reason: Option<EndReason>,
    pub messages: i64,
    /// Under legal hold (1).
    pub legal_hold: i64,
    /// When its personal data was erased.
    pub erased_at: Option<String>,
}

impl Columns for HistoryRow {
    const COLUMNS: &'static [&'static str] = &[
        "chat_id",
        "status",
        "queue_id",
        "customer_name",
        "agent_id",
        "requested_at",
        "ended_at",
        "end_reason",
        "messages",
        "legal_hold",
        "erased_at",
    ];
}

pub async fn history(db: &AnyPool, filter: &HistoryFilter) -> ReadResult<Vec<HistoryRow>> {
    let customer = filter
        .customer
        .as_ref()
        .map(|c| format!("%{}%", c.to_lowercase().replace(['%', '_'], "")));
    sqlx::query_as(
        "SELECT c.chat_id, c.status, c.queue_id, c.customer_name, c.agent_id, c.requested_at,
                c.ended_at, c.end_reason,
                (SELECT count(*) FROM messages m WHERE m.chat_id = c.chat_id) AS messages,
                c.legal_hold, c.erased_at
           FROM chats c
          WHERE ($1 IS NULL OR c.requested_at >= $1)
            AND ($2 IS NULL OR c.requested_at < $2)
            AND ($3 IS NULL OR c.queue_id = $3)
            AND ($4 IS NULL OR c.chat_id IN (SELECT chat_id FROM chat_participants WHERE agent_id = $4))
            AND ($5 IS NULL OR lower(c.customer_name) LIKE $5 OR lower(c.answers) LIKE $5)
            AND ($6 IS NULL OR c.queue_id IN (SELECT queue_id FROM queue_members WHERE user_id = $6)
                 OR c.chat_id IN (SELECT chat_id FROM chat_participants WHERE agent_id = $6))
            AND ($8 IS NULL OR c.customer_user_id = $8)
            AND ($9 IS NULL OR c.status = $9)
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
    .bind(filter.customer_user_id.clone())
    .bind(filter.status.map(ChatStatus::as_str))
    .fetch_all(db)
    .await
}

/// What a chat's wrap-up recorded, for staff: its codes and the note.
#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatWrapUp {
    /// JSON array of the wrap-up codes it was given.
    pub codes: String,
    /// The note for colleagues; empty once the chat is erased.
    pub note: Option<String>,
    pub by_id: Option<String>,
    pub wrapped_up_at: Option<String>,
    /// 1: its queue requires a code, and it has none yet.
    pub code_owed: i64,
}

pub async fn chat_wrap_up(db: &AnyPool, chat_id: &str) -> ReadResult<Option<ChatWrapUp>> {
    sqlx::query_as(
        "SELECT codes, note, by_id, wrapped_up_at, code_owed FROM chat_wrap_ups WHERE chat_id = $1",
    )
    .bind(chat_id.to_string())
    .fetch_optional(db)
    .await
}

/// A copy by e-mail due: asked for, its chat over, not yet settled, not erased.
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct DueTranscript {
    pub chat_id: String,
    pub to_address: String,
}

/// The transcripts due, those of the chats that ended first first, at most `limit`.
pub async fn transcripts_due(db: &AnyPool, limit: i64) -> ReadResult<Vec<DueTranscript>> {
    sqlx::query_as(&format!(
        "SELECT t.chat_id, t.to_address
           FROM transcript_mails t JOIN chats c ON c.chat_id = t.chat_id
          WHERE t.sent_at IS NULL AND t.undeliverable_at IS NULL AND c.erased_at IS NULL
            AND c.status IN ('{ended}', '{abandoned}')
          ORDER BY c.ended_at, t.chat_id
          LIMIT $1",
        ended = ChatStatus::Ended,
        abandoned = ChatStatus::Abandoned,
    ))
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Whether a copy of the chat by e-mail was asked for, and when it was sent.
pub async fn transcript_mail(
    db: &AnyPool,
    chat_id: &str,
) -> ReadResult<Option<(String, Option<String>)>> {
    sqlx::query_as("SELECT to_address, sent_at FROM transcript_mails WHERE chat_id = $1")
        .bind(chat_id.to_string())
        .fetch_optional(db)
        .await
}

/// A message left for a queue, with its answer once it has one.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
pub struct LeftMessageRow {
    pub chat_id: String,
    pub queue_id: String,
    /// Empty once erased, as are `email`, `text` and `answer`.
    pub customer_name: String,
    /// Where the answer goes.
    pub email: String,
    pub text: String,
    pub left_at: String,
    pub answered_at: Option<String>,
    pub answered_by: Option<String>,
    pub answer: Option<String>,
    /// When the answer went out by e-mail, or when the address turned out to take no mail.
    pub mailed_at: Option<String>,
    pub undeliverable_at: Option<String>,
    pub erased_at: Option<String>,
}

/// The left messages `filter` picks (SQL after `WHERE`), in `order`.
fn left_message_sql(filter: &str, order: &str) -> String {
    format!(
        "SELECT c.chat_id, c.queue_id, c.customer_name, COALESCE(t.to_address, '') AS email,
                COALESCE(q.text, '') AS text, c.requested_at AS left_at,
                c.ended_at AS answered_at, c.agent_id AS answered_by, a.text AS answer,
                t.sent_at AS mailed_at, t.undeliverable_at, c.erased_at
           FROM chats c
           LEFT JOIN transcript_mails t ON t.chat_id = c.chat_id
           LEFT JOIN messages q ON q.chat_id = c.chat_id AND q.number = 1
           LEFT JOIN messages a ON a.chat_id = c.chat_id AND a.number = 2
          WHERE {filter}
          ORDER BY {order}, c.chat_id"
    )
}

/// Messages left for a queue: those waiting for an answer, the oldest first, or those
/// answered, the latest first; of the queues `member` is a member of (`None`: every queue).
pub async fn left_messages(
    db: &AnyPool,
    answered: bool,
    member: Option<&str>,
    limit: i64,
) -> ReadResult<Vec<LeftMessageRow>> {
    let (which, order) = if answered {
        (
            format!("c.end_reason = '{}'", EndReason::Answered),
            "c.ended_at DESC",
        )
    } else {
        (
            format!("c.status = '{}'", ChatStatus::Left),
            "c.requested_at",
        )
    };
    let filter = format!(
        "{which} AND ($1 IS NULL OR c.queue_id IN
             (SELECT queue_id FROM queue_members WHERE user_id = $1))"
    );
    sqlx::query_as(&format!("{} LIMIT $2", left_message_sql(&filter, order)))
        .bind(member.map(str::to_string))
        .bind(limit)
        .fetch_all(db)
        .await
}

/// One left message, answered or not; `None` for any other chat.
pub async fn left_message(db: &AnyPool, chat_id: &str) -> ReadResult<Option<LeftMessageRow>> {
    let filter = format!(
        "c.chat_id = $1 AND (c.status = '{}' OR c.end_reason = '{}')",
        ChatStatus::Left,
        EndReason::Answered
    );
    sqlx::query_as(&left_message_sql(&filter, "c.requested_at"))
        .bind(chat_id.to_string())
        .fetch_optional(db)
        .await
}

/// An internal note in a chat, for staff.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
pub struct NoteRow {
    pub note_id: String,
    pub author_id: Option<String>,
    /// 1: a supervisor's whisper to the chat's agent.
    pub whisper: i64,
    /// Empty once the chat is erased.
    pub text: String,
    /// The colleagues it names, as a JSON array of user ids.
    pub mentions: String,
    pub written_at: String,
}

/// A chat's internal notes, in the order they were written.
pub async fn notes(db: &AnyPool, chat_id: &str) -> ReadResult<Vec<NoteRow>> {
    sqlx::query_as(
        "SELECT note_id, author_id, whisper, text, mentions, written_at FROM chat_notes
          WHERE chat_id = $1 ORDER BY position",
    )
    .bind(chat_id.to_string())
    .fetch_all(db)
    .await
}

/// When the chat's customer last had it open (their live stream's heartbeat).
pub async fn customer_seen(db: &AnyPool, chat_id: &str) -> ReadResult<Option<String>> {
    sqlx::query_scalar("SELECT seen_at FROM customer_seen WHERE chat_id = $1")
        .bind(chat_id.to_string())
        .fetch_optional(db)
        .await
}

/// How far `agent_id` has read the chat: the number of the last message they have seen.
pub async fn read_up_to(db: &AnyPool, chat_id: &str, agent_id: &str) -> ReadResult<Option<i64>> {
    sqlx::query_scalar("SELECT read_up_to FROM agent_chats WHERE chat_id = $1 AND agent_id = $2")
        .bind(chat_id.to_string())
        .bind(agent_id.to_string())
        .fetch_optional(db)
        .await
}

/// A colleague who wrote in a chat, by name: what a client labels their lines with, whoever
/// has the chat now.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
pub struct Author {
    pub user_id: String,
    pub display_name: String,
    /// 0 when they wrote only notes: the customer is not told of them.
    #[serde(skip)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub in_transcript: i64,
}

/// Everyone on the staff who wrote a message or a note in the chat.
pub async fn authors(db: &AnyPool, chat_id: &str) -> ReadResult<Vec<Author>> {
    sqlx::query_as(
        "SELECT u.user_id, u.display_name,
                CASE WHEN EXISTS (SELECT 1 FROM messages m
                                   WHERE m.chat_id = $1 AND m.author_id = u.user_id)
                     THEN 1 ELSE 0 END AS in_transcript
           FROM users u
          WHERE u.user_id IN (SELECT author_id FROM messages WHERE chat_id = $1
                              UNION SELECT author_id FROM chat_notes WHERE chat_id = $1)
          ORDER BY u.user_id",
    )
    .bind(chat_id.to_string())
    .fetch_all(db)
    .await
}

/// A colleague in a chat besides its agent, or invited into it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
pub struct Participant {
    pub user_id: String,
    pub display_name: String,
    /// `active`: in the conversation; `invited`: not answered yet.
    pub state: AgentChatState,
}

/// The colleagues in the chat besides its agent, and those invited, by name.
pub async fn participants(db: &AnyPool, chat_id: &str) -> ReadResult<Vec<Participant>> {
    sqlx::query_as(&format!(
        "SELECT a.agent_id AS user_id, u.display_name, a.state
           FROM agent_chats a JOIN chats c ON c.chat_id = a.chat_id
           JOIN users u ON u.user_id = a.agent_id
          WHERE a.chat_id = $1 AND a.state IN ('{active}', '{invited}')
            AND (c.agent_id IS NULL OR a.agent_id <> c.agent_id)
          ORDER BY u.display_name, a.agent_id",
        active = AgentChatState::Active,
        invited = AgentChatState::Invited,
    ))
    .bind(chat_id.to_string())
    .fetch_all(db)
    .await
}
