//! The customer's satisfaction with a chat that an agent answered: a score from 1 to 5 and,
//! if they like, a comment. Given once; the same rating again is a retry.

use super::{Chat, ChatError, ChatEvent, ChatStatus};
use crate::actor::Actor;
use crate::text::MessageText;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// 1 (very dissatisfied) to 5 (very satisfied); 4 and 5 count as satisfied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Score(u8);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a score is a whole number from 1 to 5")]
pub struct BadScore;

impl Score {
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Score {
    type Error = BadScore;

    fn try_from(score: u8) -> Result<Self, BadScore> {
        if (1..=5).contains(&score) {
            Ok(Self(score))
        } else {
            Err(BadScore)
        }
    }
}

impl From<Score> for u8 {
    fn from(score: Score) -> u8 {
        score.0
    }
}

impl Chat {
    pub(super) fn rate(
        &self,
        score: Score,
        comment: Option<MessageText>,
        at: DateTime<Utc>,
    ) -> Result<Vec<ChatEvent>, ChatError> {
        match self.status {
            ChatStatus::New => return Err(ChatError::NotFound),
            ChatStatus::Waiting | ChatStatus::Assigned | ChatStatus::Left => {
                return Err(ChatError::NotEnded)
            }
            ChatStatus::Ended | ChatStatus::Abandoned => {}
        }
        // Nobody answered (left in the queue, or ended by staff while waiting).
        if !self.answered {
            return Err(ChatError::NotAnswered);
        }
        match self.rating {
            Some(given) if given == score => Ok(vec![]),
            Some(_) => Err(ChatError::AlreadyRated),
            None => Ok(vec![ChatEvent::ChatRated {
                score,
                comment: comment.map(Into::into),
                by: Actor::Customer,
                at,
            }]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{assigned_to, at, ended, requested, ChatTest};
    use super::super::ChatCommand;
    use super::*;
    use crate::NoServices;

    fn rate(score: u8) -> ChatCommand {
        ChatCommand::Rate {
            score: Score::try_from(score).unwrap(),
            comment: Some(MessageText::parse("Rask hjelp").unwrap()),
            at: at(6),
        }
    }

    fn rated(score: u8) -> ChatEvent {
        ChatEvent::ChatRated {
            score: Score::try_from(score).unwrap(),
            comment: Some(MessageText::parse("Rask hjelp").unwrap().into()),
            by: Actor::Customer,
            at: at(6),
        }
    }

    #[test]
    fn the_customer_rates_an_answered_chat_once_it_has_ended() {
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1), ended()])
            .when(rate(5))
            .then_expect_events(vec![rated(5)]);
    }

    #[test]
    fn the_same_rating_again_is_a_retry_and_another_is_refused() {
        let given = vec![requested(), assigned_to(1), ended(), rated(4)];
        ChatTest::with(NoServices)
            .given(given.clone())
            .when(rate(4))
            .then_expect_events(vec![]);
        ChatTest::with(NoServices)
            .given(given)
            .when(rate(1))
            .then_expect_error(ChatError::AlreadyRated);
    }

    #[test]
    fn an_open_or_unanswered_chat_cannot_be_rated() {
        ChatTest::with(NoServices)
            .given(vec![requested(), assigned_to(1)])
            .when(rate(3))
            .then_expect_error(ChatError::NotEnded);
        let abandoned = ChatEvent::CustomerClosedClient {
            abandoned: true,
            agent_id: None,
            by: Actor::Customer,
            at: at(2),
        };
        ChatTest::with(NoServices)
            .given(vec![requested(), abandoned])
            .when(rate(3))
            .then_expect_error(ChatError::NotAnswered);
        let ended_while_waiting = ChatEvent::ChatEnded {
            agent_id: None,
            by: Actor::staff(
                crate::UserId(uuid::Uuid::from_u128(90)),
                crate::Role::Supervisor,
            ),
            at: at(2),
        };
        ChatTest::with(NoServices)
            .given(vec![requested(), ended_while_waiting])
            .when(rate(3))
            .then_expect_error(ChatError::NotAnswered);
    }

    #[test]
    fn a_score_is_one_to_five() {
        assert!(Score::try_from(0).is_err() && Score::try_from(6).is_err());
        assert!(serde_json::from_str::<Score>("5").is_ok());
        assert!(serde_json::from_str::<Score>("9").is_err());
    }
}
