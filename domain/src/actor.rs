//! Who does a thing. Every event records its actor, so the audit trail can say who.

use crate::ids::UserId;
use serde::{Deserialize, Serialize};

/// A staff member's role; each includes the powers of the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Works the chats of the queues they are a member of.
    Agent,
    /// Sees all queues, logs other agents in and out, monitors and audits.
    Supervisor,
    /// All of that, plus the administration module.
    Administrator,
}

impl Role {
    /// Supervisors and administrators may act on any chat and any agent's presence.
    pub fn oversees(self) -> bool {
        self >= Role::Supervisor
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// The customer of the chat the event belongs to (holder of its customer token).
    Customer,
    /// A logged-in staff member.
    Staff { user_id: UserId, role: Role },
    /// The automatic dispatcher.
    Routing,
    /// The service itself (bootstrap, timers).
    System,
}

impl Actor {
    pub fn staff(user_id: UserId, role: Role) -> Self {
        Actor::Staff { user_id, role }
    }

    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Actor::Staff { user_id, .. } => Some(*user_id),
            _ => None,
        }
    }

    /// True for a supervisor or administrator, and for the service itself.
    pub fn oversees(&self) -> bool {
        match self {
            Actor::Staff { role, .. } => role.oversees(),
            Actor::System => true,
            Actor::Customer | Actor::Routing => false,
        }
    }

    pub fn is_administrator(&self) -> bool {
        matches!(
            self,
            Actor::Staff {
                role: Role::Administrator,
                ..
            } | Actor::System
        )
    }
}
