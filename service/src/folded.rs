//! The live feed's view of the log: its events in commit order, each once this node's read
//! models have folded it.
//!
//! Most batches come straight from this node's projections, which have just read and decoded
//! them to fold them ([`FoldedBatch`]): reading and decoding them again — decrypting every
//! personal value a second time — was a good part of what an event cost a node. The rest is
//! read from the log: batches another node folded first, batches this node's projections
//! folded while the feed was behind, and, when the read models lag behind the log for longer
//! than [`LAG`], what the log has, sent ahead of them.

use samtale_eventlog::{EventLog, LogError, LogPosition};
use samtale_projections::{decode, FoldedBatch, Projections, SamtaleEvent};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// How long the feed waits for the read models to fold what the log has before it sends it
/// ahead of them.
const LAG: Duration = Duration::from_secs(5);

/// Events read from the log at a time.
const PAGE: i64 = 500;

pub(crate) struct Folded {
    log: Arc<dyn EventLog>,
    projections: Arc<Projections>,
    folded: watch::Receiver<LogPosition>,
    handed: Option<mpsc::Receiver<FoldedBatch>>,
    /// A handed batch that starts past `after`: the events between are read first.
    pending: Option<FoldedBatch>,
    after: LogPosition,
}

impl Folded {
    /// Follows the log from `after`, with the batches `projections` hand over if no one has
    /// taken them yet.
    pub(crate) fn new(
        log: Arc<dyn EventLog>,
        projections: Arc<Projections>,
        after: LogPosition,
    ) -> Self {
        Self {
            folded: projections.watch_folded(),
            handed: projections.take_folded(),
            log,
            projections,
            pending: None,
            after,
        }
    }

    /// Where the last batch returned ends.
    pub(crate) fn position(&self) -> LogPosition {
        self.after
    }

    /// The events after the last batch returned, decoded, up to a new position (the batch
    /// may hold none, if all it passed were of aggregates this version does not know).
    pub(crate) async fn next_batch(&mut self) -> Result<Vec<SamtaleEvent>, LogError> {
        loop {
            if let Some(events) = self.take_handed() {
                return Ok(events);
            }
            if *self.folded.borrow_and_update() > self.after {
                // Folded, but not by this node's projections while the feed was waiting.
                if let Some(events) = self.read(true).await? {
                    return Ok(events);
                }
            }
            match tokio::time::timeout(LAG, self.folded.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => tokio::time::sleep(LAG).await,
                Err(_) => {
                    if let Some(events) = self.read(false).await? {
                        tracing::warn!(
                            position = self.after.position,
                            "live feed sends ahead of lagging read models"
                        );
                        return Ok(events);
                    }
                }
            }
        }
    }

    /// The events of the next handed batch that starts at or before `after`, skipping those
    /// already passed; `None` if there is none yet, or if the next one starts further on.
    fn take_handed(&mut self) -> Option<Vec<SamtaleEvent>> {
        loop {
            let batch = match self.pending.take() {
                Some(batch) => batch,
                None => self.handed.as_mut()?.try_recv().ok()?,
            };
            match Handed::after(self.after, batch) {
                Handed::Passed => {}
                Handed::Ahead(batch) => {
                    self.pending = Some(batch);
                    return None;
                }
                Handed::Next { last, events } => {
                    self.after = last;
                    return Some(events);
                }
            }
        }
    }

    /// The next page of the log after `after`, `None` if it has none settled. Settled events
    /// may not all be folded yet: with `folded`, the page is returned once they are (or
    /// [`LAG`] has passed), so that a client that reacts to an event by reading sees its
    /// effect.
    async fn read(&mut self, folded: bool) -> Result<Option<Vec<SamtaleEvent>>, LogError> {
        let page = self.log.read_after(self.after, PAGE).await?;
        let Some(last) = page.last().map(|event| event.position) else {
            return Ok(None);
        };
        if folded && !self.projections.wait_for(last, LAG).await {
            tracing::warn!(
                position = last.position,
                "live feed sends ahead of lagging read models"
            );
        }
        self.after = last;
        let mut events = Vec::with_capacity(page.len());
        for logged in page {
            match decode(logged) {
                Ok(event) => events.extend(event),
                Err(error) => tracing::error!(%error, "live feed skips an undecodable event"),
            }
        }
        Ok(Some(events))
    }
}

/// What a handed batch is to a feed that has sent everything up to some position.
#[derive(Debug)]
enum Handed {
    /// Sent already, every event of it.
    Passed,
    /// It starts past the feed: the events between must come first.
    Ahead(FoldedBatch),
    /// Its events the feed has not sent, up to `last`.
    Next {
        last: LogPosition,
        events: Vec<SamtaleEvent>,
    },
}

impl Handed {
    fn after(sent: LogPosition, batch: FoldedBatch) -> Self {
        if batch.last <= sent {
            Handed::Passed
        } else if batch.after > sent {
            Handed::Ahead(batch)
        } else {
            Handed::Next {
                last: batch.last,
                events: batch
                    .events
                    .into_iter()
                    .filter(|event| event.position > sent)
                    .collect(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use samtale_eventlog::LoggedEvent;
    use serde_json::value::RawValue;
    use std::collections::HashMap;

    fn at(position: i64) -> LogPosition {
        LogPosition { tx: 1, position }
    }

    /// A folded batch of the events after `after` up to `last`, one per position.
    fn batch(after: i64, last: i64) -> FoldedBatch {
        let events = (after + 1..=last)
            .map(|position| {
                let payload = format!(
                    r#"{{"MessagesRead":{{"agent_id":"{}","up_to":1,"at":"2026-12-02T09:00:00Z"}}}}"#,
                    uuid::Uuid::nil()
                );
                decode(LoggedEvent {
                    position: at(position),
                    event_id: uuid::Uuid::nil(),
                    aggregate_type: "chat".into(),
                    aggregate_id: "c".into(),
                    sequence: position,
                    event_type: "MessagesRead".into(),
                    event_version: "1".into(),
                    payload: RawValue::from_string(payload).unwrap(),
                    metadata: HashMap::new(),
                    key: None,
                })
                .unwrap()
                .unwrap()
            })
            .collect();
        FoldedBatch {
            after: at(after),
            last: at(last),
            events,
        }
    }

    fn positions(handed: Handed) -> Option<(i64, Vec<i64>)> {
        match handed {
            Handed::Next { last, events } => Some((
                last.position,
                events.iter().map(|e| e.position.position).collect(),
            )),
            _ => None,
        }
    }

    #[test]
    fn a_batch_that_starts_where_the_feed_stands_is_sent_whole() {
        assert_eq!(
            positions(Handed::after(at(4), batch(4, 7))),
            Some((7, vec![5, 6, 7]))
        );
    }

    #[test]
    fn a_batch_the_feed_has_partly_sent_gives_only_the_rest() {
        assert_eq!(
            positions(Handed::after(at(5), batch(2, 7))),
            Some((7, vec![6, 7]))
        );
    }

    #[test]
    fn a_batch_sent_already_is_passed_over() {
        assert!(matches!(Handed::after(at(7), batch(4, 7)), Handed::Passed));
    }

    #[test]
    fn a_batch_past_a_gap_waits_for_the_events_before_it() {
        assert!(matches!(
            Handed::after(at(3), batch(4, 7)),
            Handed::Ahead(_)
        ));
    }
}
