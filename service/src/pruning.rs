//! Pruning credentials that can no longer be used: staff sessions unused past the idle time or
//! revoked a while ago, the customer tokens of chats that ended or were abandoned longer
//! ago than the retention, and uploads abandoned before their file was announced. The log keeps what happened; these tables only say who may act.
//!
//! Every node tries every `PRUNE_EVERY`. On PostgreSQL a node prunes only while it holds an
//! advisory lock, so nodes never do the same work at once; one that comes after another finds
//! nothing left, as each statement is idempotent and reads only expired rows, through an index
//! (sessions) or from a table that pruning keeps small (customer tokens).

use crate::turn::Turn;
use crate::Node;
use chrono::{DateTime, Utc};
use samtale_projections::timestamp;
use std::time::Duration;

/// How often each node prunes.
pub const PRUNE_EVERY: Duration = Duration::from_secs(600);

/// Revoked sessions stay this long, well past the 10 s every node's revocation watch looks
/// back, so each node still sees the revocation and ends the session's streams.
const REVOKED_KEPT: Duration = Duration::from_secs(600);

/// The advisory lock key of pruning ("prune" in ASCII).
const PRUNE_LOCK: i64 = 0x70_72_75_6e_65;

/// What one pruning deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub sessions: u64,
    pub customer_tokens: u64,
    /// Uploads abandoned before their file was announced.
    pub uploads: u64,
}

/// Prunes every `PRUNE_EVERY`, starting now.
pub fn spawn(state: std::sync::Arc<Node>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(PRUNE_EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match prune(&state, Utc::now()).await {
                Ok(Some(pruned)) if pruned != Pruned::default() => {
                    tracing::info!(
                        sessions = pruned.sessions,
                        customer_tokens = pruned.customer_tokens,
                        uploads = pruned.uploads,
                        "pruned expired credentials and abandoned uploads"
                    );
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "pruning failed; trying again later"),
            }
        }
    })
}

/// Deletes what has expired by `now`; `None` when another node is pruning at this moment.
pub async fn prune(state: &Node, now: DateTime<Utc>) -> Result<Option<Pruned>, sqlx::Error> {
    let Some(turn) = Turn::take(state.db.postgres_url(), PRUNE_LOCK).await? else {
        return Ok(None);
    };
    let pruned = delete_expired(state, now).await;
    turn.end().await;
    pruned.map(Some)
}

async fn delete_expired(state: &Node, now: DateTime<Utc>) -> Result<Pruned, sqlx::Error> {
    let before =
        |age: Duration| timestamp(now - chrono::Duration::from_std(age).unwrap_or_default());
    let db = state.db.any();
    let mut sessions: Vec<String> =
        sqlx::query_scalar("DELETE FROM sessions WHERE revoked_at < $1 RETURNING token_hash")
            .bind(before(REVOKED_KEPT))
            .fetch_all(db)
            .await?;
    // `last_seen_at` is null only for sessions created by a node older than the column.
    let idle: Vec<String> = sqlx::query_scalar(
        "DELETE FROM sessions
          WHERE last_seen_at < $1 OR (last_seen_at IS NULL AND created_at < $1)
         RETURNING token_hash",
    )
    .bind(before(state.sessions.idle()))
    .fetch_all(db)
    .await?;
    sessions.extend(idle);
    state.sessions.forget_pruned(&sessions);
    // Driven from `customer_tokens`, which pruning keeps to the chats open or lately over, not
    // from every chat ever held. An erased chat's tokens were deleted as it was erased; this
    // catches those of a node that died in between.
    let tokens: Vec<String> = sqlx::query_scalar(
        "DELETE FROM customer_tokens WHERE chat_id IN (
             SELECT t.chat_id FROM customer_tokens t JOIN chats c ON c.chat_id = t.chat_id
              WHERE c.ended_at < $1 OR c.erased_at IS NOT NULL
                 OR (c.status = 'left' AND c.requested_at < $1))
         RETURNING token_hash",
    )
    .bind(before(state.customer_token_retention))
    .fetch_all(db)
    .await?;
    state.customer_tokens.forget(&tokens);
    // When a customer last had the chat open matters as long as someone can still answer them.
    sqlx::query(
        "DELETE FROM customer_seen WHERE chat_id IN (
             SELECT s.chat_id FROM customer_seen s JOIN chats c ON c.chat_id = s.chat_id
              WHERE c.ended_at < $1 OR c.erased_at IS NOT NULL)",
    )
    .bind(before(state.customer_token_retention))
    .execute(db)
    .await?;
    let uploads = crate::attachments::prune(state, now).await?;
    Ok(Pruned {
        sessions: sessions.len() as u64,
        customer_tokens: tokens.len() as u64,
        uploads,
    })
}
