//! One customer conversation: requested into a queue, assigned to an agent by hand or by
//! routing, messages both ways, transfers back into a queue, and an end.
//!
//! The aggregate keeps only what its rules need (status, queue, agent, message count), never
//! the transcript, so handling a command costs the same in a chat's first minute and its
//! ten-thousandth message.

#[cfg(test)]
mod attachment_tests;
mod commands;
mod consult;
mod error;
mod events;
mod hand_over;
mod left_message;
mod notes;
mod rating;
#[cfg(test)]
mod routing_tests;
mod supervision;
#[cfg(test)]
mod tests;
mod transcript;
mod wrap_up;
#[cfg(test)]
mod wrap_up_tests;

pub use commands::ChatCommand;
pub use consult::Invitee;
pub use error::ChatError;
pub use events::{
    Assignment, Author, Candidate, ChatEvent, ErasureReason, KnownCustomer, Notice, RoutingChoice,
    RoutingRule,
};
pub use hand_over::Colleague;
pub use left_message::LeftMessage;
pub use notes::{mentioned_usernames, Note};
pub use rating::{BadScore, Score};
pub use wrap_up::{Disposition, WrapUpPolicies, WrapUpPolicy};

use crate::actor::Actor;
use crate::form::validate_answers;
use crate::ids::{CategoryId, QueueId, UserId};
use crate::NoServices;
use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatStatus {
    /// No ChatRequested yet: the id is free.
    #[default]
    New,
    /// In a queue, waiting for an agent.
    Waiting,
    /// An agent has it.
    Assigned,
    /// Ended by an agent, or by the customer closing the client while assigned.
    Ended,
    /// The customer closed the client while still waiting.
    Abandoned,
    /// A message left for the queue, waiting for an answer by e-mail; never routed.
    Left,
}

impl ChatStatus {
    pub fn is_open(self) -> bool {
        matches!(self, ChatStatus::Waiting | ChatStatus::Assigned)
    }

