//! Forgetting a chat's personal data: one chat erased (by an administrator, its customer or
//! retention), every ended chat of a person found by the e-mail address or phone number they
//! gave, and what each node drops from memory when it sees an erasure.
//!
//! The erasure itself is the chat's `Erase` command: the log appends `ChatErased` and deletes
//! the chat's key in one transaction (see `samtale_eventlog::vault`). What is done here around
//! it can be done again: deleting the customer's tokens, dropping cached copies.

use crate::origin::{keyed_context, Origin};
use crate::Node;
use samtale_domain::chat::ErasureReason;
use samtale_domain::form::{normalised_email, normalised_phone};
use samtale_domain::{Actor, Chat, ChatCommand, ChatError, ChatEvent, ChatId};
use samtale_eventlog::CommandError;
use samtale_projections::read;
use serde::Serialize;
use std::sync::Arc;
use thiserror::Error;
use tokio::sync::broadcast::error::RecvError;

/// A chat whose personal data is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErasedChat {
    pub chat_id: String,
    /// The lines of its transcript (their times and authors stay; their texts are gone).
    pub messages: usize,
    /// When it was erased (RFC 3339).
    pub erased_at: Option<String>,
}

/// Why a chat matching an erasure request was left as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Skipped {
    /// Still waiting or going on: it can be erased once it has ended.
    NotEnded,
    /// Under legal hold: it can be erased once the hold is lifted.
    LegalHold,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SkippedChat {
    pub chat_id: String,
    pub reason: Skipped,
}

/// What an erasure request did, chat by chat.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErasureReport {
    pub erased: Vec<ErasedChat>,
    pub skipped: Vec<SkippedChat>,
}

/// Whose chats an erasure request is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Person {
    /// Normalised (see [`normalised_email`]).
    Email(String),
    /// Normalised: the last eight digits (see [`normalised_phone`]).
    Phone(String),
    Chat(ChatId),
}

/// The identifier of an erasure request does not look like one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum BadIdentifier {
    #[error("not an e-mail address")]
    Email,
    #[error("not a phone number")]
    Phone,
}

impl Person {
    pub fn email(value: &str) -> Result<Self, BadIdentifier> {
        normalised_email(value)
            .map(Person::Email)
            .ok_or(BadIdentifier::Email)
    }

    pub fn phone(value: &str) -> Result<Self, BadIdentifier> {
        normalised_phone(value)
            .map(Person::Phone)
            .ok_or(BadIdentifier::Phone)
    }
}

/// Erases one chat and deletes its customer's tokens. Erasing an erased chat changes nothing
/// and answers as the first erasure did, so a retry is harmless.
pub async fn erase(
    node: &Node,
    chat_id: ChatId,
    reason: ErasureReason,
    by: Actor,
    origin: &Origin,
) -> Result<ErasedChat, CommandError<ChatError>> {
    let erased = erase_unscrubbed(node, chat_id, reason, by, origin).await;
    scrub(node).await;
    Ok(erased?.chat)
}

/// A chat erased, and whether this call erased it (rather than finding it so).
pub(crate) struct Erasure {
    pub chat: ErasedChat,
    pub appended: bool,
}

/// Clears what the storage keeps of erased data beside the tables, once after a run of
/// erasures (a checkpoint per chat would hold back every writer as often).
pub(crate) async fn scrub(node: &Node) {
    if let Err(error) = node.db.scrub().await {
        tracing::warn!(%error, "cannot checkpoint the write-ahead log after an erasure");
    }
}

/// [`erase`], leaving the scrub to the caller.
pub(crate) async fn erase_unscrubbed(
    node: &Node,
    chat_id: ChatId,
    reason: ErasureReason,
    by: Actor,
    origin: &Origin,
) -> Result<Erasure, CommandError<ChatError>> {
    let id = chat_id.to_string();
    let command = ChatCommand::Erase {
        reason,
        by,
        at: origin.at,
    };
    // Keyed by the chat: the same caller's retry is recognised as such; anyone else's finds
    // the chat erased, which the chat answers with nothing to do.
    let context = keyed_context(&by, origin, "erase", id.clone());
    let executed = node.execute(&node.chats, &id, command, &context).await?;
    delete_tokens_and_files(node, chat_id).await?;
    let erased_at = read::chat(node.db.any(), &id)
        .await
        .map_err(|e| CommandError::Internal(e.to_string()))?
        .and_then(|chat| chat.erased_at);
    let messages = read::transcript(node.db.any(), &id)
        .await
        .map_err(|e| CommandError::Internal(e.to_string()))?
        .len();
    Ok(Erasure {
        chat: ErasedChat {
            chat_id: id,
            messages,
            erased_at,
        },
        appended: executed.position.is_some(),
    })
}

