//! A chat's row in `report_chats`: what the fold keeps of it, and how a batch writes it back.

use super::ChatReport;
use crate::bulk::{self, Cell};
use crate::columns::Columns;
use crate::read::EndReason;
use crate::timestamp;
use chrono::{DateTime, Utc};
use samtale_domain::chat::Author;
use sqlx::{AnyConnection, FromRow};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A chat's row in `report_chats` as the fold keeps it: the figures of its `ChatReport`, and
/// who has it since when, to credit their time when it ends or moves on.
#[derive(Debug, Clone, Default, FromRow)]
pub(super) struct ReportChatRow {
    pub(super) queue_id: String,
    pub(super) category_id: Option<String>,
    pub(super) requested_at: String,
    pub(super) first_assigned_at: Option<String>,
    pub(super) ended_at: Option<String>,
    pub(super) wait_seconds: Option<f64>,
    pub(super) handle_seconds: Option<f64>,
    pub(super) transfers: i64,
    #[sqlx(flatten)]
    pub(super) messages: Messages,
    pub(super) outcome: Option<EndReason>,
    pub(super) wrap_up_seconds: Option<f64>,
    pub(super) wrap_up_codes: Option<String>,
    pub(super) rating: Option<f64>,
    pub(super) agent_id: Option<String>,
    pub(super) assigned_at: Option<String>,
    /// While its agent wraps it up: until when, to count the time as it is cut short or
    /// extended.
    pub(super) wrap_up_until: Option<String>,
}

/// The table's columns: the report's, then the three only the fold reads.
pub(super) fn chat_columns() -> Vec<&'static str> {
    ChatReport::COLUMNS
        .iter()
        .copied()
        .chain(["agent_id", "assigned_at", "wrap_up_until"])
        .collect()
}

impl ReportChatRow {
    /// The row's values in `chat_columns` order.
    fn cells(&self, chat_id: &str) -> Vec<Cell> {
        vec![
            chat_id.to_string().into(),
            self.queue_id.clone().into(),
            self.category_id.clone().into(),
            self.requested_at.clone().into(),
            self.first_assigned_at.clone().into(),
            self.messages.first_agent_reply_at.clone().into(),
            self.ended_at.clone().into(),
            self.wait_seconds.into(),
            self.handle_seconds.into(),
            self.transfers.into(),
            self.messages.customer.into(),
            self.messages.agent.into(),
            self.messages.files.into(),
            self.messages.file_bytes.into(),
            self.outcome.into(),
            self.wrap_up_seconds.into(),
            self.wrap_up_codes.clone().into(),
            self.rating.into(),
            self.agent_id.clone().into(),
            self.assigned_at.clone().into(),
            self.wrap_up_until.clone().into(),
        ]
    }
}

/// A chat's message counts and first reply.
#[derive(Debug, Clone, Default, FromRow)]
pub(super) struct Messages {
    #[sqlx(rename = "customer_messages")]
    pub(super) customer: i64,
    #[sqlx(rename = "agent_messages")]
    pub(super) agent: i64,
    pub(super) files: i64,
    pub(super) file_bytes: i64,
    pub(super) first_agent_reply_at: Option<String>,
}

impl Messages {
    pub(super) fn count(&mut self, author: &Author, at: DateTime<Utc>) {
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

    /// A file is a line like a message, and its bytes are counted too.
    pub(super) fn count_file(&mut self, author: &Author, size: u64, at: DateTime<Utc>) {
        self.count(author, at);
        self.files += 1;
        self.file_bytes += i64::try_from(size).unwrap_or(i64::MAX);
    }
}

pub(super) async fn write_chats(
    conn: &mut AnyConnection,
    table: &str,
    chats: &HashMap<String, ReportChatRow>,
    changed: &BTreeSet<String>,
) -> Result<(), sqlx::Error> {
    let rows: Vec<Vec<Cell>> = changed
        .iter()
        .filter_map(|id| chats.get(id).map(|chat| chat.cells(id)))
        .collect();
    bulk::replace(conn, table, &chat_columns(), &rows).await
}

/// Adds the counts of chats the batch only sent messages to, without reading their rows.
pub(super) async fn write_message_counts(
    conn: &mut AnyConnection,
    table: &str,
    counts: BTreeMap<String, Messages>,
) -> Result<(), sqlx::Error> {
    let rows: Vec<Vec<Cell>> = counts
        .into_iter()
        .map(|(id, m)| {
            vec![
                id.into(),
                m.customer.into(),
                m.agent.into(),
                m.files.into(),
                m.file_bytes.into(),
                m.first_agent_reply_at.into(),
            ]
        })
        .collect();
    bulk::update(
        conn,
        table,
        &[
            "chat_id",
            "customer",
            "agent",
            "sent_files",
            "sent_bytes",
            "first_reply",
        ],
        &rows,
        "customer_messages = customer_messages + d.customer,
         agent_messages = agent_messages + d.agent,
         files = files + d.sent_files,
         file_bytes = file_bytes + d.sent_bytes,
         first_agent_reply_at = COALESCE(first_agent_reply_at, d.first_reply)",
    )
    .await
}
