//! A message left for a queue (outside its opening hours, or when nobody can answer): the
//! customer's name, e-mail address and text. It waits, unrouted, in its queue's list of left
//! messages until someone who works the queue answers it; the answer goes to the customer by
//! e-mail, as the copy of a conversation does (the address is the copy's).

use super::{Author, Chat, ChatError, ChatEvent, ChatStatus};
use crate::actor::Actor;
use crate::ids::{CategoryId, MessageId, QueueId};
use crate::text::{MessageText, Name};
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

/// What a customer leaves: `email` is an address, checked by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct LeftMessage {
    pub queue_id: QueueId,
    pub category_id: Option<CategoryId>,
    pub customer_name: Name,
    pub email: String,
    pub message_id: MessageId,
    pub text: MessageText,
}

impl Chat {
    pub(super) fn leave_message(
        &self,
        left: LeftMessage,
        at: DateTime<Utc>,
    ) -> Result<Vec<ChatEvent>, ChatError> {
        if self.status != ChatStatus::New {
            return Err(ChatError::AlreadyRequested);
        }
        let by = Actor::Customer;
        Ok(vec![
            ChatEvent::MessageLeft {
                queue_id: left.queue_id,
                category_id: left.category_id,
                customer_name: left.customer_name.into(),
                by,
                at,
            },
            ChatEvent::MessageSent {
                message_id: left.message_id,
                number: 1,
                author: Author::Customer,
                text: left.text.into(),
                client_message_id: None,
                at,
            },
            ChatEvent::TranscriptRequested {
                to: left.email.into(),
                by,
                at,
            },
        ])
    }

