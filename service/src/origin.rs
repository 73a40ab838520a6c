//! Where a command comes from — which request, when, and the client's retry key — and the log
//! metadata a command records from it.

use chrono::{DateTime, Utc};
use samtale_domain::Actor;
use samtale_eventlog::{ClientKey, CommandContext};

/// The facts of one request (or one step of the service's own work) that its commands record.
#[derive(Debug, Clone)]
pub struct Origin {
    pub request_id: String,
    pub at: DateTime<Utc>,
    /// The client's `Idempotency-Key`, if it sent one: a retry with the same key is a no-op.
    pub idempotency_key: Option<String>,
}

impl Origin {
    /// The service acting by itself (bootstrap, the dispatcher, timers), now.
    pub fn service(request_id: impl Into<String>) -> Self {
        Self {
            request_id: request_id.into(),
            at: Utc::now(),
            idempotency_key: None,
        }
    }
}

/// The log metadata of a command: who asked, in which request, and the client's
/// `Idempotency-Key` (if it sent one) as its key for `operation`, so a retry is recognised.
pub fn command_context(actor: &Actor, origin: &Origin, operation: &'static str) -> CommandContext {
    CommandContext {
        client_key: origin.idempotency_key.clone().map(|key| ClientKey {
            operation,
            resource: None,
            key,
        }),
        actor: serde_json::to_string(actor).unwrap_or_default(),
        request_id: origin.request_id.clone(),
        at: origin.at,
    }
}

/// [`command_context`] keyed by a key of the service's own (bootstrap steps, timers) or one
/// the client sent in the body (`client_message_id`), which takes the header's place.
pub fn keyed_context(
    actor: &Actor,
    origin: &Origin,
    operation: &'static str,
    key: String,
) -> CommandContext {
    CommandContext {
        client_key: Some(ClientKey {
            operation,
            resource: None,
            key,
        }),
        ..command_context(actor, origin, operation)
    }
}

/// [`command_context`] for an operation on one of the many things an aggregate holds (a user or
/// a queue of the directory, one queue of an agent's presence): the client's key for another
/// one is another command, not a retry of this one.
pub fn resource_context(
    actor: &Actor,
    origin: &Origin,
    operation: &'static str,
    resource: impl ToString,
) -> CommandContext {
    let mut context = command_context(actor, origin, operation);
    if let Some(key) = context.client_key.as_mut() {
        key.resource = Some(resource.to_string());
    }
    context
}
