//! Turning a logged event back into the domain event it records.

use cqrs_es::Aggregate;
use samtale_domain::{Chat, ChatEvent, Directory, DirectoryEvent, Presence, PresenceEvent};
use samtale_eventlog::{LogError, LogPosition, LoggedEvent};
use serde_json::value::RawValue;
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq)]
pub enum DomainEvent {
    Chat(ChatEvent),
    Presence(PresenceEvent),
    Directory(DirectoryEvent),
}

/// A domain event with where and under which aggregate it was logged.
#[derive(Debug, Clone)]
pub struct SamtaleEvent {
    pub position: LogPosition,
    pub aggregate_id: String,
    pub event_type: String,
    pub event: DomainEvent,
    /// The event as stored (its payload encrypted); without its data key, so that no copy of
    /// a decoded event keeps a key in memory.
    pub logged: LoggedEvent,
    /// The payload in its current shape, decrypted, where that is not the stored text.
    current: Option<Box<RawValue>>,
}

impl SamtaleEvent {
    /// The payload's JSON text in its current shape, decrypted: what clients are sent.
    pub fn payload(&self) -> &RawValue {
        self.current.as_deref().unwrap_or(&self.logged.payload)
    }
}

/// Decodes an event of one of Samtale's aggregates; `None` for an aggregate type this version
/// does not know (written by a newer node during a rolling upgrade), which folds ignore.
pub fn decode(mut logged: LoggedEvent) -> Result<Option<SamtaleEvent>, LogError> {
    let (event, current) = match logged.aggregate_type.as_str() {
        t if t == Chat::TYPE => {
            let (event, current) = logged.decode_with_payload()?;
            (DomainEvent::Chat(event), current)
        }
        t if t == Presence::TYPE => {
            let (event, current) = logged.decode_with_payload()?;
            (DomainEvent::Presence(event), current)
        }
        t if t == Directory::TYPE => {
            let (event, current) = logged.decode_with_payload()?;
            (DomainEvent::Directory(event), current)
        }
        _ => return Ok(None),
    };
    logged.key = None;
    Ok(Some(SamtaleEvent {
        position: logged.position,
        aggregate_id: logged.aggregate_id.clone(),
        event_type: logged.event_type.clone(),
        event,
        logged,
        current,
    }))
}

/// Decodes a batch, leaving out events of aggregates this version does not know.
pub fn decode_all(logged: Vec<LoggedEvent>) -> Result<Vec<SamtaleEvent>, LogError> {
    let mut events = Vec::with_capacity(logged.len());
    for event in logged {
        events.extend(decode(event)?);
    }
    Ok(events)
}

/// The chats of the batch's events for which `touches` holds, leaving out those the batch
/// itself starts: a chat whose first event is in the batch has no row yet, so a fold need not
/// look for one. In a rebuild most chats are such.
pub fn chats_started_before(
    events: &[SamtaleEvent],
    touches: impl Fn(&ChatEvent) -> bool,
) -> BTreeSet<&str> {
    let started_here: BTreeSet<&str> = events
        .iter()
        .filter(|e| matches!(e.event, DomainEvent::Chat(_)) && e.logged.sequence == 1)
        .map(|e| e.aggregate_id.as_str())
        .collect();
    events
        .iter()
        .filter(|e| matches!(&e.event, DomainEvent::Chat(chat) if touches(chat)))
        .map(|e| e.aggregate_id.as_str())
        .filter(|id| !started_here.contains(id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::value::RawValue;
    use std::collections::HashMap;

    /// A chat event of `chat` at `sequence` (its kind does not matter here).
    fn chat_event(chat: &str, sequence: i64) -> SamtaleEvent {
        let payload = format!(
            r#"{{"MessagesRead":{{"agent_id":"{}","up_to":1,"at":"2026-11-26T09:00:00Z"}}}}"#,
            uuid::Uuid::nil()
        );
        let logged = LoggedEvent {
            position: LogPosition {
                tx: 1,
                position: sequence,
            },
            event_id: uuid::Uuid::nil(),
            aggregate_type: Chat::TYPE.to_string(),
            aggregate_id: chat.to_string(),
            sequence,
            event_type: "MessagesRead".to_string(),
            event_version: "1".to_string(),
            payload: RawValue::from_string(payload).unwrap(),
            metadata: HashMap::new(),
            key: None,
        };
        decode(logged).unwrap().unwrap()
    }

    #[test]
    fn only_chats_started_before_the_batch_are_looked_up() {
        let events = [
            chat_event("continued", 7),
            chat_event("new", 1),
            chat_event("new", 2),
            chat_event("continued", 8),
        ];
        let looked_up = chats_started_before(&events, |_| true);
        assert_eq!(looked_up, BTreeSet::from(["continued"]));
    }

    #[test]
    fn events_the_fold_ignores_look_up_nothing() {
        let events = [chat_event("continued", 7)];
        assert!(chats_started_before(&events, |_| false).is_empty());
    }
}
