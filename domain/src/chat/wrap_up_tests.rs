//! Wrap-up's rules: the time after a chat in which its agent is given nothing new, the codes
//! it ends with, and the note.

use super::tests::{agent, agent_id, assigned_to, at, ended, queue, requested, ChatTest};
use super::*;
use crate::code::Code;
use crate::text::MessageText;
use chrono::Duration;
use std::collections::BTreeSet;

fn code(word: &str) -> Code {
    Code::parse(word).unwrap()
}

/// Queue 1 gives 60 s of wrap-up, and has the codes `billing` and `moving`.
fn policies(code_required: bool) -> WrapUpPolicies {
    WrapUpPolicies::from([(
        queue(1),
        WrapUpPolicy {
            seconds: Some(60),
            codes: BTreeSet::from([code("billing"), code("moving")]),
            code_required,
        },
    )])
}

fn disposition(codes: &[&str], note: Option<&str>) -> Disposition {
    Disposition {
        codes: codes.iter().map(|c| code(c)).collect(),
        note: note.map(|n| MessageText::parse(n).unwrap()),
    }
}

fn end_with(codes: &[&str], code_required: bool) -> ChatCommand {
    ChatCommand::End {
        disposition: disposition(codes, None),
        policies: policies(code_required),
        by: agent(1),
        at: at(5),
    }
}

fn wrap_up_started(minutes_long: i64, code_owed: bool) -> ChatEvent {
    ChatEvent::WrapUpStarted {
        agent_id: agent_id(1),
        until: at(5) + Duration::minutes(minutes_long),
        code_owed,
        by: agent(1),
        at: at(5),
    }
}

fn wrapped_up(codes: &[&str], minute: u32) -> ChatEvent {
    ChatEvent::ChatWrappedUp {
        codes: codes.iter().map(|c| code(c)).collect(),
        note: None,
        by: agent(1),
        at: at(minute),
    }
}

#[test]
fn ending_with_a_code_records_it_and_starts_the_agents_wrap_up() {
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1)])
        .when(end_with(&["billing"], true))
        .then_expect_events(vec![
            ended(),
            wrapped_up(&["billing"], 5),
            wrap_up_started(1, false),
        ]);
}

#[test]
fn a_queue_that_requires_a_code_refuses_an_end_without_one() {
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1)])
        .when(end_with(&[], true))
        .then_expect_error(ChatError::WrapUpCodeRequired);
}

#[test]
fn a_code_of_another_queue_is_refused() {
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1)])
        .when(end_with(&["refund"], false))
        .then_expect_error(ChatError::UnknownWrapUpCode(code("refund")));
}

#[test]
fn a_queue_without_wrap_up_time_ends_the_chat_alone() {
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
fn a_customer_who_closes_leaves_the_code_owed_for_the_agent_to_give() {
    let closed = ChatEvent::CustomerClosedClient {
        abandoned: false,
        agent_id: Some(agent_id(1)),
        by: Actor::Customer,
        at: at(5),
    };
    let started_by_customer = ChatEvent::WrapUpStarted {
        agent_id: agent_id(1),
        until: at(6),
        code_owed: true,
        by: Actor::Customer,
        at: at(5),
    };
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1)])
        .when(ChatCommand::CloseClient {
            policies: policies(true),
            at: at(5),
        })
        .then_expect_events(vec![closed.clone(), started_by_customer.clone()]);
    // Ready is refused until the code is given; then the code is recorded, once.
    let given = vec![requested(), assigned_to(1), closed, started_by_customer];
    ChatTest::with(NoServices)
        .given(given.clone())
        .when(ChatCommand::FinishWrapUp {
            by: agent(1),
            at: at(5),
        })
        .then_expect_error(ChatError::WrapUpCodeRequired);
    let wrap_up = |minute| ChatCommand::WrapUp {
        disposition: disposition(&["moving"], None),
        policies: policies(true),
        by: agent(1),
        at: at(minute),
    };
    ChatTest::with(NoServices)
        .given(given.clone())
        .when(wrap_up(5))
        .then_expect_events(vec![wrapped_up(&["moving"], 5)]);
    let mut done = given;
    done.push(wrapped_up(&["moving"], 5));
    ChatTest::with(NoServices)
        .given(done)
        .when(wrap_up(6))
        .then_expect_error(ChatError::AlreadyWrappedUp);
}

