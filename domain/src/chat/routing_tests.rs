//! Offers: routing offers a waiting chat to one agent, who accepts, declines or lets it run
//! out; and a chat its agent leaves goes back to its queue. Given / when / then, like the
//! chat's other rules.

use super::tests::{
    agent, agent_id, at, customer_message, members_queues, queue, requested, ChatTest,
};
use super::*;
use crate::actor::Role;
use crate::ids::MessageId;
use crate::text::MessageText;
use std::collections::BTreeSet;
use uuid::Uuid;

fn offer_to(n: u128) -> ChatCommand {
    ChatCommand::Offer {
        agent_id: agent_id(n),
        agent_queues: members_queues(),
        expires_at: at(2),
        choice: None,
        at: at(1),
    }
}

fn offered_to(n: u128) -> ChatEvent {
    ChatEvent::ChatOffered {
        agent_id: agent_id(n),
        expires_at: at(2),
        choice: None,
        by: Actor::Routing,
        at: at(1),
    }
}

fn accepted_by(n: u128, minute: u32) -> ChatEvent {
    ChatEvent::ChatAssigned {
        agent_id: agent_id(n),
        via: Assignment::Routing,
        choice: None,
        by: agent(n),
        at: at(minute),
    }
}

#[test]
fn routing_offers_a_waiting_chat_to_a_member_of_its_queue() {
    ChatTest::with(NoServices)
        .given(vec![requested()])
        .when(offer_to(1))
        .then_expect_events(vec![offered_to(1)]);
}

#[test]
fn a_chat_is_offered_to_one_agent_at_a_time() {
    ChatTest::with(NoServices)
        .given(vec![requested(), offered_to(1)])
        .when(offer_to(2))
        .then_expect_error(ChatError::OfferedToAnother);
}

#[test]
fn offering_again_to_the_same_agent_changes_nothing() {
    ChatTest::with(NoServices)
        .given(vec![requested(), offered_to(1)])
        .when(offer_to(1))
        .then_expect_events(vec![]);
}

#[test]
fn a_chat_is_offered_only_to_members_of_its_queue() {
    ChatTest::with(NoServices)
        .given(vec![requested()])
        .when(ChatCommand::Offer {
            agent_id: agent_id(1),
            agent_queues: BTreeSet::new(),
            expires_at: at(2),
            choice: None,
            at: at(1),
        })
        .then_expect_error(ChatError::NotAMember);
}

#[test]
fn the_offered_agent_accepts_and_the_chat_is_theirs_by_routing() {
    ChatTest::with(NoServices)
        .given(vec![requested(), offered_to(1)])
        .when(ChatCommand::AcceptOffer {
            by: agent(1),
            at: at(1),
        })
        .then_expect_events(vec![accepted_by(1, 1)]);
}

#[test]
fn only_the_offered_agent_may_accept() {
    ChatTest::with(NoServices)
        .given(vec![requested(), offered_to(1)])
        .when(ChatCommand::AcceptOffer {
            by: agent(2),
            at: at(1),
        })
        .then_expect_error(ChatError::NotOffered);
}

#[test]
fn an_accept_retried_after_it_succeeded_changes_nothing() {
    ChatTest::with(NoServices)
        .given(vec![requested(), offered_to(1), accepted_by(1, 1)])
        .when(ChatCommand::AcceptOffer {
            by: agent(1),
            at: at(1),
        })
        .then_expect_events(vec![]);
}

#[test]
fn an_offer_that_was_declined_cannot_be_accepted() {
    let declined = ChatEvent::OfferDeclined {
        agent_id: agent_id(1),
        by: agent(1),
        at: at(1),
    };
    ChatTest::with(NoServices)
        .given(vec![requested(), offered_to(1), declined])
        .when(ChatCommand::AcceptOffer {
            by: agent(1),
            at: at(1),
        })
        .then_expect_error(ChatError::NotOffered);
}

#[test]
fn the_offered_agent_declines_and_the_chat_waits_for_the_next() {
    ChatTest::with(NoServices)
        .given(vec![requested(), offered_to(1)])
        .when(ChatCommand::DeclineOffer {
            by: agent(1),
            at: at(1),
        })
        .then_expect_events(vec![ChatEvent::OfferDeclined {
            agent_id: agent_id(1),
            by: agent(1),
            at: at(1),
        }]);
}

#[test]
fn an_offer_runs_out_only_once_its_time_has_passed() {
    ChatTest::with(NoServices)
        .given(vec![requested(), offered_to(1)])
        .when(ChatCommand::ExpireOffer {
            agent_id: agent_id(1),
            at: at(1),
        })
        .then_expect_events(vec![]);
    ChatTest::with(NoServices)
        .given(vec![requested(), offered_to(1)])
        .when(ChatCommand::ExpireOffer {
            agent_id: agent_id(1),
            at: at(2),
        })
        .then_expect_events(vec![ChatEvent::OfferExpired {
            agent_id: agent_id(1),
            by: Actor::Routing,
            at: at(2),
        }]);
}

