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

/// What the scoper remembers of a chat: its queue, its agent, and the colleagues in it (joined
/// or invited).
#[derive(Debug, Clone, Default)]
struct Known {
    queue: String,
    agent: Option<String>,
    colleagues: Vec<String>,
}

/// Works out the scope of chat events, remembering each chat's queue and agent as it folds
/// the events it sees, and asking the read model about chats it meets for the first time.
pub struct Scoper {
    db: AnyPool,
    chats: HashMap<String, Known>,
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
            Some(known) => known.clone(),
            None => self.look_up(&chat_id).await,
        };
        let Known {
            mut queue,
            mut agent,
            mut colleagues,
        } = known;
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
                scope.agents.append(&mut colleagues);
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
                scope.agents.append(&mut colleagues);
                agent = None;
            }
            ChatEvent::ChatHandedOver {
                from_agent,
                to_agent,
                ..
            } => {
                scope.agents.push(from_agent.to_string());
                agent = Some(to_agent.to_string());
                colleagues.retain(|c| *c != to_agent.to_string());
            }
            ChatEvent::ColleagueInvited { invitee, .. }
            | ChatEvent::ParticipantJoined {
                user_id: invitee, ..
            } => {
                let invitee = invitee.to_string();
                if !colleagues.contains(&invitee) {
                    colleagues.push(invitee);
                }
            }
            // They hear that they are out, and nothing after it.
            ChatEvent::InvitationDeclined { invitee, .. }
            | ChatEvent::ParticipantLeft {
                user_id: invitee, ..
            } => {
                let invitee = invitee.to_string();
                scope.agents.push(invitee.clone());
                colleagues.retain(|c| *c != invitee);
            }
            _ => {}
        }
        scope.queues.push(queue.clone());
        scope.agents.extend(agent.clone());
        scope.agents.extend(colleagues.iter().cloned());
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
                self.chats.insert(
                    chat_id,
                    Known {
                        queue,
                        agent,
                        colleagues,
                    },
                );
            }
        }
        scope
    }

    /// A chat met for the first time: what the read models say of it.
    async fn look_up(&self, chat_id: &str) -> Known {
        let Ok(Some(chat)) = read::chat(&self.db, chat_id).await else {
            return Known::default();
        };
        let colleagues = read::participants(&self.db, chat_id)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|p| p.user_id)
            .collect();
        Known {
            queue: chat.queue_id,
            agent: chat.agent_id,
            colleagues,
        }
    }
}
