//! Who a stream is for, and which events it may carry.

use samtale_domain::{ChatEvent, DirectoryEvent, PresenceEvent};
use samtale_projections::read::QueueStatus;
use samtale_projections::DomainEvent;
use samtale_service::live::LiveEvent;
use samtale_service::typing::{Route, Side, Typing};
use std::collections::HashSet;

/// Who a stream is for, and so which events it may carry.
#[derive(Debug, Clone)]
pub(super) enum Audience {
    Staff {
        user_id: String,
        token_hash: String,
        /// `None`: every queue (supervisors and administrators).
        queues: Option<HashSet<String>>,
        administrator: bool,
    },
    Customer {
        chat_id: String,
    },
}

impl Audience {
    pub(super) fn sees_queue(&self, queue: &str) -> bool {
        match self {
            Audience::Staff { queues: None, .. } => true,
            Audience::Staff {
                queues: Some(queues),
                ..
            } => queues.contains(queue),
            Audience::Customer { .. } => false,
        }
    }

    pub(super) fn sees(&self, live: &LiveEvent) -> bool {
        match (self, &live.event.event) {
            // A customer hears what happens to their chat — and how far the agent has read
            // it — not how routing and the agents decide and wrap it up (offers, notes,
            // wrap-up codes).
            (Audience::Customer { chat_id }, DomainEvent::Chat(event)) => {
                live.scope.chat_id.as_deref() == Some(chat_id) && !event.is_staff_only()
            }
            (Audience::Customer { .. }, _) => false,
            (
                Audience::Staff {
                    user_id, queues, ..
                },
                DomainEvent::Chat(event),
            ) => {
                let mine = live.scope.agents.iter().any(|a| a == user_id);
                let in_my_queues = live.scope.queues.iter().any(|q| self.sees_queue(q));
                // An agent follows the conversations they handle and their queues' waiting
                // chats, not every colleague's exchange: in a queue of fifty agents that would
                // be fifty frames per message, forty-nine of them ignored.
                // A wrap-up note and a customer's rating comment are words about the chat, like
                // its lines: for its agent and those who oversee.
                let conversation = event.is_conversation()
                    || matches!(
                        event,
                        ChatEvent::ChatWrappedUp { .. } | ChatEvent::ChatRated { .. }
                    );
                let someone_elses =
                    queues.is_some() && conversation && !live.scope.agents.is_empty();
                mine || (in_my_queues && !someone_elses)
            }
            (Audience::Staff { user_id, .. }, DomainEvent::Presence(presence)) => {
                let mine = &live.event.aggregate_id == user_id;
                match presence {
                    PresenceEvent::AgentLoggedIn { queues, .. }
                    | PresenceEvent::AgentLoggedOut { queues, .. } => {
                        mine || queues.iter().any(|q| self.sees_queue(&q.to_string()))
                    }
                    // A pause concerns the agent, and those who oversee them on the board.
                    PresenceEvent::AgentPaused { .. } | PresenceEvent::AgentResumed { .. } => {
                        mine || matches!(self, Audience::Staff { queues: None, .. })
                    }
                }
            }
            (Audience::Staff { administrator, .. }, DomainEvent::Directory(_)) => *administrator,
        }
    }

    /// Where this stream's typing signals come from on this node.
    pub(super) fn typing_routes(&self) -> Vec<Route> {
        match self {
            Audience::Customer { chat_id } => vec![Route::Chat(chat_id.clone())],
            Audience::Staff {
                user_id, queues, ..
            } => {
                let mut routes = vec![Route::User(user_id.clone())];
                match queues {
                    None => routes.push(Route::Overseers),
                    Some(queues) => routes.extend(queues.iter().cloned().map(Route::Queue)),
                }
                routes
            }
        }
    }

    /// The other side's typing in a chat the reader is in: the agent's for its customer; the
    /// customer's for its agent, for those who work its queue while it waits, and for those
    /// who oversee.
    pub(super) fn sees_typing(&self, typing: &Typing) -> bool {
        match self {
            Audience::Customer { chat_id } => {
                typing.side == Side::Agent && *chat_id == typing.chat_id
            }
            Audience::Staff { user_id, .. } => {
                typing.side == Side::Customer
                    && match &typing.agent_id {
                        Some(agent) => {
                            agent == user_id || matches!(self, Audience::Staff { queues: None, .. })
                        }
                        None => self.sees_queue(&typing.queue_id),
                    }
            }
        }
    }

    /// A membership change of this agent changes which queues the stream covers.
    pub(super) fn affects_membership(&self, live: &LiveEvent) -> bool {
        match (self, &live.event.event) {
            (
                Audience::Staff {
                    user_id,
                    queues: Some(_),
                    ..
                },
                DomainEvent::Directory(
                    DirectoryEvent::QueueMemberAdded {
                        user_id: member, ..
                    }
                    | DirectoryEvent::QueueMemberRemoved {
                        user_id: member, ..
                    },
                ),
            ) => &member.to_string() == user_id,
            _ => false,
        }
    }

    pub(super) fn board(&self, board: &[QueueStatus]) -> Option<Vec<QueueStatus>> {
        match self {
            Audience::Customer { .. } => None,
            Audience::Staff { .. } => Some(
                board
                    .iter()
                    .filter(|q| self.sees_queue(&q.queue_id))
                    .cloned()
                    .collect(),
            ),
        }
    }
}