#[test]
fn an_accepted_offer_does_not_run_out() {
    ChatTest::with(NoServices)
        .given(vec![requested(), offered_to(1), accepted_by(1, 1)])
        .when(ChatCommand::ExpireOffer {
            agent_id: agent_id(1),
            at: at(3),
        })
        .then_expect_events(vec![]);
}

#[test]
fn after_an_offer_ran_out_the_chat_can_be_offered_to_the_next_agent() {
    let expired = ChatEvent::OfferExpired {
        agent_id: agent_id(1),
        by: Actor::Routing,
        at: at(2),
    };
    ChatTest::with(NoServices)
        .given(vec![requested(), offered_to(1), expired])
        .when(offer_to(2))
        .then_expect_events(vec![offered_to(2)]);
}

#[test]
fn the_offered_agents_first_message_accepts_the_chat() {
    let text = MessageText::parse("Hei, jeg hjelper deg!").unwrap();
    ChatTest::with(NoServices)
        .given(vec![requested(), customer_message(1), offered_to(1)])
        .when(ChatCommand::SendMessage {
            message_id: MessageId(Uuid::from_u128(7)),
            text: text.clone(),
            client_message_id: None,
            by: agent(1),
            at: at(1),
        })
        .then_expect_events(vec![
            accepted_by(1, 1),
            ChatEvent::MessageSent {
                message_id: MessageId(Uuid::from_u128(7)),
                number: 2,
                author: Author::Agent {
                    user_id: agent_id(1),
                },
                text: text.into(),
                client_message_id: None,
                at: at(1),
            },
        ]);
}

#[test]
fn another_agent_may_still_pick_up_an_offered_chat_by_hand() {
    let other = Actor::staff(agent_id(2), Role::Agent);
    ChatTest::with(NoServices)
        .given(vec![requested(), offered_to(1)])
        .when(ChatCommand::Assign {
            agent_id: agent_id(2),
            agent_queues: members_queues(),
            via: Assignment::Pickup,
            choice: None,
            by: other,
            at: at(1),
        })
        .then_expect_events(vec![ChatEvent::ChatAssigned {
            agent_id: agent_id(2),
            via: Assignment::Pickup,
            choice: None,
            by: other,
            at: at(1),
        }]);
}

#[test]
fn the_agent_puts_their_chat_back_in_its_queue() {
    ChatTest::with(NoServices)
        .given(vec![requested(), accepted_by(1, 1)])
        .when(ChatCommand::Requeue {
            by: agent(1),
            at: at(3),
        })
        .then_expect_events(vec![ChatEvent::ChatRequeued {
            queue_id: queue(1),
            from_agent: agent_id(1),
            by: agent(1),
            at: at(3),
        }]);
}

#[test]
fn the_system_requeues_the_chat_of_an_agent_who_is_gone_and_nobody_else_may() {
    ChatTest::with(NoServices)
        .given(vec![requested(), accepted_by(1, 1)])
        .when(ChatCommand::Requeue {
            by: Actor::System,
            at: at(3),
        })
        .then_expect_events(vec![ChatEvent::ChatRequeued {
            queue_id: queue(1),
            from_agent: agent_id(1),
            by: Actor::System,
            at: at(3),
        }]);
    ChatTest::with(NoServices)
        .given(vec![requested(), accepted_by(1, 1)])
        .when(ChatCommand::Requeue {
            by: agent(2),
            at: at(3),
        })
        .then_expect_error(ChatError::Forbidden);
}

#[test]
fn only_a_chat_someone_has_can_be_requeued() {
    ChatTest::with(NoServices)
        .given(vec![requested()])
        .when(ChatCommand::Requeue {
            by: Actor::System,
            at: at(3),
        })
        .then_expect_error(ChatError::NotAssigned);
}

#[test]
fn a_requeued_chat_can_be_offered_to_the_next_agent() {
    let requeued = ChatEvent::ChatRequeued {
        queue_id: queue(1),
        from_agent: agent_id(1),
        by: Actor::System,
        at: at(1),
    };
    ChatTest::with(NoServices)
        .given(vec![requested(), accepted_by(1, 1), requeued])
        .when(offer_to(2))
        .then_expect_events(vec![offered_to(2)]);
}

#[test]
fn routing_withdraws_an_offer_to_an_agent_who_can_no_longer_take_it_once() {
    let withdrawn = ChatEvent::OfferWithdrawn {
        agent_id: agent_id(1),
        by: Actor::Routing,
        at: at(1),
    };
    let withdraw = || ChatCommand::WithdrawOffer {
        agent_id: agent_id(1),
        at: at(1),
    };
    ChatTest::with(NoServices)
        .given(vec![requested(), offered_to(1)])
        .when(withdraw())
        .then_expect_events(vec![withdrawn.clone()]);
    ChatTest::with(NoServices)
        .given(vec![requested(), offered_to(1), withdrawn])
        .when(withdraw())
        .then_expect_events(vec![]);
}
