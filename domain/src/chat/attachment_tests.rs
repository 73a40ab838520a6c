//! Files in the conversation: lines like messages, written by whoever may write one.

use super::tests::{
    agent, agent_id, assigned_to, at, customer_message, ended, requested, ChatTest,
};
use super::*;
use crate::attachment::{FileFacts, FileKind, FileName};
use crate::ids::{AttachmentId, MessageId};
use crate::NoServices;
use uuid::Uuid;

fn screenshot(size: u64) -> FileFacts {
    FileFacts {
        name: FileName::parse("skjermbilde.png").unwrap(),
        kind: FileKind::Png,
        size,
        sha256: "ab".repeat(32),
    }
}

fn attach(by: Actor, size: u64) -> ChatCommand {
    ChatCommand::SendAttachment {
        attachment_id: AttachmentId(Uuid::from_u128(7)),
        file: screenshot(size),
        client_id: Some("upload-1".into()),
        by,
        at: at(5),
    }
}

#[test]
fn the_customer_sends_a_file_as_the_next_line_of_the_conversation() {
    ChatTest::with(NoServices)
        .given(vec![requested(), customer_message(1)])
        .when(attach(Actor::Customer, 1_024))
        .then_expect_events(vec![ChatEvent::AttachmentSent {
            attachment_id: AttachmentId(Uuid::from_u128(7)),
            number: 2,
            author: Author::Customer,
            name: FileName::parse("skjermbilde.png").unwrap().into(),
            kind: FileKind::Png,
            size: 1_024,
            sha256: "ab".repeat(32),
            client_id: Some("upload-1".into()),
            at: at(5),
        }]);
}

#[test]
fn a_file_takes_a_number_the_next_message_follows() {
    let events = ChatTest::with(NoServices)
        .given(vec![
            requested(),
            customer_message(1),
            ChatEvent::AttachmentSent {
                attachment_id: AttachmentId(Uuid::from_u128(7)),
                number: 2,
                author: Author::Customer,
                name: FileName::parse("a.png").unwrap().into(),
                kind: FileKind::Png,
                size: 10,
                sha256: "ab".repeat(32),
                client_id: None,
                at: at(5),
            },
        ])
        .when(ChatCommand::SendMessage {
            message_id: MessageId(Uuid::from_u128(8)),
            text: crate::text::MessageText::parse("her").unwrap(),
            client_message_id: None,
            by: Actor::Customer,
            at: at(6),
        })
        .inspect_result()
        .unwrap();
    assert!(matches!(
        events[0],
        ChatEvent::MessageSent { number: 3, .. }
    ));
}

#[test]
fn the_chats_agent_sends_a_file_as_agent() {
    let events = ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1)])
        .when(attach(agent(1), 2_048))
        .inspect_result()
        .unwrap();
    assert!(matches!(
        events[0],
        ChatEvent::AttachmentSent { author: Author::Agent { user_id }, .. } if user_id == agent_id(1)
    ));
}

#[test]
fn another_agent_cannot_send_a_file_in_the_chat() {
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1)])
        .when(attach(agent(2), 10))
        .then_expect_error(ChatError::Forbidden);
}

#[test]
fn no_file_is_sent_in_an_ended_chat() {
    ChatTest::with(NoServices)
        .given(vec![requested(), assigned_to(1), ended()])
        .when(attach(Actor::Customer, 10))
        .then_expect_error(ChatError::Closed);
}

#[test]
fn an_empty_file_is_refused() {
    ChatTest::with(NoServices)
        .given(vec![requested()])
        .when(attach(Actor::Customer, 0))
        .then_expect_error(ChatError::EmptyAttachment);
}
