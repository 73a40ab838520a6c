//! One agent's presence: which of their queues they are logged in to.
//!
//! Being logged in decides whether the dispatcher assigns chats to the agent. The agent's
//! one button logs them in to or out of every queue they are a member of; a supervisor can
//! log an agent in or out of a single queue. A *session* starts when an agent goes from no
//! queue to some queue: the agent's passive (ended) chats are listed for as long as it lasts.
//!
//! A logged-in agent may be *paused*: still logged in, seeing their queues and chats, but
//! offered and assigned nothing until they resume. Routing pauses an agent who let an offer run
//! out, so that a customer is never offered again and again to someone who is not there.

use crate::actor::Actor;
use crate::code::{BadCode, Code};
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
    /// Why routing passes the agent by, while it does.
    #[serde(default)]
    paused: Option<PauseReason>,
}

/// Why an agent is paused: `away`, one of the reasons administrators define (`lunch`,
/// `meeting`, …), or routing's `no_answer`. Stored as its word.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum PauseReason {
    /// The agent paused themselves (or a supervisor paused them) with no reason given.
    Away,
    /// An offer to the agent ran out unanswered: only routing pauses for this.
    NoAnswer,
    /// A reason from the administrators' list.
    Defined(Code),
}

impl PauseReason {
    const AWAY: &'static str = "away";
    const NO_ANSWER: &'static str = "no_answer";

    /// The reasons no administrator defines: they are always there.
    pub const BUILT_IN: [&'static str; 2] = [Self::AWAY, Self::NO_ANSWER];

    pub fn as_str(&self) -> &str {
        match self {
            PauseReason::Away => Self::AWAY,
            PauseReason::NoAnswer => Self::NO_ANSWER,
            PauseReason::Defined(code) => code.as_str(),
        }
    }
}

impl TryFrom<String> for PauseReason {
    type Error = BadCode;