    /// Ended or abandoned: the conversation is over (a left message is over once answered).
    pub fn is_over(self) -> bool {
        matches!(self, ChatStatus::Ended | ChatStatus::Abandoned)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Chat {
    status: ChatStatus,
    queue_id: Option<QueueId>,
    category_id: Option<CategoryId>,
    agent_id: Option<UserId>,
    /// Messages so far; the next message gets number `messages + 1`.
    messages: u64,
    /// The highest message number the assigned agent has read.
    read_up_to: u64,
    /// Under legal hold: not to be erased.
    held: bool,
    /// Its personal data is erased: nothing more may happen to it.
    erased: bool,
    /// While waiting: the agent it is offered to, until when.
    #[serde(default)]
    offer: Option<(UserId, DateTime<Utc>)>,
    /// After the end: the agent's wrap-up.
    #[serde(default)]
    wrap_up: Option<wrap_up::WrapUp>,
    /// Its codes or note are recorded.
    #[serde(default)]
    disposed: bool,
    /// Its queue requires a code it has not been given.
    #[serde(default)]
    code_owed: bool,
    /// The customer's rating, once given.
    #[serde(default)]
    rating: Option<Score>,
    /// An agent has had it: there is something to rate.
    #[serde(default)]
    answered: bool,
    /// The copy by e-mail the customer asked for.
    #[serde(default)]
    transcript: Option<transcript::TranscriptMail>,
    /// The last hand-over, from whom to whom, while the chat is the colleague's (a retry's
    /// answer).
    #[serde(default)]
    handed: Option<(UserId, UserId)>,
    /// A message left for its queue, answered or not.
    #[serde(default)]
    left_message: bool,
    /// Colleagues in the conversation besides its agent, and those invited to it.
    #[serde(default)]
    joined: BTreeSet<UserId>,
    #[serde(default)]
    invited: BTreeSet<UserId>,
    /// Its agent has asked a supervisor for help.
    #[serde(default)]
    hand_raised: bool,
}

impl Chat {
    /// May `actor` speak for the agent side of this chat? The assigned agent may; so may a
    /// supervisor or administrator (taking over a conversation).
    fn staff_may_act(&self, actor: &Actor) -> bool {
        actor.oversees() || (actor.user_id().is_some() && actor.user_id() == self.agent_id)
    }

    /// The offered agent's acceptance: the chat is theirs, by routing.
    fn accept_offer(&self, by: Actor, at: DateTime<Utc>) -> Result<ChatEvent, ChatError> {
        match self.offer {
            // The offer said why this agent; the acceptance is theirs.
            Some((agent_id, _)) if by.user_id() == Some(agent_id) => Ok(ChatEvent::ChatAssigned {
                agent_id,
                via: Assignment::Routing,
                choice: None,
                by,
                at,
            }),
            _ => Err(ChatError::NotOffered),
        }
    }

    fn require_open(&self) -> Result<(), ChatError> {
        match self.status {
            ChatStatus::New => Err(ChatError::NotFound),
            s if s.is_open() => Ok(()),
            _ => Err(ChatError::Closed),
        }
    }

    /// Who may write a line in the open chat, as the line's author: the customer, the system,
    /// or staff who have the chat (its agent, a supervisor, a colleague who joined). An agent
    /// the chat is offered to accepts it by writing: that event comes first.
    fn writer(&self, by: Actor, at: DateTime<Utc>) -> Result<(Vec<ChatEvent>, Author), ChatError> {
        self.require_open()?;
        let mut events = Vec::new();
        let author = match by {
            Actor::Customer => Author::Customer,
            Actor::System | Actor::Routing => Author::System,
            Actor::Staff { user_id, .. } => {
                let offered_to_them = self.status == ChatStatus::Waiting
                    && self.offer.is_some_and(|(agent, _)| agent == user_id);
                if offered_to_them {
                    events.push(self.accept_offer(by, at)?);
                } else if self.status != ChatStatus::Assigned {
                    return Err(ChatError::NotAssigned);
                } else if !(self.staff_may_act(&by) || self.joined_by(&by)) {
                    return Err(ChatError::Forbidden);
                }
                Author::Agent { user_id }
            }
        };
        Ok((events, author))
    }

    /// The agent who has the open chat now.
    fn require_assigned(&self) -> Result<UserId, ChatError> {
        self.require_open()?;
        self.agent_id
            .filter(|_| self.status == ChatStatus::Assigned)
            .ok_or(ChatError::NotAssigned)
    }

    /// Legal holds are placed and lifted by supervisors and administrators, on chats that exist.
    fn require_overseer_of_a_chat(&self, by: &Actor) -> Result<(), ChatError> {
        if self.status == ChatStatus::New {
            return Err(ChatError::NotFound);
        }
        if !by.oversees() {
            return Err(ChatError::Forbidden);
        }
        Ok(())
    }

    fn decide(&self, command: ChatCommand) -> Result<Vec<ChatEvent>, ChatError> {
        if self.erased {
            // Asked again (a second request naming the person, the retention job on another
            // node), an erasure is already so; anything else has nothing left to act on.
            return match command {
                ChatCommand::Erase { reason, by, .. } => {
                    require_eraser(reason, &by)?;
                    Ok(vec![])
                }
                _ => Err(ChatError::Erased),
            };
        }
        match command {
            ChatCommand::Request {
                queue_id,
                category_id,
                customer_name,
                form,
                answers,
                known_customer,
                hours,
                at,
            } => {
                if self.status != ChatStatus::New {
                    return Err(ChatError::AlreadyRequested);
                }
                if let Some(hours) = hours.filter(|hours| !hours.is_open(at)) {
                    return Err(ChatError::QueueClosed {
                        opens_at: hours.next_opening(at),
                    });
                }
                let answers = validate_answers(&form, &answers).map_err(ChatError::InvalidForm)?;
                Ok(vec![ChatEvent::ChatRequested {
                    queue_id,
                    category_id,
                    customer_name: customer_name.into(),
                    answers: answers.into(),
                    known_customer: known_customer.map(Into::into),
                    by: Actor::Customer,
                    at,
                }])
            }
            ChatCommand::Assign {
                agent_id,
                agent_queues,
                via,
                choice,
                by,
                at,
            } => {
                self.require_open()?;
                // A second click on the chat one already has, or a pickup that crossed the
                // dispatcher's assignment to the same agent: what was asked is so.
                if self.status == ChatStatus::Assigned && self.agent_id == Some(agent_id) {
                    return Ok(vec![]);
                }
                if self.status != ChatStatus::Waiting {
                    return Err(ChatError::NotWaiting);
                }
                let allowed = match (via, &by) {
                    (Assignment::Routing, Actor::Routing) => true,
                    (Assignment::Pickup, actor) => {
                        actor.user_id() == Some(agent_id) || actor.oversees()
                    }
                    _ => false,
                };
                if !allowed {
                    return Err(ChatError::Forbidden);
                }
                // Agents work the queues they are members of; a supervisor or administrator
                // may take any chat themselves.
                let member = self.queue_id.is_some_and(|q| agent_queues.contains(&q));
                let overseer_takes_it =
                    via == Assignment::Pickup && by.oversees() && by.user_id() == Some(agent_id);
                if !(member || overseer_takes_it) {
                    return Err(ChatError::NotAMember);
                }
                Ok(vec![ChatEvent::ChatAssigned {
                    agent_id,
                    via,
                    choice: choice.filter(|_| via == Assignment::Routing),
                    by,
                    at,
                }])
            }
            ChatCommand::Offer {
                agent_id,
                agent_queues,
                expires_at,
                choice,
                at,
            } => {
                self.require_open()?;
                if self.status != ChatStatus::Waiting {
                    return Err(ChatError::NotWaiting);
                }
                match self.offer {
                    Some((offered, _)) if offered == agent_id => return Ok(vec![]),
                    Some(_) => return Err(ChatError::OfferedToAnother),
                    None => {}
                }
                if !self.queue_id.is_some_and(|q| agent_queues.contains(&q)) {
                    return Err(ChatError::NotAMember);
                }
                Ok(vec![ChatEvent::ChatOffered {
                    agent_id,
                    expires_at,
                    choice,
                    by: Actor::Routing,
                    at,
                }])
            }
            ChatCommand::AcceptOffer { by, at } => {
                self.require_open()?;
                // A retried accept: the chat is theirs already.
                if self.status == ChatStatus::Assigned && self.agent_id == by.user_id() {
                    return Ok(vec![]);
                }
                Ok(vec![self.accept_offer(by, at)?])
            }
            ChatCommand::DeclineOffer { by, at } => {
                self.require_open()?;
                match self.offer {
                    Some((agent_id, _)) if by.user_id() == Some(agent_id) => {
                        Ok(vec![ChatEvent::OfferDeclined { agent_id, by, at }])
                    }
                    _ => Err(ChatError::NotOffered),
                }
            }
            ChatCommand::ExpireOffer { agent_id, at } => match self.offer {
                Some((offered, expires_at)) if offered == agent_id && at >= expires_at => {
                    Ok(vec![ChatEvent::OfferExpired {
                        agent_id,
                        by: Actor::Routing,
                        at,
                    }])
                }
                // Accepted, declined, withdrawn or not due: nothing to withdraw.
                _ => Ok(vec![]),
            },
            ChatCommand::WithdrawOffer { agent_id, at } => match self.offer {
                Some((offered, _)) if offered == agent_id => Ok(vec![ChatEvent::OfferWithdrawn {
                    agent_id,
                    by: Actor::Routing,
                    at,
                }]),
                _ => Ok(vec![]),
            },
            ChatCommand::SendMessage {
                message_id,
                text,
                client_message_id,
                by,
                at,
            } => {
                let (mut events, author) = self.writer(by, at)?;
                events.push(ChatEvent::MessageSent {
                    message_id,
                    number: self.messages + 1,
                    author,
                    text: text.into(),
                    client_message_id,
                    at,
                });
                Ok(events)
            }
            ChatCommand::SendAttachment {
                attachment_id,
                file,
                client_id,
                by,
                at,
            } => {
                if file.size == 0 {
                    return Err(ChatError::EmptyAttachment);
                }
                let (mut events, author) = self.writer(by, at)?;
                events.push(ChatEvent::AttachmentSent {
                    attachment_id,
                    number: self.messages + 1,
                    author,
                    name: file.name.into(),
                    kind: file.kind,
                    size: file.size,
                    sha256: file.sha256,
                    client_id,
                    at,
                });
                Ok(events)
            }
            ChatCommand::Notify {
                message_id,
                notice,
                at,
            } => {
                self.require_open()?;
                Ok(vec![ChatEvent::CustomerNotified {
                    message_id,
                    number: self.messages + 1,
                    notice,
                    by: Actor::System,
                    at,
                }])
            }
            ChatCommand::MarkRead { up_to, by, at } => {
                if self.status == ChatStatus::New {
                    return Err(ChatError::NotFound);
                }
                let Some(agent_id) = by.user_id().filter(|id| Some(*id) == self.agent_id) else {
                    return Err(ChatError::Forbidden);
                };
                if up_to > self.messages {
                    return Err(ChatError::NoSuchMessage);
                }
                if up_to <= self.read_up_to {
                    return Ok(vec![]);
                }
                Ok(vec![ChatEvent::MessagesRead {
                    agent_id,
                    up_to,
                    at,
                }])
            }
            ChatCommand::Transfer {
                to_queue,
                to_category,
                by,
                at,
            } => {
                self.require_open()?;
                if !self.staff_may_act(&by) {
                    return Err(ChatError::Forbidden);
                }
                if Some(to_queue) == self.queue_id && to_category == self.category_id {
                    return Err(ChatError::TransferToSamePlace);
                }
                Ok(vec![ChatEvent::ChatTransferred {
                    from_queue: self.queue_id.ok_or(ChatError::NotFound)?,
                    from_category: self.category_id,
                    to_queue,
                    to_category,
                    from_agent: self.agent_id,
                    by,
                    at,
                }])
            }
            ChatCommand::HandOver { to, by, at } => self.hand_over(to, by, at),
            ChatCommand::TakeOver { by, at } => self.take_over(by, at),
            ChatCommand::Invite { invitee, by, at } => self.invite(invitee, by, at),
            ChatCommand::AnswerInvitation { accept, by, at } => {
                self.answer_invitation(accept, by, at)
            }
            ChatCommand::Join { by, at } => self.join(by, at),
            ChatCommand::Leave { by, at } => self.leave(by, at),
            ChatCommand::RaiseHand { raised, by, at } => self.raise_hand(raised, by, at),
            ChatCommand::AddNote {
                note,
                writer_queues,
                by,
                at,
            } => self.add_note(note, &writer_queues, by, at),
            ChatCommand::LeaveMessage { left, at } => self.leave_message(left, at),
            ChatCommand::AnswerLeftMessage {
                message_id,
                text,
                agent_queues,
                by,
                at,
            } => self.answer_left_message(message_id, text, &agent_queues, by, at),
            ChatCommand::Requeue { by, at } => {
                let from_agent = self.require_assigned()?;
                if !(by == Actor::System || self.staff_may_act(&by)) {
                    return Err(ChatError::Forbidden);
                }
                Ok(vec![ChatEvent::ChatRequeued {
                    queue_id: self.queue_id.ok_or(ChatError::NotFound)?,
                    from_agent,
                    by,
                    at,
                }])
            }
            ChatCommand::End {
                disposition,
                policies,
                by,
                at,
            } => {
                self.require_open()?;
                if !self.staff_may_act(&by) {
                    return Err(ChatError::Forbidden);
                }
                let end = ChatEvent::ChatEnded {
                    agent_id: self.agent_id,
                    by,
                    at,
                };
                let wrap_up = self.wrap_up_on_end(disposition, &policies, by, at)?;
                Ok(std::iter::once(end).chain(wrap_up).collect())
            }
            ChatCommand::WrapUp {
                disposition,
                policies,
                by,
                at,
            } => self.record_disposition(disposition, &policies, by, at),
            ChatCommand::ExtendWrapUp { by, at } => self.extend_wrap_up(by, at),
            ChatCommand::Rate { score, comment, at } => self.rate(score, comment, at),
            ChatCommand::RequestTranscript { to, at } => self.request_transcript(to, at),
            ChatCommand::SettleTranscript { delivered, at } => {
                self.settle_transcript(delivered, at)
            }
            ChatCommand::FinishWrapUp { by, at } => self.finish_wrap_up(by, at),
            ChatCommand::PlaceLegalHold { by, at } => {
                self.require_overseer_of_a_chat(&by)?;
                Ok(if self.held {
                    vec![]
                } else {
                    vec![ChatEvent::LegalHoldPlaced { by, at }]
                })
            }
            ChatCommand::LiftLegalHold { by, at } => {
                self.require_overseer_of_a_chat(&by)?;
                Ok(if self.held {
                    vec![ChatEvent::LegalHoldLifted { by, at }]
                } else {
                    vec![]
                })
            }
            ChatCommand::Erase { reason, by, at } => {
                if self.status == ChatStatus::New {
                    return Err(ChatError::NotFound);
                }
                require_eraser(reason, &by)?;
                if self.status.is_open() {
                    return Err(ChatError::NotEnded);
                }
                if self.held {
                    return Err(ChatError::LegalHold);
                }
                Ok(vec![ChatEvent::ChatErased { reason, by, at }])
            }
            ChatCommand::CloseClient { policies, at } => match self.status {
                ChatStatus::New => Err(ChatError::NotFound),
                // Closing an already closed client is what a second tab or a retry does; a
                // left message waits for its answer whatever the widget does.
                ChatStatus::Ended | ChatStatus::Abandoned | ChatStatus::Left => Ok(vec![]),
                ChatStatus::Waiting => Ok(vec![ChatEvent::CustomerClosedClient {
                    abandoned: true,
                    agent_id: self.agent_id,
                    by: Actor::Customer,
                    at,
                }]),
                ChatStatus::Assigned => {
                    let closed = ChatEvent::CustomerClosedClient {
                        abandoned: false,
                        agent_id: self.agent_id,
                        by: Actor::Customer,
                        at,
                    };
                    let wrap_up = self.wrap_up_on_end(
                        Disposition::default(),
                        &policies,
                        Actor::Customer,
                        at,
                    )?;
                    Ok(std::iter::once(closed).chain(wrap_up).collect())
                }
            },
        }
    }
}

/// Who may erase a chat for each reason: an administrator on request, its customer, the
/// retention job.
fn require_eraser(reason: ErasureReason, by: &Actor) -> Result<(), ChatError> {
    let allowed = match reason {
        ErasureReason::Request => by.is_administrator(),
        ErasureReason::Customer => *by == Actor::Customer,
        ErasureReason::Retention => *by == Actor::System,
    };
    if allowed {
        Ok(())
    } else {
        Err(ChatError::Forbidden)
    }
}

impl Aggregate for Chat {
    const TYPE: &'static str = "chat";
    type Command = ChatCommand;
    type Event = ChatEvent;
    type Error = ChatError;
    type Services = NoServices;

    handle_by_deciding!();

    fn apply(&mut self, event: Self::Event) {
        match event {
            ChatEvent::ChatRequested {
                queue_id,
                category_id,
                ..
            } => {
                self.status = ChatStatus::Waiting;
                self.queue_id = Some(queue_id);
                self.category_id = category_id;
            }
            ChatEvent::ChatOffered {
                agent_id,
                expires_at,
                ..
            } => self.offer = Some((agent_id, expires_at)),
            ChatEvent::OfferDeclined { .. }
            | ChatEvent::OfferExpired { .. }
            | ChatEvent::OfferWithdrawn { .. } => self.offer = None,
            ChatEvent::MessageLeft {
                queue_id,
                category_id,
                ..
            } => {
                self.status = ChatStatus::Left;
                self.left_message = true;
                self.queue_id = Some(queue_id);
                self.category_id = category_id;
            }
            ChatEvent::LeftMessageAnswered { agent_id, .. } => {
                self.status = ChatStatus::Ended;
                self.agent_id = Some(agent_id);
            }
            ChatEvent::ColleagueInvited { invitee, .. } => {
                self.invited.insert(invitee);
            }
            ChatEvent::InvitationDeclined { invitee, .. } => {
                self.invited.remove(&invitee);
            }
            ChatEvent::ParticipantJoined { user_id, .. } => {
                self.invited.remove(&user_id);
                self.joined.insert(user_id);
            }
            ChatEvent::ParticipantLeft { user_id, .. } => {
                self.joined.remove(&user_id);
            }
            ChatEvent::HandRaised { .. } => self.hand_raised = true,
            ChatEvent::HandLowered { .. } => self.hand_raised = false,
            ChatEvent::ChatHandedOver {
                from_agent,
                to_agent,
                ..
            } => {
                self.hand_raised = false;
                // The colleague who joined has it now; the first agent has left.
                self.joined.remove(&to_agent);
                self.invited.remove(&to_agent);
                self.agent_id = Some(to_agent);
                self.handed = Some((from_agent, to_agent));
                self.read_up_to = 0;
            }
            ChatEvent::ChatAssigned { agent_id, .. } => {
                self.handed = None;
                self.answered = true;
                self.status = ChatStatus::Assigned;
                self.agent_id = Some(agent_id);
                self.offer = None;
                // A new agent has read nothing yet; unread counts start from here.
                self.read_up_to = 0;
            }
            ChatEvent::MessageSent { number, .. }
            | ChatEvent::AttachmentSent { number, .. }
            | ChatEvent::CustomerNotified { number, .. } => self.messages = number,
            ChatEvent::MessagesRead { up_to, .. } => self.read_up_to = up_to,
            ChatEvent::NoteAdded { .. } => {}
            ChatEvent::ChatTransferred {
                to_queue,
                to_category,
                ..
            } => {
                self.status = ChatStatus::Waiting;
                self.queue_id = Some(to_queue);
                self.category_id = to_category;
                self.agent_id = None;
                self.handed = None;
                self.hand_raised = false;
                self.joined.clear();
                self.invited.clear();
                self.offer = None;
            }
            ChatEvent::ChatRequeued { .. } => {
                self.status = ChatStatus::Waiting;
                self.agent_id = None;
                self.handed = None;
                self.hand_raised = false;
                self.joined.clear();
                self.invited.clear();
            }
            ChatEvent::ChatEnded { .. } => {
                self.status = ChatStatus::Ended;
                self.offer = None;
                self.hand_raised = false;
                self.joined.clear();
                self.invited.clear();
            }
            ChatEvent::CustomerClosedClient { abandoned, .. } => {
                self.offer = None;
                self.status = if abandoned {
                    ChatStatus::Abandoned
                } else {
                    ChatStatus::Ended
                };
            }
            ChatEvent::ChatWrappedUp { .. }
            | ChatEvent::WrapUpStarted { .. }
            | ChatEvent::WrapUpExtended { .. }
            | ChatEvent::WrapUpFinished { .. } => self.apply_wrap_up(&event),
            ChatEvent::ChatRated { score, .. } => self.rating = Some(score),
            ChatEvent::TranscriptRequested { .. } => {
                self.transcript = Some(transcript::TranscriptMail { settled: false })
            }
            ChatEvent::TranscriptSent { .. } | ChatEvent::TranscriptUndeliverable { .. } => {
                self.transcript = Some(transcript::TranscriptMail { settled: true })
            }
            ChatEvent::LegalHoldPlaced { .. } => self.held = true,
            ChatEvent::LegalHoldLifted { .. } => self.held = false,
            ChatEvent::ChatErased { .. } => self.erased = true,
        }
    }
}
