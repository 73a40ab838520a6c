//! Taking turns on one aggregate within a node.
//!
//! Two commands on one chat at once — the customer and the agent typing together — would both
//! decide on the same cached state and append at the same sequence; one would lose, read the
//! log, look for itself and decide again: three more round trips. Queuing them on this node
//! costs the second one the first one's append instead. Nodes still race each other, and the
//! optimistic lock still settles that.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::OwnedMutexGuard;

#[derive(Default)]
pub(crate) struct Turns {
    /// One lock per aggregate with a command running or waiting; removed by the last to leave.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// The right to decide on an aggregate, until dropped.
pub(crate) struct Turn<'a> {
    turns: &'a Turns,
    aggregate_id: String,
    guard: Option<OwnedMutexGuard<()>>,
}

impl Turns {
    pub(crate) async fn take(&self, aggregate_id: &str) -> Turn<'_> {
        let lock = self
            .locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(aggregate_id.to_string())
            .or_default()
            .clone();
        Turn {
            turns: self,
            aggregate_id: aggregate_id.to_string(),
            guard: Some(lock.lock_owned().await),
        }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut locks = self
            .turns
            .locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        self.guard = None;
        // Everyone waiting took a clone of the lock under the map's mutex, which we hold: only
        // the map's own reference left means nobody is waiting.
        if locks
            .get(&self.aggregate_id)
            .is_some_and(|lock| Arc::strong_count(lock) == 1)
        {
            locks.remove(&self.aggregate_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_second_command_on_one_aggregate_waits_for_the_first() {
        let turns = Turns::default();
        let first = turns.take("chat-1").await;
        let second = tokio::time::timeout(Duration::from_millis(50), turns.take("chat-1")).await;
        assert!(
            second.is_err(),
            "the second turn came while the first was held"
        );
        drop(first);
        let _second = turns.take("chat-1").await;
    }

    #[tokio::test]
    async fn other_aggregates_do_not_wait() {
        let turns = Turns::default();
        let _first = turns.take("chat-1").await;
        let _other = tokio::time::timeout(Duration::from_millis(50), turns.take("chat-2"))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn nothing_is_kept_once_every_turn_is_over() {
        let turns = Turns::default();
        let first = turns.take("chat-1").await;
        let second = async { drop(turns.take("chat-1").await) };
        let release = async {
            tokio::task::yield_now().await;
            drop(first);
        };
        tokio::join!(second, release);
        assert!(turns.locks.lock().unwrap().is_empty());
    }
}
