//! A colleague in the conversation: the chat's agent invites another agent (or a supervisor)
//! who accepts or declines; a supervisor may join at once. While joined, both see everything and
//! either may write; the customer sees a second participant. The first agent may then hand the
//! chat over (see `hand_over`), or the colleague leaves.

use super::{Chat, ChatError, ChatEvent};
use crate::actor::Actor;
use crate::ids::UserId;
use chrono::{DateTime, Utc};

/// The one invited, as the directory has them: may they see the chat (a member of its queue,
/// or one who oversees)?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invitee {
    pub user_id: UserId,
    pub may_see: bool,
}

impl Chat {
    /// Is `by` in the conversation as a colleague who joined it?
    pub(super) fn joined_by(&self, by: &Actor) -> bool {
        by.user_id().is_some_and(|id| self.joined.contains(&id))
    }

    pub(super) fn invite(
        &self,
        invitee: Invitee,
        by: Actor,
        at: DateTime<Utc>,
    ) -> Result<Vec<ChatEvent>, ChatError> {
        let agent = self.require_assigned()?;
        if !self.staff_may_act(&by) {
            return Err(ChatError::Forbidden);
        }
        if invitee.user_id == agent || self.joined.contains(&invitee.user_id) {
            return Err(ChatError::AlreadyInTheChat);
        }
        if !invitee.may_see {
            return Err(ChatError::NotAMember);
        }
        if self.invited.contains(&invitee.user_id) {
            return Ok(vec![]);
        }
        Ok(vec![ChatEvent::ColleagueInvited {
            invitee: invitee.user_id,
            by,
            at,
        }])
    }

    pub(super) fn answer_invitation(
        &self,
        accept: bool,
        by: Actor,
        at: DateTime<Utc>,
    ) -> Result<Vec<ChatEvent>, ChatError> {
        self.require_assigned()?;
        let Some(user_id) = by.user_id() else {
            return Err(ChatError::Forbidden);
        };
        if accept && self.joined.contains(&user_id) {
            return Ok(vec![]);
        }
        if !self.invited.contains(&user_id) {
            return Err(ChatError::NotInvited);
        }
        Ok(vec![if accept {
            ChatEvent::ParticipantJoined { user_id, by, at }
        } else {
            ChatEvent::InvitationDeclined {
                invitee: user_id,
                by,
                at,
            }
        }])
    }

    /// A supervisor or administrator joins the conversation uninvited.
    pub(super) fn join(&self, by: Actor, at: DateTime<Utc>) -> Result<Vec<ChatEvent>, ChatError> {
        let agent = self.require_assigned()?;
        let Some(user_id) = by.user_id().filter(|_| by.oversees()) else {
            return Err(ChatError::Forbidden);
        };
        if user_id == agent || self.joined.contains(&user_id) {
            return Ok(vec![]);
        }
        Ok(vec![ChatEvent::ParticipantJoined { user_id, by, at }])
    }

    /// A colleague who joined leaves the conversation (a retry, once gone, changes nothing).
    pub(super) fn leave(&self, by: Actor, at: DateTime<Utc>) -> Result<Vec<ChatEvent>, ChatError> {
        self.require_assigned()?;
        let Some(user_id) = by.user_id() else {
            return Err(ChatError::Forbidden);
        };
        Ok(if self.joined.contains(&user_id) {
            vec![ChatEvent::ParticipantLeft { user_id, by, at }]
        } else {
            vec![]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{
        agent, agent_id, assigned_to, at, customer_message, ended, requested, ChatTest,
    };
    use super::super::{Author, ChatCommand};
    use super::*;
    use crate::ids::MessageId;
    use crate::text::MessageText;
    use crate::NoServices;
    use uuid::Uuid;

    fn invite(n: u128, may_see: bool) -> ChatCommand {
        ChatCommand::Invite {
            invitee: Invitee {
                user_id: agent_id(n),
                may_see,
            },
            by: agent(1),
            at: at(3),
        }
    }

    fn invited(n: u128) -> ChatEvent {
        ChatEvent::ColleagueInvited {
            invitee: agent_id(n),
            by: agent(1),
            at: at(3),
        }
    }

    fn joined(n: u128) -> ChatEvent {
        ChatEvent::ParticipantJoined {
            user_id: agent_id(n),
            by: agent(n),
            at: at(4),
        }
    }

    #[test]
    fn the_agent_invites_a_colleague_who_may_see_the_chat() {
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1)])
            .when(invite(2, true))
            .then_expect_events(vec![invited(2)]);
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1)])
            .when(invite(2, false))
            .then_expect_error(ChatError::NotAMember);
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1)])
            .when(invite(1, true))
            .then_expect_error(ChatError::AlreadyInTheChat);
        ChatTest::with(NoServices)
            .given(vec![requested()])
            .when(invite(2, true))
            .then_expect_error(ChatError::NotAssigned);
    }

    #[test]
    fn the_invited_colleague_joins_and_writes_or_declines_and_no_one_else_answers() {
        let accept = |n: u128, accept: bool| ChatCommand::AnswerInvitation {
            accept,
            by: agent(n),
            at: at(4),
        };
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1), invited(2)])
            .when(accept(2, true))
            .then_expect_events(vec![joined(2)]);
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1), invited(2)])
            .when(accept(2, false))
            .then_expect_events(vec![ChatEvent::InvitationDeclined {
                invitee: agent_id(2),
                by: agent(2),
                at: at(4),
            }]);
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1), invited(2)])
            .when(accept(3, true))
            .then_expect_error(ChatError::NotInvited);
        let message = ChatCommand::SendMessage {
            message_id: MessageId(Uuid::from_u128(8000)),
            text: MessageText::parse("Hei, Ola her").unwrap(),
            client_message_id: None,
            by: agent(2),
            at: at(5),
        };
        ChatTest::with(NoServices)
            .given(vec![
                requested(),
                assigned_to(1),
                customer_message(1),
                invited(2),
                joined(2),
            ])
            .when(message.clone())
            .then_expect_events(vec![ChatEvent::MessageSent {
                message_id: MessageId(Uuid::from_u128(8000)),
                number: 2,
                author: Author::Agent {
                    user_id: agent_id(2),
                },
                text: MessageText::parse("Hei, Ola her").unwrap().into(),
                client_message_id: None,
                at: at(5),
            }]);
        // Gone again, they write no more.
        ChatTest::with(NoServices)
            .given(vec![
                requested(),
                assigned_to(1),
                invited(2),
                joined(2),
                ChatEvent::ParticipantLeft {
                    user_id: agent_id(2),
                    by: agent(2),
                    at: at(6),
                },
            ])
            .when(message)
            .then_expect_error(ChatError::Forbidden);
    }

    #[test]
    fn only_those_who_oversee_join_uninvited_and_an_ended_chat_takes_nobody() {
        use crate::actor::Role;
        let supervisor = Actor::staff(UserId(Uuid::from_u128(90)), Role::Supervisor);
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1)])
            .when(ChatCommand::Join {
                by: supervisor,
                at: at(4),
            })
            .then_expect_events(vec![ChatEvent::ParticipantJoined {
                user_id: UserId(Uuid::from_u128(90)),
                by: supervisor,
                at: at(4),
            }]);
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1)])
            .when(ChatCommand::Join {
                by: agent(2),
                at: at(4),
            })
            .then_expect_error(ChatError::Forbidden);
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1), ended()])
            .when(invite(2, true))
            .then_expect_error(ChatError::Closed);
    }
}
