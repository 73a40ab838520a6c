//! The chat's rules, one test each, in cqrs-es's given / when / then form.

use super::*;
use crate::actor::Role;
use crate::form::{FieldKind, FormAnswer, FormField};
use crate::ids::MessageId;
use crate::personal::Subject;
use crate::text::{MessageText, Name};
use chrono::{DateTime, TimeZone, Utc};
use cqrs_es::test::TestFramework;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

pub(super) type ChatTest = TestFramework<Chat>;

pub(super) fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, minute, 0).unwrap()
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

pub(super) fn queue(n: u128) -> QueueId {
    QueueId(id(100 + n))
}

fn category(n: u128) -> CategoryId {
    CategoryId(id(200 + n))
}

pub(super) fn agent(n: u128) -> Actor {
    Actor::staff(UserId(id(n)), Role::Agent)
}

pub(super) fn agent_id(n: u128) -> UserId {
    UserId(id(n))
}

fn supervisor() -> Actor {
    Actor::staff(UserId(id(90)), Role::Supervisor)
}

fn email_field() -> FormField {
    FormField {
        key: "email".into(),
        label: "E-post".into(),
        label_en: None,
        kind: FieldKind::Email,
        required: true,
        options: vec![],
        options_en: vec![],
        max_length: 100,
    }
}

pub(super) fn requested() -> ChatEvent {
    ChatEvent::ChatRequested {
        queue_id: queue(1),
        category_id: Some(category(1)),
        customer_name: Name::parse("Kari").unwrap().into(),
        answers: vec![FormAnswer {
            key: "email".into(),
            label: "E-post".into(),
            value: "kari@example.no".into(),
            kind: Some(FieldKind::Email),
        }]
        .into(),
        known_customer: None,
        by: Actor::Customer,
        at: at(0),
    }
}

#[test]
fn a_closed_queue_takes_no_new_chat_and_says_when_it_opens() {
    use crate::hours::{Day, OpeningHours, Span};
    // Mondays 10:00-12:00 UTC; `at(0)` is Wednesday 25 November, 09:00.
    let hours = OpeningHours {
        time_zone: "UTC".into(),
        weekly: BTreeMap::from([(
            Day::Mon,
            vec![Span {
                from: "10:00".parse().unwrap(),
                to: "12:00".parse().unwrap(),
            }],
        )]),
        exceptions: vec![],
    };
    let closed = ChatCommand::Request {
        queue_id: queue(1),
        category_id: None,
        customer_name: Name::parse("Kari").unwrap(),
        form: vec![],
        answers: BTreeMap::new(),
        known_customer: None,
        hours: Some(hours),
        at: at(0),
    };
    ChatTest::with(NoServices)
        .given_no_previous_events()
        .when(closed)
        .then_expect_error(ChatError::QueueClosed {
            opens_at: Some(Utc.with_ymd_and_hms(2026, 11, 30, 10, 0, 0).unwrap()),
        });
}

pub(super) fn assigned_to(n: u128) -> ChatEvent {
    ChatEvent::ChatAssigned {
        agent_id: agent_id(n),
        via: Assignment::Pickup,
        choice: None,
        by: agent(n),
        at: at(1),
    }
}

pub(super) fn customer_message(number: u64) -> ChatEvent {
    ChatEvent::MessageSent {
        message_id: MessageId(id(1000 + u128::from(number))),
        number,
        author: Author::Customer,
        text: MessageText::parse("hei").unwrap().into(),
        client_message_id: None,
        at: at(2),
    }
}

pub(super) fn ended() -> ChatEvent {
    ChatEvent::ChatEnded {
        agent_id: Some(agent_id(1)),
        by: agent(1),
        at: at(5),
    }
}

/// The agents of these tests are members of queues 1 and 2.
pub(super) fn members_queues() -> BTreeSet<QueueId> {
    BTreeSet::from([queue(1), queue(2)])
}

fn pickup_by(n: u128) -> ChatCommand {
    ChatCommand::Assign {
        agent_id: agent_id(n),
        agent_queues: members_queues(),
        via: Assignment::Pickup,
        choice: None,
        by: agent(n),
        at: at(1),
    }
}

fn send(by: Actor, text: &str) -> ChatCommand {
    ChatCommand::SendMessage {
        message_id: MessageId(id(1003)),
        text: MessageText::parse(text).unwrap(),
        client_message_id: Some("c-1".into()),
        by,
        at: at(3),
    }
}