#[test]
fn the_agent_extends_once_by_as_much_again() {
    let extend = ChatCommand::ExtendWrapUp {
        by: agent(1),
        at: at(5),
    };
    let extended = ChatEvent::WrapUpExtended {
        agent_id: agent_id(1),
        until: at(7),
        by: agent(1),
        at: at(5),
    };
    let running = vec![
        requested(),
        assigned_to(1),
        ended(),
        wrap_up_started(1, false),
    ];
    ChatTest::with(NoServices)
        .given(running.clone())
        .when(extend.clone())
        .then_expect_events(vec![extended.clone()]);
    let mut once = running;
    once.push(extended);
    ChatTest::with(NoServices)
        .given(once)
        .when(extend)
        .then_expect_error(ChatError::WrapUpExtended);
}

#[test]
fn a_wrap_up_whose_time_is_up_cannot_be_extended_and_has_nothing_to_finish() {
    let running = vec![
        requested(),
        assigned_to(1),
        ended(),
        wrap_up_started(1, false),
    ];
    ChatTest::with(NoServices)
        .given(running.clone())
        .when(ChatCommand::ExtendWrapUp {
            by: agent(1),
            at: at(7),
        })
        .then_expect_error(ChatError::NotInWrapUp);
    ChatTest::with(NoServices)
        .given(running)
        .when(ChatCommand::FinishWrapUp {
            by: agent(1),
            at: at(7),
        })
        .then_expect_events(vec![]);
}

#[test]
fn the_agent_finishes_early_and_a_colleague_cannot_do_it_for_them() {
    let running = vec![
        requested(),
        assigned_to(1),
        ended(),
        wrap_up_started(1, false),
    ];
    ChatTest::with(NoServices)
        .given(running.clone())
        .when(ChatCommand::FinishWrapUp {
            by: agent(1),
            at: at(5),
        })
        .then_expect_events(vec![ChatEvent::WrapUpFinished {
            agent_id: agent_id(1),
            by: agent(1),
            at: at(5),
        }]);
    ChatTest::with(NoServices)
        .given(running)
        .when(ChatCommand::FinishWrapUp {
            by: agent(2),
            at: at(5),
        })
        .then_expect_error(ChatError::Forbidden);
}

#[test]
fn an_open_chat_is_not_wrapped_up_and_a_note_alone_will_do() {
    let note_only = |minute| ChatCommand::WrapUp {
        disposition: disposition(&[], Some("Called back about the invoice")),
        policies: policies(false),
        by: agent(1),
        at: at(minute),
    };
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1)])
        .when(note_only(4))
        .then_expect_error(ChatError::NotEnded);
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1), ended()])
        .when(note_only(6))
        .then_expect_events(vec![ChatEvent::ChatWrappedUp {
            codes: BTreeSet::new(),
            note: Some(
                MessageText::parse("Called back about the invoice")
                    .unwrap()
                    .into(),
            ),
            by: agent(1),
            at: at(6),
        }]);
}

#[test]
fn a_code_owed_is_recorded_in_a_queue_without_wrap_up_time() {
    let no_time = WrapUpPolicies::from([(
        queue(1),
        WrapUpPolicy {
            seconds: None,
            ..policies(true)[&queue(1)].clone()
        },
    )]);
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1)])
        .when(ChatCommand::CloseClient {
            policies: no_time,
            at: at(5),
        })
        .then_expect_events(vec![
            ChatEvent::CustomerClosedClient {
                abandoned: false,
                agent_id: Some(agent_id(1)),
                by: Actor::Customer,
                at: at(5),
            },
            ChatEvent::WrapUpStarted {
                agent_id: agent_id(1),
                until: at(5),
                code_owed: true,
                by: Actor::Customer,
                at: at(5),
            },
        ]);
}
