//! Internal notes: staff writing to each other inside a chat — what they found, what to do
//! next — never shown to the customer. A note may name colleagues (`@username`), who are told.

use super::{Chat, ChatError, ChatEvent, ChatStatus};
use crate::actor::Actor;
use crate::ids::{MessageId, QueueId, UserId};
use crate::text::MessageText;
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

/// A note to add: `mentions` are the colleagues it names, each one who may see the chat
/// (checked by the caller, who knows the directory).
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub note_id: MessageId,
    pub text: MessageText,
    pub mentions: BTreeSet<UserId>,
    /// A supervisor's word to the agent while the chat goes on, shown highlighted.
    pub whisper: bool,
}

/// The usernames a note names: `@` at the start or after a space or an opening bracket, then
/// the characters a username has (an address such as kari@example.no names nobody). A
/// sentence's full stop after a name is not part of it.
pub fn mentioned_usernames(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut previous = ' ';
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c == '@' && (previous.is_whitespace() || "([{".contains(previous)) {
            let mut name = String::new();
            while let Some(&(_, next)) = chars.peek() {
                let next = next.to_ascii_lowercase();
                if next.is_ascii_lowercase() || next.is_ascii_digit() || "._-".contains(next) {
                    name.push(next);
                    chars.next();
                } else {
                    break;
                }
            }
            let name = name.trim_end_matches(['.', '-', '_']);
            if name.len() >= 2 {
                names.insert(name.to_string());
            }
            previous = name.chars().last().unwrap_or('@');
            continue;
        }
        previous = c;
    }
    names
}

impl Chat {
    /// The chat's agent, anyone who works its queue (`writer_queues`), and those who oversee
    /// may write a note, at any time until the chat is erased.
    pub(super) fn add_note(
        &self,
        note: Note,
        writer_queues: &BTreeSet<QueueId>,
        by: Actor,
        at: DateTime<Utc>,
    ) -> Result<Vec<ChatEvent>, ChatError> {
        if self.status == ChatStatus::New {
            return Err(ChatError::NotFound);
        }
        if by.user_id().is_none() {
            return Err(ChatError::Forbidden);
        }
        let works_its_queue = self.queue_id.is_some_and(|q| writer_queues.contains(&q));
        if !(self.staff_may_act(&by) || works_its_queue) || (note.whisper && !by.oversees()) {
            return Err(ChatError::Forbidden);
        }
        Ok(vec![ChatEvent::NoteAdded {
            note_id: note.note_id,
            text: note.text.into(),
            mentions: note.mentions,
            whisper: note.whisper,
            by,
            at,
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{agent, agent_id, assigned_to, ended, queue, requested, ChatTest};
    use super::super::ChatCommand;
    use super::*;
    use crate::NoServices;
    use uuid::Uuid;

    fn note(by: Actor, writer_queues: BTreeSet<QueueId>) -> ChatCommand {
        ChatCommand::AddNote {
            note: Note {
                note_id: MessageId(Uuid::from_u128(7000)),
                text: MessageText::parse("Kunden har to kontoer, @ola").unwrap(),
                mentions: BTreeSet::from([agent_id(2)]),
                whisper: false,
            },
            writer_queues,
            by,
            at: super::super::tests::at(4),
        }
    }

    fn added(by: Actor) -> ChatEvent {
        ChatEvent::NoteAdded {
            note_id: MessageId(Uuid::from_u128(7000)),
            text: MessageText::parse("Kunden har to kontoer, @ola")
                .unwrap()
                .into(),
            mentions: BTreeSet::from([agent_id(2)]),
            whisper: false,
            by,
            at: super::super::tests::at(4),
        }
    }

    #[test]
    fn the_chats_agent_notes_it_even_after_the_end() {
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1), ended()])
            .when(note(agent(1), BTreeSet::new()))
            .then_expect_events(vec![added(agent(1))]);
    }

    #[test]
    fn a_colleague_of_its_queue_notes_a_waiting_chat_and_an_outsider_may_not() {
        ChatTest::with(NoServices)
            .given(vec![requested()])
            .when(note(agent(3), BTreeSet::from([queue(1)])))
            .then_expect_events(vec![added(agent(3))]);
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1)])
            .when(note(agent(3), BTreeSet::from([queue(2)])))
            .then_expect_error(ChatError::Forbidden);
        ChatTest::with(NoServices)
            .given(vec![requested()])
            .when(note(Actor::Customer, BTreeSet::new()))
            .then_expect_error(ChatError::Forbidden);
    }

    #[test]
    fn a_note_names_colleagues_by_at_username_but_an_address_names_nobody() {
        let names = mentioned_usernames("@Ola, ring kari@example.no (@siri.h). Takk @per_2.");
        assert_eq!(
            names,
            BTreeSet::from(["ola".to_string(), "siri.h".into(), "per_2".into()])
        );
        assert!(mentioned_usernames("@ alene, e@post").is_empty());
    }

    #[test]
    fn a_note_is_never_the_customers_to_see() {
        assert!(added(agent(1)).is_staff_only());
    }
}
