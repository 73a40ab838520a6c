//! Turning a logged event back into the domain event it records.

use cqrs_es::Aggregate;
use samtale_domain::{Chat, ChatEvent, Directory, DirectoryEvent, Presence, PresenceEvent};
use samtale_eventlog::{LogError, LogPosition, LoggedEvent};

#[derive(Debug, Clone, PartialEq)]
pub enum DomainEvent {
    Chat(ChatEvent),
    Presence(PresenceEvent),
    Directory(DirectoryEvent),
}

/// A domain event with where and under which aggregate it was logged.
#[derive(Debug, Clone, PartialEq)]
pub struct SamtaleEvent {
    pub position: LogPosition,
    pub aggregate_id: String,
    pub event_type: String,
    pub event: DomainEvent,
    pub logged: LoggedEvent,
}

/// Decodes an event of one of Samtale's aggregates; `None` for an aggregate type this version
/// does not know (written by a newer node during a rolling upgrade), which folds ignore.
pub fn decode(logged: LoggedEvent) -> Result<Option<SamtaleEvent>, LogError> {
    let event = match logged.aggregate_type.as_str() {
        t if t == Chat::TYPE => DomainEvent::Chat(logged.decode()?),
        t if t == Presence::TYPE => DomainEvent::Presence(logged.decode()?),
        t if t == Directory::TYPE => DomainEvent::Directory(logged.decode()?),
        _ => return Ok(None),
    };
    Ok(Some(SamtaleEvent {
        position: logged.position,
        aggregate_id: logged.aggregate_id.clone(),
        event_type: logged.event_type.clone(),
        event,
        logged,
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
