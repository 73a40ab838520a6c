//! Transcript retention: the personal data of a chat that ended in a queue with a retention is
//! erased once that many days have passed since it ended (GDPR art. 5(1)(e), storage
//! limitation). Reports keep every figure: only names, answers and texts go.
//!
//! Every node tries every `RETAIN_EVERY`; one at a time does it (a [`Turn`]). Each chat is
//! erased by its own command, and an erased chat takes no second erasure, so a node that
//! comes after another, or a crash half-way through, erases nothing twice and loses nothing:
//! the next run goes on where it stopped.

use crate::erasure::{erase_unscrubbed, scrub};
use crate::origin::Origin;
use crate::turn::Turn;
use crate::{Node, ServiceError};
use chrono::{DateTime, Utc};
use samtale_domain::chat::ErasureReason;
use samtale_domain::{Actor, ChatError, ChatId};
use samtale_eventlog::CommandError;
use samtale_projections::read::{self, EndedChat};
use samtale_projections::timestamp;
use std::sync::Arc;
use std::time::Duration;

/// How often each node looks for transcripts past their retention.
pub const RETAIN_EVERY: Duration = Duration::from_secs(60);

/// Chats read per query: a backlog (retention just switched on) is erased a batch at a time,
/// never read whole.
const BATCH: i64 = 200;

/// The advisory lock key of retention ("retain" in ASCII).
const RETAIN_LOCK: i64 = 0x72_65_74_61_69_6e;

/// Erases every `RETAIN_EVERY`, starting now.
pub fn spawn(node: Arc<Node>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(RETAIN_EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match erase_expired(&node, Utc::now()).await {
                Ok(Some(erased)) if erased > 0 => {
                    tracing::info!(erased, "erased transcripts past their retention");
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "retention failed; trying again later"),
            }
        }
    })
}

/// Erases the chats whose retention has run out by `now`, and says how many; `None` when
/// another node has the turn at this moment.
pub async fn erase_expired(node: &Node, now: DateTime<Utc>) -> Result<Option<u64>, ServiceError> {
    let Some(turn) = Turn::take(node.db.postgres_url(), RETAIN_LOCK).await? else {
        return Ok(None);
    };
    let erased = erase_in_queues(node, now).await;
    turn.end().await;
    erased.map(Some)
}

async fn erase_in_queues(node: &Node, now: DateTime<Utc>) -> Result<u64, ServiceError> {
    let mut erased = 0;
    for queue in read::queues_ever(node.db.any()).await? {
        let Some(days) = queue.transcript_retention_days else {
            continue;
        };
        let before = timestamp(now - chrono::Duration::days(days));
        // The chats that ended, then the left messages nobody answered.
        for left in [false, true] {
            erased += erase_due(node, &queue.queue_id, &before, left).await?;
        }
    }
    Ok(erased)
}

async fn erase_due(
    node: &Node,
    queue_id: &str,
    before: &str,
    left: bool,
) -> Result<u64, ServiceError> {
    let mut erased = 0;
    // Each chat is tried once per run: one that cannot be erased now (the database, a
    // chat that does not decode) is tried again next run, and holds up none after it.
    let mut after = EndedChat::default();
    loop {
        let due =
            read::chats_ended_before(node.db.any(), queue_id, before, &after, BATCH, left).await?;
        for chat in &due {
            let chat_id: ChatId = chat.chat_id.parse()?;
            let origin = Origin::service(format!("retention:{chat_id}"));
            let reason = ErasureReason::Retention;
            match erase_unscrubbed(node, chat_id, reason, Actor::System, &origin).await {
                Ok(erasure) => erased += u64::from(erasure.appended),
                // Held since the query read it: passed by until the hold is lifted.
                Err(CommandError::Rejected(ChatError::LegalHold)) => {}
                Err(error) => {
                    tracing::warn!(%error, chat = %chat_id, "retention cannot erase a chat");
                }
            }
        }
        if !due.is_empty() {
            scrub(node).await;
        }
        match due.last() {
            Some(last) if due.len() as i64 == BATCH => after = last.clone(),
            _ => break,
        }
    }
    Ok(erased)
}
