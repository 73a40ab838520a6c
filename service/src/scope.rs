//! Whose business an event is: which chat, queues and agents it concerns, so that the live
//! feed can hand it to only the streams that should see it.

use samtale_domain::ChatEvent;
use samtale_projections::read;
use samtale_projections::{DomainEvent, SamtaleEvent};
use sqlx::AnyPool;
use std::collections::HashMap;

/// Whose business an event is: the chat it concerns, that chat's queue(s) and agent(s).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    pub chat_id: Option<String>,
    /// The chat's queue when the event happened; both queues for a transfer.
    pub queues: Vec<String>,
    /// The assigned agent, and for a transfer the agent it left.
    pub agents: Vec<String>,
}

/// Works out the scope of chat events, remembering each chat's queue and agent as it folds
/// the events it sees, and asking the read model about chats it meets for the first time.
pub struct Scoper {
    db: AnyPool,
    chats: HashMap<String, (String, Option<String>)>,
}

impl Scoper {
    pub fn new(db: AnyPool) -> Self {
        Self {
            db,
            chats: HashMap::new(),
        }
    }

    pub async fn scope(&mut self, event: &SamtaleEvent) -> Scope {
        let DomainEvent::Chat(chat_event) = &event.event else {
            return Scope::default();
        };
        let chat_id = event.aggregate_id.clone();
        let known = match self.chats.get(&chat_id) {
            Some(known) => Some(known.clone()),
            None => read::chat(&self.db, &chat_id)
                .await
                .ok()
                .flatten()
                .map(|c| (c.queue_id, c.agent_id)),
        };
        let (mut queue, mut agent) = known.unwrap_or_default();
        let mut scope = Scope {
            chat_id: Some(chat_id.clone()),
            ..Scope::default()
        };
        match chat_event {
            ChatEvent::ChatRequested { queue_id, .. } => queue = queue_id.to_string(),
            ChatEvent::ChatAssigned { agent_id, .. } => agent = Some(agent_id.to_string()),
            ChatEvent::ChatTransferred {
                from_queue,
                to_queue,
                from_agent,
                ..
            } => {
                scope.queues.push(from_queue.to_string());
                scope.agents.extend(from_agent.map(|a| a.to_string()));
                queue = to_queue.to_string();
                agent = None;
            }
            ChatEvent::MessageLeft { queue_id, .. } => queue = queue_id.to_string(),
            // The colleagues a note names hear of it, wherever they work.
            ChatEvent::NoteAdded { mentions, .. } => {
                scope.agents.extend(mentions.iter().map(|m| m.to_string()))
            }
            ChatEvent::LeftMessageAnswered { agent_id, .. } => agent = Some(agent_id.to_string()),
            // The agent who left it still hears that it is no longer theirs.
            ChatEvent::ChatRequeued { from_agent, .. } => {
                scope.agents.push(from_agent.to_string());
                agent = None;
            }
            ChatEvent::ChatHandedOver {
                from_agent,
                to_agent,
                ..
            } => {
                scope.agents.push(from_agent.to_string());
                agent = Some(to_agent.to_string());
            }
            _ => {}
        }
        scope.queues.push(queue.clone());
        scope.agents.extend(agent.clone());
        match chat_event {
            ChatEvent::ChatEnded { .. }
            | ChatEvent::CustomerClosedClient { .. }
            | ChatEvent::LeftMessageAnswered { .. } => {
                self.chats.remove(&chat_id);
            }
            _ => {
                // A chat that never ends (a customer who vanished mid-queue) must not pin memory
                // forever; forgetting only costs a read-model lookup next time.
                if self.chats.len() >= 100_000 {
                    self.chats.clear();
                }
                self.chats.insert(chat_id, (queue, agent));
            }
        }
        scope
    }
}