fn transfer_to(q: u128, by: Actor) -> ChatCommand {
    ChatCommand::Transfer {
        to_queue: queue(q),
        to_category: None,
        by,
        at: at(4),
    }
}

fn request_with(answers: &[(&str, &str)]) -> ChatCommand {
    ChatCommand::Request {
        queue_id: queue(1),
        category_id: Some(category(1)),
        customer_name: Name::parse("Kari").unwrap(),
        form: vec![email_field()],
        answers: answers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        known_customer: None,
        hours: None,
        at: at(0),
    }
}

#[test]
fn a_customer_request_puts_the_chat_in_its_queue() {
    ChatTest::with(NoServices)
        .given_no_previous_events()
        .when(request_with(&[("email", "kari@example.no")]))
        .then_expect_events(vec![requested()]);
}

#[test]
fn a_request_with_invalid_answers_creates_nothing() {
    let result = ChatTest::with(NoServices)
        .given_no_previous_events()
        .when(request_with(&[("email", "nope")]))
        .inspect_result();
    match result {
        Err(ChatError::InvalidForm(errors)) => assert_eq!(errors[0].key, "email"),
        other => panic!("expected invalid form, got {other:?}"),
    }
}

#[test]
fn a_chat_id_cannot_be_requested_twice() {
    ChatTest::with(NoServices)
        .given(vec![requested()])
        .when(request_with(&[("email", "kari@example.no")]))
        .then_expect_error(ChatError::AlreadyRequested);
}

#[test]
fn an_agent_picks_up_a_waiting_chat() {
    ChatTest::with(NoServices)
        .given(vec![requested()])
        .when(pickup_by(1))
        .then_expect_events(vec![assigned_to(1)]);
}

#[test]
fn only_a_waiting_chat_can_be_picked_up() {
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1)])
        .when(pickup_by(2))
        .then_expect_error(ChatError::NotWaiting);
}

#[test]
fn an_ended_chat_cannot_be_picked_up() {
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1), ended()])
        .when(pickup_by(2))
        .then_expect_error(ChatError::Closed);
}

#[test]
fn an_agent_cannot_pick_up_on_behalf_of_another() {
    ChatTest::with(NoServices)
        .given(vec![requested()])
        .when(ChatCommand::Assign {
            agent_id: agent_id(2),
            agent_queues: members_queues(),
            via: Assignment::Pickup,
            choice: None,
            by: agent(1),
            at: at(1),
        })
        .then_expect_error(ChatError::Forbidden);
}

#[test]
fn routing_assigns_only_as_routing() {
    ChatTest::with(NoServices)
        .given(vec![requested()])
        .when(ChatCommand::Assign {
            agent_id: agent_id(1),
            agent_queues: members_queues(),
            via: Assignment::Routing,
            choice: None,
            by: agent(1),
            at: at(1),
        })
        .then_expect_error(ChatError::Forbidden);
}

#[test]
fn an_agent_picks_up_only_in_their_own_queues() {
    ChatTest::with(NoServices)
        .given(vec![requested()])
        .when(ChatCommand::Assign {
            agent_id: agent_id(1),
            agent_queues: BTreeSet::from([queue(2)]),
            via: Assignment::Pickup,
            choice: None,
            by: agent(1),
            at: at(1),
        })
        .then_expect_error(ChatError::NotAMember);
}

#[test]
fn routing_assigns_only_to_members_of_the_queue() {
    ChatTest::with(NoServices)
        .given(vec![requested()])
        .when(ChatCommand::Assign {
            agent_id: agent_id(1),
            agent_queues: BTreeSet::new(),
            via: Assignment::Routing,
            choice: None,
            by: Actor::Routing,
            at: at(1),
        })
        .then_expect_error(ChatError::NotAMember);
}

#[test]
fn a_supervisor_may_take_a_chat_of_any_queue() {
    ChatTest::with(NoServices)
        .given(vec![requested()])
        .when(ChatCommand::Assign {
            agent_id: UserId(id(90)),
            agent_queues: BTreeSet::new(),
            via: Assignment::Pickup,
            choice: None,
            by: supervisor(),
            at: at(1),
        })
        .then_expect_events(vec![ChatEvent::ChatAssigned {
            agent_id: UserId(id(90)),
            via: Assignment::Pickup,
            choice: None,
            by: supervisor(),
            at: at(1),
        }]);
}

