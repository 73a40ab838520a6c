//! Handing an ongoing chat to a named colleague (signing out, or passing it to someone who
//! knows the matter): it goes from agent to agent without waiting in the queue, on routing's
//! terms — the colleague works the chat's queue, is logged in to it and has room.

use super::{Chat, ChatError, ChatEvent};
use crate::actor::Actor;
use crate::ids::{QueueId, UserId};
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

/// The colleague as the read models have them now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Colleague {
    pub agent_id: UserId,
    /// The queues they are logged in to (and not paused in).
    pub available_in: BTreeSet<QueueId>,
    /// They have fewer chats than they may have at once.
    pub has_room: bool,
}

impl Chat {
    pub(super) fn hand_over(
        &self,
        to: Colleague,
        by: Actor,
        at: DateTime<Utc>,
    ) -> Result<Vec<ChatEvent>, ChatError> {
        let from_agent = self.require_assigned()?;
        // A retry after the first attempt landed: the chat is the colleague's already, and the
        // one who asks is the one who handed it over (or oversees).
        if from_agent == to.agent_id {
            return match self.handed {
                Some((from, handed_to)) if handed_to == to.agent_id => {
                    if by.user_id() == Some(from) || by.oversees() {
                        Ok(vec![])
                    } else {
                        Err(ChatError::Forbidden)
                    }
                }
                _ => Err(ChatError::AlreadyTheirs),
            };
        }
        if !self.staff_may_act(&by) {
            return Err(ChatError::Forbidden);
        }
        if !self.queue_id.is_some_and(|q| to.available_in.contains(&q)) {
            return Err(ChatError::ColleagueUnavailable);
        }
        if !to.has_room {
            return Err(ChatError::ColleagueHasNoRoom);
        }
        Ok(vec![ChatEvent::ChatHandedOver {
            from_agent,
            to_agent: to.agent_id,
            by,
            at,
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{
        agent, agent_id, assigned_to, at, ended, queue, requested, ChatTest,
    };
    use super::super::ChatCommand;
    use super::*;
    use crate::NoServices;

    fn to(n: u128, available_in: BTreeSet<QueueId>, has_room: bool) -> ChatCommand {
        ChatCommand::HandOver {
            to: Colleague {
                agent_id: agent_id(n),
                available_in,
                has_room,
            },
            by: agent(1),
            at: at(3),
        }
    }

    fn in_queue_one() -> BTreeSet<QueueId> {
        BTreeSet::from([queue(1)])
    }

    #[test]
    fn the_agent_hands_the_chat_to_a_colleague_logged_in_to_its_queue() {
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1)])
            .when(to(2, in_queue_one(), true))
            .then_expect_events(vec![ChatEvent::ChatHandedOver {
                from_agent: agent_id(1),
                to_agent: agent_id(2),
                by: agent(1),
                at: at(3),
            }]);
    }

    #[test]
    fn a_colleague_who_is_not_in_the_queue_or_is_full_does_not_get_it() {
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1)])
            .when(to(2, BTreeSet::from([queue(2)]), true))
            .then_expect_error(ChatError::ColleagueUnavailable);
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1)])
            .when(to(2, in_queue_one(), false))
            .then_expect_error(ChatError::ColleagueHasNoRoom);
    }

    #[test]
    fn only_its_agent_or_those_who_oversee_hand_it_over() {
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(3)])
            .when(to(2, in_queue_one(), true))
            .then_expect_error(ChatError::Forbidden);
    }

    #[test]
    fn a_retried_hand_over_is_done_already_and_a_chat_waiting_or_ended_is_not_handed_over() {
        let handed = ChatEvent::ChatHandedOver {
            from_agent: agent_id(1),
            to_agent: agent_id(2),
            by: agent(1),
            at: at(3),
        };
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1), handed.clone()])
            .when(to(2, in_queue_one(), false))
            .then_expect_events(vec![]);
        // Another agent's "retry" is no retry of theirs.
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1), handed])
            .when(ChatCommand::HandOver {
                to: Colleague {
                    agent_id: agent_id(2),
                    available_in: in_queue_one(),
                    has_room: true,
                },
                by: agent(3),
                at: at(4),
            })
            .then_expect_error(ChatError::Forbidden);
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(2)])
            .when(to(2, in_queue_one(), true))
            .then_expect_error(ChatError::AlreadyTheirs);
        ChatTest::with(NoServices)
            .given(vec![requested()])
            .when(to(2, in_queue_one(), true))
            .then_expect_error(ChatError::NotAssigned);
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1), ended()])
            .when(to(2, in_queue_one(), true))
            .then_expect_error(ChatError::Closed);
    }
}