    fn try_from(raw: String) -> Result<Self, BadCode> {
        Ok(match raw.as_str() {
            Self::AWAY => PauseReason::Away,
            Self::NO_ANSWER => PauseReason::NoAnswer,
            _ => PauseReason::Defined(Code::parse(&raw)?),
        })
    }
}

impl From<PauseReason> for String {
    fn from(reason: PauseReason) -> String {
        reason.as_str().to_string()
    }
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
    Pause {
        agent_id: UserId,
        reason: PauseReason,
        /// The reasons administrators have defined, as the directory has them now.
        defined: BTreeSet<Code>,
        by: Actor,
        at: DateTime<Utc>,
    },
    Resume {
        agent_id: UserId,
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
        /// True when no queue is left: the session is over (and any pause with it).
        session_ended: bool,
        by: Actor,
        at: DateTime<Utc>,
    },
    AgentPaused {
        reason: PauseReason,
        by: Actor,
        at: DateTime<Utc>,
    },
    AgentResumed {
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
    #[error("the agent is not logged in")]
    NotLoggedIn,
    #[error("no such pause reason: choose away or one of the defined reasons")]
    UnknownPauseReason,
}

impl Presence {
    fn decide(&self, command: PresenceCommand) -> Result<Vec<PresenceEvent>, PresenceError> {
        let (PresenceCommand::LogIn { agent_id, by, .. }
        | PresenceCommand::LogOut { agent_id, by, .. }
        | PresenceCommand::Pause { agent_id, by, .. }
        | PresenceCommand::Resume { agent_id, by, .. }) = &command;
        // Routing pauses an agent for an offer they let run out, and only for that. (The
        // system, which oversees, logs out an agent who is gone.)
        let routing_pauses = matches!(
            command,
            PresenceCommand::Pause {
                reason: PauseReason::NoAnswer,
                by: Actor::Routing,
                ..
            }
        );
        if !(by.oversees() || by.user_id() == Some(*agent_id) || routing_pauses) {
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
            PresenceCommand::Pause {
                reason,
                defined,
                by,
                at,
                ..
            } => {
                let offered = match &reason {
                    PauseReason::Away => true,
                    PauseReason::NoAnswer => by == Actor::Routing,
                    PauseReason::Defined(code) => defined.contains(code),
                };
                if !offered {
                    return Err(PresenceError::UnknownPauseReason);
                }
                if self.logged_in.is_empty() {
                    return Err(PresenceError::NotLoggedIn);
                }
                if self.paused.as_ref() == Some(&reason) {
                    return Ok(vec![]);
                }
                Ok(vec![PresenceEvent::AgentPaused { reason, by, at }])
            }
            PresenceCommand::Resume { by, at, .. } => Ok(match self.paused {
                Some(_) => vec![PresenceEvent::AgentResumed { by, at }],
                None => vec![],
            }),
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
            PresenceEvent::AgentLoggedOut {
                queues,
                session_ended,
                ..
            } => {
                self.logged_in.retain(|q| !queues.contains(q));
                if session_ended {
                    self.paused = None;
                }
            }
            PresenceEvent::AgentPaused { reason, .. } => self.paused = Some(reason),
            PresenceEvent::AgentResumed { .. } => self.paused = None,
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
            PresenceEvent::AgentPaused { .. } => "AgentPaused",
            PresenceEvent::AgentResumed { .. } => "AgentResumed",
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

    fn code(word: &str) -> Code {
        Code::parse(word).unwrap()
    }

    /// The administrators have defined `lunch` and `meeting`.
    fn pause(reason: PauseReason, by: Actor) -> PresenceCommand {
        PresenceCommand::Pause {
            agent_id: kari(),
            reason,
            defined: BTreeSet::from([code("lunch"), code("meeting")]),
            by,
            at: at(3),
        }
    }

    fn paused(reason: PauseReason, by: Actor) -> PresenceEvent {
        PresenceEvent::AgentPaused {
            reason,
            by,
            at: at(3),
        }
    }

    #[test]
    fn a_logged_in_agent_pauses() {
        PresenceTest::with(NoServices)
            .given(vec![logged_in(&[1], 1, true)])
            .when(pause(PauseReason::Away, as_kari()))
            .then_expect_events(vec![paused(PauseReason::Away, as_kari())]);
    }

    #[test]
    fn an_agent_pauses_for_a_defined_reason_and_changes_it() {
        let lunch = PauseReason::Defined(code("lunch"));
        let meeting = PauseReason::Defined(code("meeting"));
        PresenceTest::with(NoServices)
            .given(vec![logged_in(&[1], 1, true)])
            .when(pause(lunch.clone(), as_kari()))
            .then_expect_events(vec![paused(lunch.clone(), as_kari())]);
        PresenceTest::with(NoServices)
            .given(vec![logged_in(&[1], 1, true), paused(lunch, as_kari())])
            .when(pause(meeting.clone(), as_kari()))
            .then_expect_events(vec![paused(meeting, as_kari())]);
    }

    #[test]
    fn a_reason_nobody_defined_is_refused_and_no_answer_is_routings_alone() {
        for reason in [
            PauseReason::Defined(code("training")),
            PauseReason::NoAnswer,
        ] {
            PresenceTest::with(NoServices)
                .given(vec![logged_in(&[1], 1, true)])
                .when(pause(reason, as_kari()))
                .then_expect_error(PresenceError::UnknownPauseReason);
        }
    }

    #[test]
    fn a_reason_is_stored_as_its_word() {
        let stored = |reason: PauseReason| serde_json::to_string(&reason).unwrap();
        assert_eq!(stored(PauseReason::NoAnswer), "\"no_answer\"");
        assert_eq!(stored(PauseReason::Defined(code("lunch"))), "\"lunch\"");
        let read: PauseReason = serde_json::from_str("\"away\"").unwrap();
        assert_eq!(read, PauseReason::Away);
    }

    #[test]
    fn an_agent_who_is_not_logged_in_cannot_pause() {
        PresenceTest::with(NoServices)
            .given_no_previous_events()
            .when(pause(PauseReason::Away, as_kari()))
            .then_expect_error(PresenceError::NotLoggedIn);
    }

    #[test]
    fn routing_pauses_an_agent_only_for_an_unanswered_offer() {
        PresenceTest::with(NoServices)
            .given(vec![logged_in(&[1], 1, true)])
            .when(pause(PauseReason::NoAnswer, Actor::Routing))
            .then_expect_events(vec![paused(PauseReason::NoAnswer, Actor::Routing)]);
        PresenceTest::with(NoServices)
            .given(vec![logged_in(&[1], 1, true)])
            .when(pause(PauseReason::Away, Actor::Routing))
            .then_expect_error(PresenceError::Forbidden);
    }

    #[test]
    fn resuming_ends_the_pause_and_resuming_again_changes_nothing() {
        let resume = || PresenceCommand::Resume {
            agent_id: kari(),
            by: as_kari(),
            at: at(4),
        };
        PresenceTest::with(NoServices)
            .given(vec![
                logged_in(&[1], 1, true),
                paused(PauseReason::NoAnswer, Actor::Routing),
            ])
            .when(resume())
            .then_expect_events(vec![PresenceEvent::AgentResumed {
                by: as_kari(),
                at: at(4),
            }]);
        PresenceTest::with(NoServices)
            .given(vec![logged_in(&[1], 1, true)])
            .when(resume())
            .then_expect_events(vec![]);
    }

    #[test]
    fn a_session_ends_its_pause() {
        let out = PresenceEvent::AgentLoggedOut {
            queues: queues(&[1]),
            session_ended: true,
            by: as_kari(),
            at: at(5),
        };
        PresenceTest::with(NoServices)
            .given(vec![
                logged_in(&[1], 1, true),
                paused(PauseReason::Away, as_kari()),
                out,
                logged_in(&[1], 2, true),
            ])
            .when(pause(PauseReason::Away, as_kari()))
            .then_expect_events(vec![paused(PauseReason::Away, as_kari())]);
    }

    #[test]
    fn the_system_logs_out_an_agent_who_is_gone() {
        PresenceTest::with(NoServices)
            .given(vec![logged_in(&[1], 1, true)])
            .when(log_out(&[1], Actor::System))
            .then_expect_events(vec![PresenceEvent::AgentLoggedOut {
                queues: queues(&[1]),
                session_ended: true,
                by: Actor::System,
                at: at(9),
            }]);
    }
}
