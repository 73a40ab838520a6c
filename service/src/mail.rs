//! Transcripts by e-mail. A customer who asked for a copy of their conversation gets it once
//! the chat has ended (and one who left a message gets its answer the same way, once it is
//! answered): every `MAIL_EVERY` one node at a time (a [`Turn`]) sends the copies due
//! through SMTP, then records each (`TranscriptSent`, keyed by the chat, so once).
//!
//! What is due is read from the log's fold (`transcript_mails`) once it has caught up, and each
//! chat is asked again before its mail goes, so a copy asked for on any node is sent by
//! whichever node has the turn, and nothing of it is in memory. A crash after the SMTP server
//! took a mail but before it was recorded sends that mail again on the next turn, with the
//! same Message-ID (one per chat), by which mail systems recognise a message they already
//! have; a crash before it loses nothing. An address the server refuses for good settles the
//! copy as undeliverable (`TranscriptUndeliverable`) instead of holding up the others.

use crate::origin::{keyed_context, Origin};
use crate::turn::Turn;
use crate::{Node, ServiceError};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use samtale_domain::{Actor, ChatCommand};
use samtale_eventlog::CommandError;
use samtale_projections::read::{self, AuthorKind, DueTranscript, EndReason};
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
    // What is due is read once the fold has caught up with the log, and each chat is asked
    // again before its mail goes: one erased, or settled, a moment ago gets none.
    let head = node.live.log().head().await?;
    node.projections
        .wait_for(head, Duration::from_secs(5))
        .await;
    let mut sent = 0;
    for due in read::transcripts_due(node.db.any(), BATCH).await? {
        if !node.chats.current(&due.chat_id).await?.transcript_due() {
            continue;
        }
        let delivered = match compose(node, mailer, &due).await? {
            Some(message) => match mailer.transport.send(message).await {
                Ok(_) => true,
                // Refused for good (no such mailbox): nothing more is tried.
                Err(error) if error.is_permanent() => false,
                // Away, or "try later": this and the rest wait for the next turn. The server's
                // words are not logged: they may repeat the address.
                Err(error) => {
                    let status = error.status().map(|code| code.to_string());
                    return Err(ServiceError::Config(format!(
                        "the SMTP server did not take the mail (status {})",
                        status.as_deref().unwrap_or("none")
                    )));
                }
            },
            // An address no mail system takes.
            None => false,
        };
        let settle = ChatCommand::SettleTranscript {
            delivered,
            at: chrono::Utc::now(),
        };
        let origin = Origin::service(format!("transcript-{}", due.chat_id));
        let key = format!("transcript-settled:{}", due.chat_id);
        let context = keyed_context(&Actor::System, &origin, "settle_transcript", key);
        match node
            .execute(&node.chats, &due.chat_id, settle, &context)
            .await
        {
            Ok(_) => sent += usize::from(delivered),
            // Erased a moment ago: there is nothing left to record it on.
            Err(CommandError::Rejected(_)) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(sent)
}

/// Whether mail systems take `address` (stricter than the form's e-mail check).
pub fn deliverable(address: &str) -> bool {
    address.parse::<lettre::Address>().is_ok()
}

/// The mail: the conversation as plain text, from the customer's point of view; `None` for an
/// address no mail system takes.
async fn compose(
    node: &Node,
    mailer: &Mailer,
    due: &DueTranscript,
) -> Result<Option<Message>, ServiceError> {
    let db = node.db.any();
    let chat = read::chat(db, &due.chat_id)
        .await?
        .ok_or_else(|| ServiceError::Config(format!("no chat {}", due.chat_id)))?;
    // A left message's answer is the same mail: the customer's words and the answer to them.
    let subject = if chat.end_reason == Some(EndReason::Answered) {
        "Svar på meldingen din / The answer to your message"
    } else {
        "Samtalen din / Your conversation"
    };
    let mut body = format!(
        "{subject} ({})\n\n",
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
    let Ok(to) = due.to_address.parse::<Mailbox>() else {
        return Ok(None);
    };
    Message::builder()
        .from(mailer.from.clone())
        .to(to)
        .subject(subject)
        // One copy per chat: however often it is sent, the same message.
        .message_id(Some(format!("<transcript.{}@samtale>", due.chat_id)))
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map(Some)
        .map_err(|e| ServiceError::Config(format!("transcript mail: {e}")))
}
