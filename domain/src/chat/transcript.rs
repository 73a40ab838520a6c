//! A copy of the conversation by e-mail: the customer asks for it (at any time before it is
//! settled; asking again changes where it goes), and once the chat has ended the mail worker
//! sends it and records that it did — or that the address takes no mail.

use super::{Chat, ChatError, ChatEvent, ChatStatus};
use crate::actor::Actor;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Whether a copy was asked for, and whether that is settled (sent, or undeliverable). The
/// address is not kept: the rules never read a personal value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct TranscriptMail {
    pub settled: bool,
}

impl Chat {
    /// `to` is an e-mail address, checked by the caller.
    pub(super) fn request_transcript(
        &self,
        to: String,
        at: DateTime<Utc>,
    ) -> Result<Vec<ChatEvent>, ChatError> {
        if self.status == ChatStatus::New {
            return Err(ChatError::NotFound);
        }
        // The answer goes where the message was left from: the address the agent answers to.
        if self.left_message {
            return Err(ChatError::AnswerAddressFixed);
        }
        if self.transcript.is_some_and(|mail| mail.settled) {
            return Err(ChatError::TranscriptSent);
        }
        Ok(vec![ChatEvent::TranscriptRequested {
            to: to.into(),
            by: Actor::Customer,
            at,
        }])
    }

    /// Is a copy to be sent now: asked for, not settled, the chat over and not erased?
    pub fn transcript_due(&self) -> bool {
        !self.erased && self.status.is_over() && self.transcript.is_some_and(|mail| !mail.settled)
    }

    /// The mail worker sent it (`delivered`), or found the address takes no mail: once, and
    /// only after the end.
    pub(super) fn settle_transcript(
        &self,
        delivered: bool,
        at: DateTime<Utc>,
    ) -> Result<Vec<ChatEvent>, ChatError> {
        if !self.status.is_over() {
            return Err(ChatError::NotEnded);
        }
        if self.transcript.is_none_or(|mail| mail.settled) {
            // Settled already (a retry after a crash), or never asked for.
            return Ok(vec![]);
        }
        let by = Actor::System;
        Ok(vec![if delivered {
            ChatEvent::TranscriptSent { by, at }
        } else {
            ChatEvent::TranscriptUndeliverable { by, at }
        }])
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

    fn settle(delivered: bool) -> ChatCommand {
        ChatCommand::SettleTranscript {
            delivered,
            at: at(6),
        }
    }

    #[test]
    fn asking_again_changes_the_address_until_it_is_sent() {
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1), asked("kari@example.no")])
            .when(ask("kari@work.example"))
            .then_expect_events(vec![asked("kari@work.example")]);
    }

    #[test]
    fn it_is_sent_once_after_the_end_and_then_no_longer_changes() {
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1), asked("kari@example.no")])
            .when(settle(true))
            .then_expect_error(ChatError::NotEnded);
        let ended_asked = vec![
            requested(),
            assigned_to(1),
            asked("kari@example.no"),
            ended(),
        ];
        ChatTest::with(NoServices)
            .given(ended_asked.clone())
            .when(settle(true))
            .then_expect_events(vec![sent()]);
        let mut done = ended_asked;
        done.push(sent());
        ChatTest::with(NoServices)
            .given(done.clone())
            .when(settle(true))
            .then_expect_events(vec![]);
        ChatTest::with(NoServices)
            .given(done)
            .when(ask("kari@work.example"))
            .then_expect_error(ChatError::TranscriptSent);
    }

    #[test]
    fn an_address_that_takes_no_mail_settles_it_too() {
        ChatTest::with(NoServices)
            .given(vec![
                requested(),
                assigned_to(1),
                asked("x@example.no"),
                ended(),
            ])
            .when(settle(false))
            .then_expect_events(vec![ChatEvent::TranscriptUndeliverable {
                by: Actor::System,
                at: at(6),
            }]);
    }
}
