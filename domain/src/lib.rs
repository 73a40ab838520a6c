//! Samtale's domain: the rules of a contact-centre webchat, as cqrs-es aggregates.
//!
//! This crate is pure. It never reads a clock, draws a random number, touches a database or
//! speaks HTTP: every command carries the time and the actor it happens for, and every id it
//! needs. That is what makes the rules testable with cqrs-es's given/when/then framework and
//! the event log replayable to the same state on any node.
//!
//! Three aggregates hold the rules:
//! - [`Chat`]: one customer conversation, from request through queueing, assignment,
//!   messages and transfers to its end.
//! - [`Presence`]: one agent's log-in state across the queues they belong to.
//! - [`Directory`]: the configuration (users, queues, membership, categories, form fields),
//!   one instance, so that uniqueness and references are checked in one place.

/// `Aggregate::handle` for an aggregate whose rules are one pure
/// `decide(&self, command) -> Result<Vec<Event>, Error>`: the decided events are written (and
/// so applied) in order.
macro_rules! handle_by_deciding {
    () => {
        async fn handle(
            &mut self,
            command: Self::Command,
            _services: &Self::Services,
            sink: &cqrs_es::event_sink::EventSink<Self>,
        ) -> Result<(), Self::Error> {
            for event in self.decide(command)? {
                sink.write(event, self).await;
            }
            Ok(())
        }
    };
}

pub mod actor;
pub mod attachment;
pub mod chat;
pub mod code;
pub mod directory;
pub mod form;
pub mod hours;
pub mod ids;
pub mod personal;
pub mod presence;
pub mod text;

pub use actor::{Actor, Role};
pub use attachment::{FileFacts, FileKind, FileName};
pub use chat::{Chat, ChatCommand, ChatError, ChatEvent, ChatStatus};
pub use code::Code;
pub use directory::{Directory, DirectoryCommand, DirectoryError, DirectoryEvent};
pub use ids::{AttachmentId, CannedResponseId, CategoryId, ChatId, MessageId, QueueId, UserId};
pub use personal::{Personal, Subject};
pub use presence::{Presence, PresenceCommand, PresenceError, PresenceEvent};

/// The version every event of this crate is written with. Bump it, and add an upcaster in the
/// event log, when an event's shape changes incompatibly (docs/architecture.md, "Versions").
pub const EVENT_VERSION: &str = "1";

/// The aggregates need no services: everything a rule needs arrives in the command.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoServices;