/// Erases every ended chat of `person` (an administrator's erasure on request), and says which
/// matching chats it had to leave and why.
pub async fn erase_person(
    node: &Node,
    person: &Person,
    by: Actor,
    origin: &Origin,
) -> Result<ErasureReport, CommandError<ChatError>> {
    let chats = match person {
        Person::Chat(chat_id) => vec![*chat_id],
        Person::Email(value) | Person::Phone(value) => {
            let kind = if matches!(person, Person::Email(_)) {
                "email"
            } else {
                "phone"
            };
            node.db
                .vault()
                .identified_by(<Chat as cqrs_es::Aggregate>::TYPE, kind, value)
                .await
                .map_err(|e| CommandError::Unavailable(e.to_string()))?
                .iter()
                .filter_map(|id| id.parse().ok())
                .collect()
        }
    };
    let mut report = ErasureReport::default();
    for chat_id in chats {
        let skipped = |reason| SkippedChat {
            chat_id: chat_id.to_string(),
            reason,
        };
        match erase_unscrubbed(node, chat_id, ErasureReason::Request, by, origin).await {
            Ok(erased) => report.erased.push(erased.chat),
            Err(CommandError::Rejected(ChatError::NotEnded)) => {
                report.skipped.push(skipped(Skipped::NotEnded))
            }
            Err(CommandError::Rejected(ChatError::LegalHold)) => {
                report.skipped.push(skipped(Skipped::LegalHold))
            }
            // A chat id that names no chat matches nothing.
            Err(CommandError::Rejected(ChatError::NotFound)) => {}
            Err(other) => {
                scrub(node).await;
                return Err(other);
            }
        }
    }
    scrub(node).await;
    Ok(report)
}

/// The customer's tokens, and the chat's files (unreadable already: their key is gone).
async fn delete_tokens_and_files(
    node: &Node,
    chat_id: ChatId,
) -> Result<(), CommandError<ChatError>> {
    crate::attachments::erase_chat(node, chat_id)
        .await
        .map_err(|e| CommandError::Unavailable(e.to_string()))?;
    let hashes: Vec<String> =
        sqlx::query_scalar("DELETE FROM customer_tokens WHERE chat_id = $1 RETURNING token_hash")
            .bind(chat_id.to_string())
            .fetch_all(node.db.any())
            .await
            .map_err(|e| CommandError::Unavailable(e.to_string()))?;
    node.customer_tokens.forget(&hashes);
    node.customer_tokens.forget_chat(chat_id);
    Ok(())
}

/// On every node: when the live feed brings an erasure, drop this node's copies of the chat
/// (its cached aggregate, its data key, its customer's tokens), and delete the tokens in case
/// the node that erased it died before it could.
pub fn spawn_forgetting(node: Arc<Node>) -> tokio::task::JoinHandle<()> {
    let mut batches = node.live.subscribe();
    tokio::spawn(async move {
        loop {
            let batch = match batches.recv().await {
                Ok(batch) => batch,
                Err(RecvError::Lagged(missed)) => {
                    // What a missed erasure leaves is harmless: the aggregate holds no personal
                    // data, the key is only ever used to append (which the erasure refuses),
                    // and a token is read again within a minute.
                    tracing::warn!(missed, "erasure watch fell behind the live feed");
                    continue;
                }
                Err(RecvError::Closed) => return,
            };
            for live in &batch.events {
                let event = &live.event;
                if let samtale_projections::DomainEvent::Chat(ChatEvent::ChatErased { .. }) =
                    &event.event
                {
                    node.chats.forget(&event.aggregate_id);
                    let Ok(chat_id) = event.aggregate_id.parse() else {
                        continue;
                    };
                    if let Err(error) = delete_tokens_and_files(&node, chat_id).await {
                        tracing::warn!(%error, "cannot delete an erased chat's tokens and files");
                    }
                }
            }
        }
    })
}
