//! Transcripts by e-mail. A customer who asked for a copy of their conversation gets it once
//! the chat has ended: every `MAIL_EVERY` one node at a time (a [`Turn`]) sends the copies due
//! through SMTP, then records each (`TranscriptSent`, keyed by the chat, so once).
//!
//! What is due is read from the log's fold (`transcript_mails`), so a copy asked for on any node
//! is sent by whichever node has the turn, and nothing of it is in memory. A crash after the
//! SMTP server took a mail but before it was recorded sends that mail again on the next turn,
//! with the same Message-ID (from the request's log position), which mail systems use to
//! recognise a message they already have; a crash before it loses nothing.

use crate::origin::{keyed_context, Origin};
use crate::turn::Turn;
use crate::{Node, ServiceError};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use samtale_domain::{Actor, ChatCommand};
use samtale_eventlog::CommandError;
use samtale_projections::read::{self, AuthorKind, DueTranscript};
use std::sync::Arc;
use std::time::Duration;

/// How often the node with the turn looks for transcripts due.
pub const MAIL_EVERY: Duration = Duration::from_secs(2);

/// Mails sent per turn: a backlog (the SMTP server was away) goes out a batch at a time.
const BATCH: i64 = 50;

/// The advisory lock key of the mail worker ("mail" in ASCII).
const MAIL_LOCK: i64 = 0x6d_61_69_6c;

/// Where mail goes out, and whom it is from.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("SAMTALE_SMTP_URL: {0}")]
    Url(#[from] lettre::transport::smtp::Error),
    #[error("SAMTALE_MAIL_FROM: {0}")]
    From(#[from] lettre::address::AddressError),
}

impl Mailer {
    /// `smtp://host:port` (no TLS), `smtp://host:port?tls=required` (STARTTLS) or
    /// `smtps://host:port`, with `user:password@` if the server wants them.
    pub fn new(smtp_url: &str, from: &str) -> Result<Self, MailerError> {
        Ok(Self {
            transport: AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)?.build(),
            from: from.parse()?,
        })
    }
}

pub fn spawn(node: Arc<Node>, mailer: Mailer) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(MAIL_EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match send_due(&node, &mailer).await {
                Ok(Some(sent)) if sent > 0 => tracing::info!(sent, "sent transcripts by e-mail"),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "sending transcripts failed; trying again"),
            }
        }
    })
}

/// Sends the transcripts due and says how many; `None` when another node has the turn.
pub async fn send_due(node: &Node, mailer: &Mailer) -> Result<Option<usize>, ServiceError> {
    let Some(turn) = Turn::take(node.db.postgres_url(), MAIL_LOCK).await? else {
        return Ok(None);
    };
    let sent = send_batch(node, mailer).await;
    turn.end().await;
    sent.map(Some)
}

async fn send_batch(node: &Node, mailer: &Mailer) -> Result<usize, ServiceError> {
    let mut sent = 0;
    for due in read::transcripts_due(node.db.any(), BATCH).await? {
        let message = compose(node, mailer, &due).await?;
        if let Err(error) = mailer.transport.send(message).await {
            // The server is away or refused it: this and the rest wait for the next turn.
            return Err(ServiceError::Config(format!("SMTP: {error}")));
        }
        let record = ChatCommand::RecordTranscriptSent {
            at: chrono::Utc::now(),
        };
        let origin = Origin::service(format!("transcript-{}", due.chat_id));
        let key = format!("transcript-sent:{}", due.chat_id);
        let context = keyed_context(&Actor::System, &origin, "transcript_sent", key);
        match node
            .execute(&node.chats, &due.chat_id, record, &context)
            .await
        {
            Ok(_) => sent += 1,
            // Erased a moment ago: its copy went, and there is nothing left to record it on.
            Err(CommandError::Rejected(_)) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(sent)
}

/// The mail: the conversation as plain text, from the customer's point of view.
async fn compose(
    node: &Node,
    mailer: &Mailer,
    due: &DueTranscript,
) -> Result<Message, ServiceError> {
    let db = node.db.any();
    let chat = read::chat(db, &due.chat_id)
        .await?
        .ok_or_else(|| ServiceError::Config(format!("no chat {}", due.chat_id)))?;
    let mut body = format!(
        "Samtalen din / Your conversation ({})\n\n",
        chat.requested_at.get(..10).unwrap_or_default()
    );
    for line in read::transcript(db, &due.chat_id).await? {
        let who = match (line.author_kind, &line.author_id) {
            (AuthorKind::Customer, _) => chat.customer_name.clone(),
            (AuthorKind::Agent, Some(agent)) => read::user(db, agent)
                .await?
                .map(|user| user.display_name)
                .unwrap_or_default(),
            _ => "Samtale".to_string(),
        };
        let time = line.sent_at.get(11..16).unwrap_or_default();
        let text = line
            .notice
            .map_or(line.text, |notice| format!("({notice})"));
        body.push_str(&format!("{time} UTC  {who}: {text}\n"));
    }
    let to: Mailbox = due
        .to_address
        .parse()
        .map_err(|e| ServiceError::Config(format!("transcript address: {e}")))?;
    Message::builder()
        .from(mailer.from.clone())
        .to(to)
        .subject("Samtalen din / Your conversation")
        .message_id(Some(format!(
            "<transcript.{}.{}@samtale>",
            due.requested_position, due.chat_id
        )))
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| ServiceError::Config(format!("transcript mail: {e}")))
}
