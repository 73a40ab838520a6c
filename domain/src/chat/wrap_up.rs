//! After a chat ends, its agent wraps it up: a little time in which routing gives them nothing
//! new (`wrap_up_seconds`, extendable once), the contact reasons of the chat (its queue's
//! wrap-up codes, one of them required where the queue says so) and a note for colleagues.

use super::{Chat, ChatError, ChatEvent, ChatStatus};
use crate::actor::Actor;
use crate::code::Code;
use crate::ids::{QueueId, UserId};
use crate::text::MessageText;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A queue's wrap-up, as the directory has it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrapUpPolicy {
    /// How long an agent's wrap-up lasts; `None`: routing may give them a chat at once.
    pub seconds: Option<u32>,
    /// The codes a chat of the queue may be wrapped up with.
    pub codes: BTreeSet<Code>,
    /// One of `codes` must be picked (when the queue has any).
    pub code_required: bool,
}

impl WrapUpPolicy {
    fn requires_code(&self) -> bool {
        self.code_required && !self.codes.is_empty()
    }
}

/// Every queue's policy: a command carries them all, and the chat applies its own queue's, so
/// that a chat transferred a moment ago is not wrapped up under its old queue's rules.
pub type WrapUpPolicies = BTreeMap<QueueId, WrapUpPolicy>;

/// What the agent says of a chat as they wrap it up: its codes and a note (staff only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Disposition {
    pub codes: BTreeSet<Code>,
    pub note: Option<MessageText>,
}

impl Disposition {
    fn is_empty(&self) -> bool {
        self.codes.is_empty() && self.note.is_none()
    }
}

/// An agent's wrap-up of the chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct WrapUp {
    pub agent_id: UserId,
    pub until: DateTime<Utc>,
    /// The queue's wrap-up length when it began: what one extension adds.
    pub seconds: u32,
    pub extended: bool,
    pub finished: bool,
}

impl WrapUp {
    fn running_at(&self, at: DateTime<Utc>) -> bool {
        !self.finished && at < self.until
    }
}