#[test]
fn picking_up_ones_own_chat_again_changes_nothing() {
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1)])
        .when(pickup_by(1))
        .then_expect_events(vec![]);
}

#[test]
fn the_customer_can_write_while_waiting() {
    ChatTest::with(NoServices)
        .given(vec![requested()])
        .when(send(Actor::Customer, "hallo?"))
        .then_expect_events(vec![ChatEvent::MessageSent {
            message_id: MessageId(id(1003)),
            number: 1,
            author: Author::Customer,
            text: MessageText::parse("hallo?").unwrap().into(),
            client_message_id: Some("c-1".into()),
            at: at(3),
        }]);
}

#[test]
fn messages_are_numbered_in_order() {
    let events = ChatTest::with(NoServices)
        .given(vec![requested(), customer_message(1), customer_message(2)])
        .when(send(Actor::Customer, "tredje"))
        .inspect_result()
        .unwrap();
    assert!(matches!(
        events[0],
        ChatEvent::MessageSent { number: 3, .. }
    ));
}

#[test]
fn the_assigned_agent_writes_as_agent() {
    let events = ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1)])
        .when(send(agent(1), "Hei, hva kan jeg hjelpe med?"))
        .inspect_result()
        .unwrap();
    assert!(matches!(
        events[0],
        ChatEvent::MessageSent { author: Author::Agent { user_id }, .. } if user_id == agent_id(1)
    ));
}

#[test]
fn another_agent_cannot_write_in_the_chat() {
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1)])
        .when(send(agent(2), "hei"))
        .then_expect_error(ChatError::Forbidden);
}

#[test]
fn a_supervisor_can_write_in_an_assigned_chat() {
    let result = ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1)])
        .when(send(supervisor(), "Jeg tar over"))
        .inspect_result();
    assert!(result.is_ok());
}

#[test]
fn no_agent_can_write_in_a_waiting_chat() {
    ChatTest::with(NoServices)
        .given(vec![requested()])
        .when(send(supervisor(), "hei"))
        .then_expect_error(ChatError::NotAssigned);
}

#[test]
fn nothing_can_be_sent_to_an_ended_chat() {
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1), ended()])
        .when(send(Actor::Customer, "hallo?"))
        .then_expect_error(ChatError::Closed);
}

#[test]
fn nothing_can_be_sent_to_a_chat_that_does_not_exist() {
    ChatTest::with(NoServices)
        .given_no_previous_events()
        .when(send(Actor::Customer, "hallo?"))
        .then_expect_error(ChatError::NotFound);
}

#[test]
fn the_agent_marks_messages_read() {
    ChatTest::with(NoServices)
        .given(vec![
            requested(),
            assigned_to(1),
            customer_message(1),
            customer_message(2),
        ])
        .when(ChatCommand::MarkRead {
            up_to: 2,
            by: agent(1),
            at: at(3),
        })
        .then_expect_events(vec![ChatEvent::MessagesRead {
            agent_id: agent_id(1),
            up_to: 2,
            at: at(3),
        }]);
}

#[test]
fn reading_again_up_to_the_same_message_records_nothing() {
    let read = ChatEvent::MessagesRead {
        agent_id: agent_id(1),
        up_to: 1,
        at: at(3),
    };
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1), customer_message(1), read])
        .when(ChatCommand::MarkRead {
            up_to: 1,
            by: agent(1),
            at: at(4),
        })
        .then_expect_events(vec![]);
}

#[test]
fn reading_past_the_last_message_is_refused() {
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1), customer_message(1)])
        .when(ChatCommand::MarkRead {
            up_to: 5,
            by: agent(1),
            at: at(3),
        })
        .then_expect_error(ChatError::NoSuchMessage);
}

#[test]
fn only_the_assigned_agent_marks_read() {
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1), customer_message(1)])
        .when(ChatCommand::MarkRead {
            up_to: 1,
            by: agent(2),
            at: at(3),
        })
        .then_expect_error(ChatError::Forbidden);
}

#[test]
fn a_transfer_puts_the_chat_back_to_waiting_in_the_target_queue() {
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1)])
        .when(transfer_to(2, agent(1)))
        .then_expect_events(vec![ChatEvent::ChatTransferred {
            from_queue: queue(1),
            from_category: Some(category(1)),
            to_queue: queue(2),
            to_category: None,
            from_agent: Some(agent_id(1)),
            by: agent(1),
            at: at(4),
        }]);
}

