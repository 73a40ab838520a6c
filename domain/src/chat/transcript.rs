//! A copy of the conversation by e-mail: the customer asks for it (at any time before it is
//! sent; asking again with another address changes where it goes), and once the chat has
//! ended the mail worker sends it and records that it did.

use super::{Chat, ChatError, ChatEvent, ChatStatus};
use crate::actor::Actor;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where the transcript goes, and whether it has gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct TranscriptMail {
    pub to: String,
    pub sent: bool,
}

impl Chat {
    /// `to` is an e-mail address, normalised by the caller.
    pub(super) fn request_transcript(
        &self,
        to: String,
        at: DateTime<Utc>,
    ) -> Result<Vec<ChatEvent>, ChatError> {
        if self.status == ChatStatus::New {
            return Err(ChatError::NotFound);
        }
        match &self.transcript {
            Some(mail) if mail.sent => Err(ChatError::TranscriptSent),
            Some(mail) if mail.to == to => Ok(vec![]),
            _ => Ok(vec![ChatEvent::TranscriptRequested {
                to: to.into(),
                by: Actor::Customer,
                at,
            }]),
        }
    }

    /// The mail worker sent it: once, and only after the end.
    pub(super) fn record_transcript_sent(
        &self,
        at: DateTime<Utc>,
    ) -> Result<Vec<ChatEvent>, ChatError> {
        if self.status.is_open() {
            return Err(ChatError::NotEnded);
        }
        match &self.transcript {
            Some(mail) if !mail.sent => Ok(vec![ChatEvent::TranscriptSent {
                by: Actor::System,
                at,
            }]),
            // Sent already (a retry after a crash), or never asked for.
            _ => Ok(vec![]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{assigned_to, at, ended, requested, ChatTest};
    use super::super::ChatCommand;
    use super::*;
    use crate::NoServices;

    fn ask(to: &str) -> ChatCommand {
        ChatCommand::RequestTranscript {
            to: to.into(),
            at: at(3),
        }
    }

    fn asked(to: &str) -> ChatEvent {
        ChatEvent::TranscriptRequested {
            to: to.to_string().into(),
            by: Actor::Customer,
            at: at(3),
        }
    }

    fn sent() -> ChatEvent {
        ChatEvent::TranscriptSent {
            by: Actor::System,
            at: at(6),
        }
    }

    #[test]
    fn asking_again_with_the_same_address_is_a_retry_and_another_changes_it() {
        let given = vec![requested(), assigned_to(1), asked("kari@example.no")];
        ChatTest::with(NoServices)
            .given(given.clone())
            .when(ask("kari@example.no"))
            .then_expect_events(vec![]);
        ChatTest::with(NoServices)
            .given(given)
            .when(ask("kari@work.example"))
            .then_expect_events(vec![asked("kari@work.example")]);
    }

    #[test]
    fn it_is_sent_once_after_the_end_and_then_no_longer_changes() {
        let record = ChatCommand::RecordTranscriptSent { at: at(6) };
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1), asked("kari@example.no")])
            .when(record.clone())
            .then_expect_error(ChatError::NotEnded);
        let ended_asked = vec![
            requested(),
            assigned_to(1),
            asked("kari@example.no"),
            ended(),
        ];
        ChatTest::with(NoServices)
            .given(ended_asked.clone())
            .when(record.clone())
            .then_expect_events(vec![sent()]);
        let mut done = ended_asked;
        done.push(sent());
        ChatTest::with(NoServices)
            .given(done.clone())
            .when(record)
            .then_expect_events(vec![]);
        ChatTest::with(NoServices)
            .given(done)
            .when(ask("kari@work.example"))
            .then_expect_error(ChatError::TranscriptSent);
    }
}