    /// `agent_queues`: the queues the one answering is a member of.
    pub(super) fn answer_left_message(
        &self,
        message_id: MessageId,
        text: MessageText,
        agent_queues: &BTreeSet<QueueId>,
        by: Actor,
        at: DateTime<Utc>,
    ) -> Result<Vec<ChatEvent>, ChatError> {
        match self.status {
            ChatStatus::Left => {}
            ChatStatus::New => return Err(ChatError::NotFound),
            _ => return Err(ChatError::NotALeftMessage),
        }
        let Some(user_id) = by.user_id() else {
            return Err(ChatError::Forbidden);
        };
        let member = self.queue_id.is_some_and(|q| agent_queues.contains(&q));
        if !(member || by.oversees()) {
            return Err(ChatError::NotAMember);
        }
        Ok(vec![
            ChatEvent::MessageSent {
                message_id,
                number: self.messages + 1,
                author: Author::Agent { user_id },
                text: text.into(),
                client_message_id: None,
                at,
            },
            ChatEvent::LeftMessageAnswered {
                agent_id: user_id,
                by,
                at,
            },
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{agent, agent_id, at, members_queues, queue, ChatTest};
    use super::super::ChatCommand;
    use super::*;
    use crate::actor::Role;
    use crate::ids::UserId;
    use crate::NoServices;
    use uuid::Uuid;

    fn message_id(n: u128) -> MessageId {
        MessageId(Uuid::from_u128(5000 + n))
    }

    fn kari_leaves() -> LeftMessage {
        LeftMessage {
            queue_id: queue(1),
            category_id: None,
            customer_name: Name::parse("Kari").unwrap(),
            email: "kari@example.no".into(),
            message_id: message_id(1),
            text: MessageText::parse("Ring meg i morgen").unwrap(),
        }
    }

    fn leave() -> ChatCommand {
        ChatCommand::LeaveMessage {
            left: kari_leaves(),
            at: at(0),
        }
    }

    fn left() -> Vec<ChatEvent> {
        Chat::default().leave_message(kari_leaves(), at(0)).unwrap()
    }

    fn answer(by: Actor, queues: BTreeSet<QueueId>) -> ChatCommand {
        ChatCommand::AnswerLeftMessage {
            message_id: message_id(2),
            text: MessageText::parse("Vi ringer deg kl. 10").unwrap(),
            agent_queues: queues,
            by,
            at: at(30),
        }
    }

    #[test]
    fn a_left_message_is_the_customers_text_with_the_address_its_answer_goes_to() {
        ChatTest::with(NoServices)
            .given_no_previous_events()
            .when(leave())
            .then_expect_events(vec![
                ChatEvent::MessageLeft {
                    queue_id: queue(1),
                    category_id: None,
                    customer_name: Name::parse("Kari").unwrap().into(),
                    by: Actor::Customer,
                    at: at(0),
                },
                ChatEvent::MessageSent {
                    message_id: message_id(1),
                    number: 1,
                    author: Author::Customer,
                    text: MessageText::parse("Ring meg i morgen").unwrap().into(),
                    client_message_id: None,
                    at: at(0),
                },
                ChatEvent::TranscriptRequested {
                    to: "kari@example.no".to_string().into(),
                    by: Actor::Customer,
                    at: at(0),
                },
            ]);
    }

    #[test]
    fn a_member_of_the_queue_answers_it_once_and_the_answer_is_then_due_by_mail() {
        ChatTest::with(NoServices)
            .given(left())
            .when(answer(agent(1), members_queues()))
            .then_expect_events(vec![
                ChatEvent::MessageSent {
                    message_id: message_id(2),
                    number: 2,
                    author: Author::Agent {
                        user_id: agent_id(1),
                    },
                    text: MessageText::parse("Vi ringer deg kl. 10").unwrap().into(),
                    client_message_id: None,
                    at: at(30),
                },
                ChatEvent::LeftMessageAnswered {
                    agent_id: agent_id(1),
                    by: agent(1),
                    at: at(30),
                },
            ]);
        let mut chat = Chat::default();
        for event in left() {
            cqrs_es::Aggregate::apply(&mut chat, event);
        }
        assert!(
            !chat.transcript_due(),
            "nothing is mailed before the answer"
        );
        for event in chat
            .answer_left_message(
                message_id(2),
                MessageText::parse("Svar").unwrap(),
                &members_queues(),
                agent(1),
                at(30),
            )
            .unwrap()
        {
            cqrs_es::Aggregate::apply(&mut chat, event);
        }
        assert!(chat.transcript_due(), "the answer goes out by mail");
    }

    #[test]
    fn an_agent_of_another_queue_may_not_answer_it_but_a_supervisor_may() {
        ChatTest::with(NoServices)
            .given(left())
            .when(answer(agent(1), BTreeSet::from([queue(7)])))
            .then_expect_error(ChatError::NotAMember);
        let supervisor = Actor::staff(UserId(Uuid::from_u128(90)), Role::Supervisor);
        ChatTest::with(NoServices)
            .given(left())
            .when(answer(supervisor, BTreeSet::new()))
            .inspect_result()
            .expect("a supervisor answers any queue's message");
    }

    #[test]
    fn an_answered_message_is_not_answered_again_and_takes_no_chat_messages() {
        let mut answered = left();
        answered.push(ChatEvent::LeftMessageAnswered {
            agent_id: agent_id(1),
            by: agent(1),
            at: at(30),
        });
        ChatTest::with(NoServices)
            .given(answered.clone())
            .when(answer(agent(1), members_queues()))
            .then_expect_error(ChatError::NotALeftMessage);
        ChatTest::with(NoServices)
            .given(left())
            .when(ChatCommand::SendMessage {
                message_id: message_id(3),
                text: MessageText::parse("hallo?").unwrap(),
                client_message_id: None,
                by: Actor::Customer,
                at: at(2),
            })
            .then_expect_error(ChatError::Closed);
    }

    #[test]
    fn a_chat_in_its_queue_is_not_a_left_message() {
        ChatTest::with(NoServices)
            .given(vec![super::super::tests::requested()])
            .when(answer(agent(1), members_queues()))
            .then_expect_error(ChatError::NotALeftMessage);
    }
}
