//! Supervisors with a chat in progress: taking it over (it becomes theirs), and the agent's
//! raised hand that asks one of them for help (their whispers are notes: see `notes`).

use super::{Chat, ChatError, ChatEvent};
use crate::actor::Actor;
use chrono::{DateTime, Utc};

impl Chat {
    /// A supervisor or administrator takes the chat over from its agent; it is theirs at once,
    /// whatever their own load (it is their call).
    pub(super) fn take_over(
        &self,
        by: Actor,
        at: DateTime<Utc>,
    ) -> Result<Vec<ChatEvent>, ChatError> {
        let from_agent = self.require_assigned()?;
        let Some(to_agent) = by.user_id().filter(|_| by.oversees()) else {
            return Err(ChatError::Forbidden);
        };
        if from_agent == to_agent {
            return Ok(vec![]);
        }
        Ok(vec![ChatEvent::ChatHandedOver {
            from_agent,
            to_agent,
            by,
            at,
        }])
    }

    /// The chat's agent raises a hand for help, or lowers it; a supervisor who came to help
    /// may lower it too.
    pub(super) fn raise_hand(
        &self,
        raised: bool,
        by: Actor,
        at: DateTime<Utc>,
    ) -> Result<Vec<ChatEvent>, ChatError> {
        let agent_id = self.require_assigned()?;
        let its_agent = by.user_id() == Some(agent_id);
        if !(its_agent || (!raised && by.oversees())) {
            return Err(ChatError::Forbidden);
        }
        Ok(match (raised, self.hand_raised) {
            (true, false) => vec![ChatEvent::HandRaised { agent_id, by, at }],
            (false, true) => vec![ChatEvent::HandLowered { agent_id, by, at }],
            // Raised already, or not raised: as asked.
            _ => vec![],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{agent, agent_id, assigned_to, at, ended, requested, ChatTest};
    use super::super::ChatCommand;
    use super::*;
    use crate::actor::Role;
    use crate::ids::UserId;
    use crate::NoServices;
    use uuid::Uuid;

    fn supervisor() -> Actor {
        Actor::staff(UserId(Uuid::from_u128(90)), Role::Supervisor)
    }

    #[test]
    fn a_supervisor_takes_over_an_agents_chat_and_an_agent_may_not() {
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1)])
            .when(ChatCommand::TakeOver {
                by: supervisor(),
                at: at(3),
            })
            .then_expect_events(vec![ChatEvent::ChatHandedOver {
                from_agent: agent_id(1),
                to_agent: UserId(Uuid::from_u128(90)),
                by: supervisor(),
                at: at(3),
            }]);
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1)])
            .when(ChatCommand::TakeOver {
                by: agent(2),
                at: at(3),
            })
            .then_expect_error(ChatError::Forbidden);
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1), ended()])
            .when(ChatCommand::TakeOver {
                by: supervisor(),
                at: at(6),
            })
            .then_expect_error(ChatError::Closed);
    }

    fn hand(raised: bool, by: Actor) -> ChatCommand {
        ChatCommand::RaiseHand {
            raised,
            by,
            at: at(3),
        }
    }

    #[test]
    fn the_agent_raises_a_hand_once_and_a_supervisor_lowers_it() {
        let raised = ChatEvent::HandRaised {
            agent_id: agent_id(1),
            by: agent(1),
            at: at(3),
        };
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1)])
            .when(hand(true, agent(1)))
            .then_expect_events(vec![raised.clone()]);
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1), raised.clone()])
            .when(hand(true, agent(1)))
            .then_expect_events(vec![]);
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1), raised.clone()])
            .when(hand(false, supervisor()))
            .then_expect_events(vec![ChatEvent::HandLowered {
                agent_id: agent_id(1),
                by: supervisor(),
                at: at(3),
            }]);
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1)])
            .when(hand(true, agent(2)))
            .then_expect_error(ChatError::Forbidden);
        ChatTest::with(NoServices)
            .given(vec![requested()])
            .when(hand(true, agent(1)))
            .then_expect_error(ChatError::NotAssigned);
    }
}