#[test]
fn a_transferred_chat_can_be_picked_up_again() {
    let transferred = ChatEvent::ChatTransferred {
        from_queue: queue(1),
        from_category: Some(category(1)),
        to_queue: queue(2),
        to_category: None,
        from_agent: Some(agent_id(1)),
        by: agent(1),
        at: at(4),
    };
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1), transferred])
        .when(pickup_by(2))
        .then_expect_events(vec![ChatEvent::ChatAssigned {
            agent_id: agent_id(2),
            via: Assignment::Pickup,
            choice: None,
            by: agent(2),
            at: at(1),
        }]);
}

#[test]
fn another_agent_cannot_transfer_the_chat() {
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1)])
        .when(transfer_to(2, agent(2)))
        .then_expect_error(ChatError::Forbidden);
}

#[test]
fn a_transfer_must_go_somewhere_else() {
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1)])
        .when(ChatCommand::Transfer {
            to_queue: queue(1),
            to_category: Some(category(1)),
            by: agent(1),
            at: at(4),
        })
        .then_expect_error(ChatError::TransferToSamePlace);
}

#[test]
fn the_assigned_agent_ends_the_chat() {
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1)])
        .when(ChatCommand::End {
            disposition: Disposition::default(),
            policies: WrapUpPolicies::new(),
            by: agent(1),
            at: at(5),
        })
        .then_expect_events(vec![ended()]);
}

#[test]
fn another_agent_cannot_end_the_chat() {
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1)])
        .when(ChatCommand::End {
            disposition: Disposition::default(),
            policies: WrapUpPolicies::new(),
            by: agent(2),
            at: at(5),
        })
        .then_expect_error(ChatError::Forbidden);
}

#[test]
fn a_chat_ends_only_once() {
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1), ended()])
        .when(ChatCommand::End {
            disposition: Disposition::default(),
            policies: WrapUpPolicies::new(),
            by: agent(1),
            at: at(6),
        })
        .then_expect_error(ChatError::Closed);
}

#[test]
fn closing_the_client_while_waiting_abandons_the_chat() {
    ChatTest::with(NoServices)
        .given(vec![requested()])
        .when(ChatCommand::CloseClient {
            policies: WrapUpPolicies::new(),
            at: at(2),
        })
        .then_expect_events(vec![ChatEvent::CustomerClosedClient {
            abandoned: true,
            agent_id: None,
            by: Actor::Customer,
            at: at(2),
        }]);
}

#[test]
fn closing_the_client_during_the_conversation_ends_it() {
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1)])
        .when(ChatCommand::CloseClient {
            policies: WrapUpPolicies::new(),
            at: at(2),
        })
        .then_expect_events(vec![ChatEvent::CustomerClosedClient {
            abandoned: false,
            agent_id: Some(agent_id(1)),
            by: Actor::Customer,
            at: at(2),
        }]);
}

#[test]
fn closing_an_already_closed_client_records_nothing() {
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1), ended()])
        .when(ChatCommand::CloseClient {
            policies: WrapUpPolicies::new(),
            at: at(7),
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_notice_to_the_customer_is_numbered_with_the_messages() {
    ChatTest::with(NoServices)
        .given(vec![requested(), customer_message(1)])
        .when(ChatCommand::Notify {
            message_id: MessageId(id(1002)),
            notice: Notice::NoAgentsAvailable,
            at: at(3),
        })
        .then_expect_events(vec![ChatEvent::CustomerNotified {
            message_id: MessageId(id(1002)),
            number: 2,
            notice: Notice::NoAgentsAvailable,
            by: Actor::System,
            at: at(3),
        }]);
}

#[test]
fn an_ended_chat_is_told_nothing() {
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1), ended()])
        .when(ChatCommand::Notify {
            message_id: MessageId(id(1002)),
            notice: Notice::NoAgentsAvailable,
            at: at(6),
        })
        .then_expect_error(ChatError::Closed);
}

fn administrator() -> Actor {
    Actor::staff(UserId(id(91)), Role::Administrator)
}

fn erase(reason: ErasureReason, by: Actor) -> ChatCommand {
    ChatCommand::Erase {
        reason,
        by,
        at: at(30),
    }
}

