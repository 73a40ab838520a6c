//! One agent's presence: which of their queues they are logged in to.
//!
//! Being logged in decides whether the dispatcher assigns chats to the agent. The agent's
//! one button logs them in to or out of every queue they are a member of; a supervisor can
//! log an agent in or out of a single queue. A *session* starts when an agent goes from no
//! queue to some queue: the agent's passive (ended) chats are listed for as long as it lasts.

use crate::actor::Actor;
use crate::ids::{QueueId, UserId};
use crate::NoServices;
use crate::EVENT_VERSION;
use chrono::{DateTime, Utc};
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use thiserror::Error;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Presence {
    logged_in: BTreeSet<QueueId>,
    /// Sessions so far; the current one, while logged in.
    sessions: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PresenceCommand {
    LogIn {
        agent_id: UserId,
        queues: BTreeSet<QueueId>,
        /// The queues the agent is a member of, as the directory has them now.
        member_of: BTreeSet<QueueId>,
        by: Actor,
        at: DateTime<Utc>,
    },
    LogOut {
        agent_id: UserId,
        queues: BTreeSet<QueueId>,
        by: Actor,
        at: DateTime<Utc>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PresenceEvent {
    AgentLoggedIn {
        /// The queues newly logged in to.
        queues: BTreeSet<QueueId>,
        /// The session this log-in belongs to; a new one if the agent was logged out.
        session: u64,
        session_started: bool,
        by: Actor,
        at: DateTime<Utc>,
    },
    AgentLoggedOut {
        /// The queues logged out of.
        queues: BTreeSet<QueueId>,
        /// True when no queue is left: the session is over.
        session_ended: bool,
        by: Actor,
        at: DateTime<Utc>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PresenceError {
    #[error("only a supervisor or administrator may log another agent in or out")]
    Forbidden,
    #[error("the agent is not a member of any queue")]
    NoQueues,
    #[error("the agent is not a member of that queue")]
    NotAMember,
}

impl Presence {
    fn decide(&self, command: PresenceCommand) -> Result<Vec<PresenceEvent>, PresenceError> {
        let (PresenceCommand::LogIn { agent_id, by, .. }
        | PresenceCommand::LogOut { agent_id, by, .. }) = &command;
        if !(by.oversees() || by.user_id() == Some(*agent_id)) {
            return Err(PresenceError::Forbidden);
        }
        match command {
            PresenceCommand::LogIn {
                queues,
                member_of,
                by,
                at,
                ..
            } => {
                if queues.is_empty() {
                    return Err(PresenceError::NoQueues);
                }
                if !queues.is_subset(&member_of) {
                    return Err(PresenceError::NotAMember);
                }
                let new: BTreeSet<_> = queues.difference(&self.logged_in).copied().collect();
                if new.is_empty() {
                    return Ok(vec![]);
                }
                let session_started = self.logged_in.is_empty();
                Ok(vec![PresenceEvent::AgentLoggedIn {
                    queues: new,
                    session: self.sessions + u64::from(session_started),
                    session_started,
                    by,
                    at,
                }])
            }
            PresenceCommand::LogOut { queues, by, at, .. } => {
                let gone: BTreeSet<_> = queues.intersection(&self.logged_in).copied().collect();
                if gone.is_empty() {
                    return Ok(vec![]);
                }
                Ok(vec![PresenceEvent::AgentLoggedOut {
                    session_ended: gone.len() == self.logged_in.len(),
                    queues: gone,
                    by,
                    at,
                }])
            }
        }
    }
}

impl Aggregate for Presence {
    const TYPE: &'static str = "presence";
    type Command = PresenceCommand;
    type Event = PresenceEvent;
    type Error = PresenceError;
    type Services = NoServices;

    handle_by_deciding!();

    fn apply(&mut self, event: Self::Event) {
        match event {
            PresenceEvent::AgentLoggedIn {
                queues, session, ..
            } => {
                self.logged_in.extend(queues);
                self.sessions = session;
            }
            PresenceEvent::AgentLoggedOut { queues, .. } => {
                self.logged_in.retain(|q| !queues.contains(q));
            }
        }
    }
}

/// Log-in states hold no personal data.
impl crate::personal::Subject for PresenceEvent {}

impl DomainEvent for PresenceEvent {
    fn event_type(&self) -> String {
        match self {
            PresenceEvent::AgentLoggedIn { .. } => "AgentLoggedIn",
            PresenceEvent::AgentLoggedOut { .. } => "AgentLoggedOut",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        EVENT_VERSION.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::Role;
    use chrono::TimeZone;
    use cqrs_es::test::TestFramework;
    use uuid::Uuid;

    type PresenceTest = TestFramework<Presence>;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 8, minute, 0).unwrap()
    }

    fn queues(ns: &[u128]) -> BTreeSet<QueueId> {
        ns.iter()
            .map(|n| QueueId(Uuid::from_u128(100 + n)))
            .collect()
    }

    fn kari() -> UserId {
        UserId(Uuid::from_u128(1))
    }

    fn as_kari() -> Actor {
        Actor::staff(kari(), Role::Agent)
    }

    fn logged_in(qs: &[u128], session: u64, session_started: bool) -> PresenceEvent {
        PresenceEvent::AgentLoggedIn {
            queues: queues(qs),
            session,
            session_started,
            by: as_kari(),
            at: at(0),
        }
    }

    /// Kari is a member of queues 1, 2 and 3.
    fn log_in(qs: &[u128], by: Actor) -> PresenceCommand {
        PresenceCommand::LogIn {
            agent_id: kari(),
            queues: queues(qs),
            member_of: queues(&[1, 2, 3]),
            by,
            at: at(0),
        }
    }

    fn log_out(qs: &[u128], by: Actor) -> PresenceCommand {
        PresenceCommand::LogOut {
            agent_id: kari(),
            queues: queues(qs),
            by,
            at: at(9),
        }
    }

    #[test]
    fn logging_in_to_all_queues_starts_a_session() {
        PresenceTest::with(NoServices)
            .given_no_previous_events()
            .when(log_in(&[1, 2], as_kari()))
            .then_expect_events(vec![logged_in(&[1, 2], 1, true)]);
    }

    #[test]
    fn logging_in_again_records_only_the_new_queues() {
        PresenceTest::with(NoServices)
            .given(vec![logged_in(&[1], 1, true)])
            .when(log_in(&[1, 2], as_kari()))
            .then_expect_events(vec![logged_in(&[2], 1, false)]);
    }

    #[test]
    fn logging_in_when_already_in_every_queue_records_nothing() {
        PresenceTest::with(NoServices)
            .given(vec![logged_in(&[1, 2], 1, true)])
            .when(log_in(&[1, 2], as_kari()))
            .then_expect_events(vec![]);
    }

    #[test]
    fn an_agent_with_no_queues_cannot_log_in() {
        PresenceTest::with(NoServices)
            .given_no_previous_events()
            .when(log_in(&[], as_kari()))
            .then_expect_error(PresenceError::NoQueues);
    }

    #[test]
    fn an_agent_logs_in_only_to_queues_they_are_a_member_of() {
        let boss = Actor::staff(UserId(Uuid::from_u128(9)), Role::Supervisor);
        PresenceTest::with(NoServices)
            .given_no_previous_events()
            .when(log_in(&[3, 4], boss))
            .then_expect_error(PresenceError::NotAMember);
    }

    #[test]
    fn logging_out_of_every_queue_ends_the_session() {
        PresenceTest::with(NoServices)
            .given(vec![logged_in(&[1, 2], 1, true)])
            .when(log_out(&[1, 2], as_kari()))
            .then_expect_events(vec![PresenceEvent::AgentLoggedOut {
                queues: queues(&[1, 2]),
                session_ended: true,
                by: as_kari(),
                at: at(9),
            }]);
    }

    #[test]
    fn a_new_log_in_after_logging_out_starts_the_next_session() {
        let out = PresenceEvent::AgentLoggedOut {
            queues: queues(&[1]),
            session_ended: true,
            by: as_kari(),
            at: at(5),
        };
        PresenceTest::with(NoServices)
            .given(vec![logged_in(&[1], 1, true), out])
            .when(log_in(&[1], as_kari()))
            .then_expect_events(vec![logged_in(&[1], 2, true)]);
    }

    #[test]
    fn a_supervisor_logs_an_agent_out_of_one_queue() {
        let boss = Actor::staff(UserId(Uuid::from_u128(9)), Role::Supervisor);
        PresenceTest::with(NoServices)
            .given(vec![logged_in(&[1, 2], 1, true)])
            .when(log_out(&[2], boss))
            .then_expect_events(vec![PresenceEvent::AgentLoggedOut {
                queues: queues(&[2]),
                session_ended: false,
                by: boss,
                at: at(9),
            }]);
    }

    #[test]
    fn an_agent_cannot_log_another_agent_in() {
        let colleague = Actor::staff(UserId(Uuid::from_u128(2)), Role::Agent);
        PresenceTest::with(NoServices)
            .given_no_previous_events()
            .when(log_in(&[1], colleague))
            .then_expect_error(PresenceError::Forbidden);
    }
}