impl Chat {
    fn policy<'a>(&self, policies: &'a WrapUpPolicies) -> Option<&'a WrapUpPolicy> {
        self.queue_id.and_then(|queue| policies.get(&queue))
    }

    /// The chat ends (by staff, or the customer closing the client): what it records besides
    /// the end itself — the disposition given with it, and the agent's wrap-up.
    pub(super) fn wrap_up_on_end(
        &self,
        disposition: Disposition,
        policies: &WrapUpPolicies,
        by: Actor,
        at: DateTime<Utc>,
    ) -> Result<Vec<ChatEvent>, ChatError> {
        let policy = self.policy(policies).cloned().unwrap_or_default();
        // The customer cannot pick a code; the agent is then asked for it during wrap-up.
        if by != Actor::Customer {
            check_codes(&policy, &disposition.codes)?;
            if policy.requires_code() && disposition.codes.is_empty() {
                return Err(ChatError::WrapUpCodeRequired);
            }
        }
        let code_owed = policy.requires_code() && disposition.codes.is_empty();
        let mut events = Vec::new();
        if !disposition.is_empty() {
            events.push(wrapped_up(disposition, by, at));
        }
        // A wrap-up of no length still records the code the agent owes.
        let seconds = policy.seconds.or(code_owed.then_some(0));
        if let (Some(agent_id), Some(seconds)) = (self.agent_id, seconds) {
            events.push(ChatEvent::WrapUpStarted {
                agent_id,
                until: at + chrono::Duration::seconds(seconds.into()),
                code_owed,
                by,
                at,
            });
        }
        Ok(events)
    }

    /// The disposition of a chat that ended without one (the customer closed it, or the
    /// agent had nothing to say yet). Once: a chat's contact reasons are not rewritten.
    pub(super) fn record_disposition(
        &self,
        disposition: Disposition,
        policies: &WrapUpPolicies,
        by: Actor,
        at: DateTime<Utc>,
    ) -> Result<Vec<ChatEvent>, ChatError> {
        self.require_ended_by_staff_of(&by)?;
        if self.disposed {
            return Err(ChatError::AlreadyWrappedUp);
        }
        if disposition.is_empty() {
            return Err(ChatError::EmptyDisposition);
        }
        let policy = self.policy(policies).cloned().unwrap_or_default();
        check_codes(&policy, &disposition.codes)?;
        if policy.requires_code() && disposition.codes.is_empty() {
            return Err(ChatError::WrapUpCodeRequired);
        }
        Ok(vec![wrapped_up(disposition, by, at)])
    }

    /// More time, once, while the wrap-up runs: as much again as it had.
    pub(super) fn extend_wrap_up(
        &self,
        by: Actor,
        at: DateTime<Utc>,
    ) -> Result<Vec<ChatEvent>, ChatError> {
        let wrap_up = self.running_wrap_up(by, at)?;
        if wrap_up.extended {
            return Err(ChatError::WrapUpExtended);
        }
        Ok(vec![ChatEvent::WrapUpExtended {
            agent_id: wrap_up.agent_id,
            until: wrap_up.until + chrono::Duration::seconds(wrap_up.seconds.into()),
            by,
            at,
        }])
    }

    /// The agent is ready before the time is up; once it is up, there is nothing to finish.
    pub(super) fn finish_wrap_up(
        &self,
        by: Actor,
        at: DateTime<Utc>,
    ) -> Result<Vec<ChatEvent>, ChatError> {
        self.require_ended_by_staff_of(&by)?;
        match self.wrap_up {
            Some(wrap_up) if wrap_up.running_at(at) => {
                if self.code_owed {
                    return Err(ChatError::WrapUpCodeRequired);
                }
                Ok(vec![ChatEvent::WrapUpFinished {
                    agent_id: wrap_up.agent_id,
                    by,
                    at,
                }])
            }
            _ => Ok(vec![]),
        }
    }

    fn running_wrap_up(&self, by: Actor, at: DateTime<Utc>) -> Result<WrapUp, ChatError> {
        self.require_ended_by_staff_of(&by)?;
        self.wrap_up
            .filter(|wrap_up| wrap_up.running_at(at))
            .ok_or(ChatError::NotInWrapUp)
    }

    /// Wrap-up is for ended chats, by their agent or those who oversee them.
    fn require_ended_by_staff_of(&self, by: &Actor) -> Result<(), ChatError> {
        match self.status {
            ChatStatus::New => Err(ChatError::NotFound),
            ChatStatus::Ended => {
                if self.staff_may_act(by) {
                    Ok(())
                } else {
                    Err(ChatError::Forbidden)
                }
            }
            ChatStatus::Abandoned => Err(ChatError::NotInWrapUp),
            ChatStatus::Waiting | ChatStatus::Assigned | ChatStatus::Left => {
                Err(ChatError::NotEnded)
            }
        }
    }

    pub(super) fn apply_wrap_up(&mut self, event: &ChatEvent) {
        match event {
            ChatEvent::WrapUpStarted {
                agent_id,
                until,
                code_owed,
                at,
                ..
            } => {
                self.wrap_up = Some(WrapUp {
                    agent_id: *agent_id,
                    until: *until,
                    seconds: u32::try_from((*until - *at).num_seconds()).unwrap_or(0),
                    extended: false,
                    finished: false,
                });
                self.code_owed = *code_owed;
            }
            ChatEvent::WrapUpExtended { until, .. } => {
                if let Some(wrap_up) = &mut self.wrap_up {
                    wrap_up.until = *until;
                    wrap_up.extended = true;
                }
            }
            ChatEvent::WrapUpFinished { .. } => {
                if let Some(wrap_up) = &mut self.wrap_up {
                    wrap_up.finished = true;
                }
            }
            ChatEvent::ChatWrappedUp { .. } => {
                self.disposed = true;
                self.code_owed = false;
            }
            _ => {}
        }
    }
}

fn check_codes(policy: &WrapUpPolicy, codes: &BTreeSet<Code>) -> Result<(), ChatError> {
    match codes.iter().find(|code| !policy.codes.contains(code)) {
        Some(unknown) => Err(ChatError::UnknownWrapUpCode(unknown.clone())),
        None => Ok(()),
    }
}

fn wrapped_up(disposition: Disposition, by: Actor, at: DateTime<Utc>) -> ChatEvent {
    ChatEvent::ChatWrappedUp {
        codes: disposition.codes,
        note: disposition.note.map(Into::into),
        by,
        at,
    }
}