fn erased(reason: ErasureReason, by: Actor) -> ChatEvent {
    ChatEvent::ChatErased {
        reason,
        by,
        at: at(30),
    }
}

fn hold_placed() -> ChatEvent {
    ChatEvent::LegalHoldPlaced {
        by: supervisor(),
        at: at(20),
    }
}

#[test]
fn an_administrator_erases_an_ended_chat_on_request() {
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1), ended()])
        .when(erase(ErasureReason::Request, administrator()))
        .then_expect_events(vec![erased(ErasureReason::Request, administrator())]);
}

#[test]
fn the_customer_erases_their_own_abandoned_chat() {
    ChatTest::with(NoServices)
        .given(vec![
            requested(),
            ChatEvent::CustomerClosedClient {
                abandoned: true,
                agent_id: None,
                by: Actor::Customer,
                at: at(2),
            },
        ])
        .when(erase(ErasureReason::Customer, Actor::Customer))
        .then_expect_events(vec![erased(ErasureReason::Customer, Actor::Customer)]);
}

#[test]
fn a_chat_still_going_on_is_not_erased() {
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1)])
        .when(erase(ErasureReason::Request, administrator()))
        .then_expect_error(ChatError::NotEnded);
}

#[test]
fn only_an_administrator_erases_on_request_and_only_the_system_for_retention() {
    for (reason, by) in [
        (ErasureReason::Request, supervisor()),
        (ErasureReason::Request, Actor::Customer),
        (ErasureReason::Retention, administrator()),
        (ErasureReason::Customer, agent(1)),
    ] {
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1), ended()])
            .when(erase(reason, by))
            .then_expect_error(ChatError::Forbidden);
    }
}

#[test]
fn a_chat_under_legal_hold_is_not_erased_until_the_hold_is_lifted() {
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1), ended(), hold_placed()])
        .when(erase(ErasureReason::Retention, Actor::System))
        .then_expect_error(ChatError::LegalHold);
    ChatTest::with(NoServices)
        .given(vec![
            requested(),
            assigned_to(1),
            ended(),
            hold_placed(),
            ChatEvent::LegalHoldLifted {
                by: supervisor(),
                at: at(25),
            },
        ])
        .when(erase(ErasureReason::Retention, Actor::System))
        .then_expect_events(vec![erased(ErasureReason::Retention, Actor::System)]);
}

#[test]
fn a_supervisor_places_a_legal_hold_once_and_an_agent_cannot() {
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1), ended()])
        .when(ChatCommand::PlaceLegalHold {
            by: supervisor(),
            at: at(20),
        })
        .then_expect_events(vec![hold_placed()]);
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1), ended(), hold_placed()])
        .when(ChatCommand::PlaceLegalHold {
            by: supervisor(),
            at: at(21),
        })
        .then_expect_events(vec![]);
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1), ended()])
        .when(ChatCommand::PlaceLegalHold {
            by: agent(1),
            at: at(20),
        })
        .then_expect_error(ChatError::Forbidden);
}

#[test]
fn an_erased_chat_accepts_nothing_more_and_a_second_erasure_is_already_so() {
    let history = || {
        vec![
            requested(),
            assigned_to(1),
            ended(),
            erased(ErasureReason::Request, administrator()),
        ]
    };
    ChatTest::with(NoServices)
        .given(history())
        .when(erase(ErasureReason::Retention, Actor::System))
        .then_expect_events(vec![]);
    ChatTest::with(NoServices)
        .given(history())
        .when(erase(ErasureReason::Request, supervisor()))
        .then_expect_error(ChatError::Forbidden);
    ChatTest::with(NoServices)
        .given(history())
        .when(ChatCommand::PlaceLegalHold {
            by: supervisor(),
            at: at(31),
        })
        .then_expect_error(ChatError::Erased);
    ChatTest::with(NoServices)
        .given(history())
        .when(ChatCommand::CloseClient {
            policies: WrapUpPolicies::new(),
            at: at(31),
        })
        .then_expect_error(ChatError::Erased);
}

#[test]
fn the_requested_chat_is_found_again_by_its_email_and_erasure_erases_its_subject() {
    assert_eq!(
        requested().identifiers(),
        vec![("email", "kari@example.no".to_string())]
    );
    assert!(erased(ErasureReason::Request, administrator()).erases_subject());
    assert!(!ended().erases_subject());
}
