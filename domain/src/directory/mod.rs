//! The configuration of the contact centre — users, queues, membership, categories and the
//! pre-chat form — as one event-sourced aggregate.
//!
//! One instance ([`DIRECTORY_ID`]) holds it all, so that "usernames are unique" and "a
//! category belongs to an existing queue" are checked where the facts live, under the
//! aggregate's optimistic lock. Configuration changes are rare; serialising them costs nothing.
//! Passwords are not here: secrets do not belong in an append-only log that auditors read.

mod canned;
mod commands;
mod error;
mod events;
#[cfg(test)]
mod tests;
mod username;

pub use canned::{fill, CannedResponse, VARIABLES};
pub use commands::{DirectoryCommand, QueueSettings, UserChanges};
pub use error::{DirectoryError, QueueUse};
pub use events::DirectoryEvent;
pub use username::Username;

use crate::actor::Role;
use crate::chat::WrapUpPolicy;
use crate::code::Code;
use crate::form::FormField;
use crate::hours::OpeningHours;
use crate::ids::{CannedResponseId, CategoryId, QueueId, UserId};
use crate::presence::PauseReason;
use crate::text::Name;
use crate::NoServices;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The aggregate id of the one directory.
pub const DIRECTORY_ID: &str = "directory";

/// The most chats an agent can be set to handle at once.
pub const MAX_CONCURRENT_CHATS: u32 = 20;

/// The longest transcript retention a queue can have: ten years.
pub const MAX_RETENTION_DAYS: u32 = 3650;

/// The shortest and longest an offer may last: long enough to see it and click, short enough
/// that a customer offered to an absent agent is not kept waiting for long.
pub const MIN_OFFER_SECONDS: u32 = 5;
pub const MAX_OFFER_SECONDS: u32 = 600;

/// The longest wrap-up a queue can give its agents after a chat: half an hour.
pub const MAX_WRAP_UP_SECONDS: u32 = 1800;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct UserEntry {
    username: Username,
    role: Role,
    active: bool,
}

impl UserEntry {
    fn is_active_administrator(&self) -> bool {
        self.active && self.role == Role::Administrator
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct QueueEntry {
    name: Name,
    #[serde(default)]
    name_en: Option<Name>,
    members: BTreeSet<UserId>,
    #[serde(default)]
    wrap_up: WrapUpPolicy,
    #[serde(default)]
    opening_hours: Option<OpeningHours>,
    #[serde(default)]
    sneak_peek: bool,
    /// Where its chats overflow to: a queue others overflow to cannot be removed.
    #[serde(default)]
    overflow: Option<QueueId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CategoryEntry {
    name: Name,
    queue_id: QueueId,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Directory {
    users: BTreeMap<UserId, UserEntry>,
    queues: BTreeMap<QueueId, QueueEntry>,
    categories: BTreeMap<CategoryId, CategoryEntry>,
    /// The ids of removed queues and categories: never given out again, so that old chats and
    /// reports that name them cannot be mistaken for a newer one's.
    #[serde(default)]
    retired: BTreeSet<uuid::Uuid>,
    fields: Vec<FormField>,
    #[serde(default)]
    pause_reasons: BTreeSet<Code>,
    /// Each canned response's scope and shortcut: a shortcut is unique in its scope.
    #[serde(default)]
    canned: BTreeMap<CannedResponseId, (Option<QueueId>, Code)>,
}

impl Directory {
    fn require_queue(&self, queue_id: QueueId) -> Result<&QueueEntry, DirectoryError> {
        self.queues
            .get(&queue_id)
            .ok_or(DirectoryError::NoSuchQueue)
    }

    fn require_user(&self, user_id: UserId) -> Result<(), DirectoryError> {
        if self.users.contains_key(&user_id) {
            Ok(())
        } else {
            Err(DirectoryError::NoSuchUser)
        }
    }

    /// The queues a user is a member of.
    pub fn queues_of(&self, user_id: UserId) -> BTreeSet<QueueId> {
        self.queues
            .iter()
            .filter(|(_, queue)| queue.members.contains(&user_id))
            .map(|(id, _)| *id)
            .collect()
    }

    /// The reasons administrators have defined for pausing (besides the built-in ones).
    pub fn pause_reasons(&self) -> BTreeSet<Code> {
        self.pause_reasons.clone()
    }

    /// When a queue takes new chats; `None`: always (or no such queue).
    pub fn opening_hours(&self, queue_id: QueueId) -> Option<OpeningHours> {
        self.queues.get(&queue_id)?.opening_hours.clone()
    }

    /// Do the queue's agents see what its customers type before they send it?
    pub fn sneak_peek(&self, queue_id: QueueId) -> bool {
        self.queues
            .get(&queue_id)
            .is_some_and(|queue| queue.sneak_peek)
    }

    /// Each queue's wrap-up: how long, with which codes, whether one is required.
    pub fn wrap_up_policies(&self) -> BTreeMap<QueueId, WrapUpPolicy> {
        self.queues
            .iter()
            .map(|(id, queue)| (*id, queue.wrap_up.clone()))
            .collect()
    }

    /// Would `changes` leave the installation with no active administrator? Then no one could
    /// ever administer it again.
    fn removes_last_administrator(&self, user_id: UserId, changes: &UserChanges) -> bool {
        let Some(user) = self.users.get(&user_id) else {
            return false;
        };
        let stays = changes.active.unwrap_or(user.active)
            && changes.role.unwrap_or(user.role) == Role::Administrator;
        user.is_active_administrator()
            && !stays
            && !self
                .users
                .iter()
                .any(|(id, other)| *id != user_id && other.is_active_administrator())
    }

    /// Has this id been given to a user, queue or category, now or before it was removed?
    pub fn id_in_use(&self, id: uuid::Uuid) -> bool {
        self.users.contains_key(&UserId(id))
            || self.queues.contains_key(&QueueId(id))
            || self.categories.contains_key(&CategoryId(id))
            || self.retired.contains(&id)
    }

    fn queue_name_taken(&self, name: &Name, except: Option<QueueId>) -> bool {
        self.queues
            .iter()
            .any(|(id, queue)| Some(*id) != except && queue.name == *name)
    }

    fn category_name_taken(&self, name: &Name, except: Option<CategoryId>) -> bool {
        self.categories
            .iter()
            .any(|(id, category)| Some(*id) != except && category.name == *name)
    }

    /// What still needs the queue, if anything: then it cannot be removed.
    fn queue_in_use(&self, queue_id: QueueId, open_chats: u32) -> Option<QueueUse> {
        if open_chats > 0 {
            Some(QueueUse::OpenChats(open_chats))
        } else if self.categories.values().any(|c| c.queue_id == queue_id) {
            Some(QueueUse::Categories)
        } else if self
            .queues
            .iter()
            .any(|(id, queue)| *id != queue_id && queue.overflow == Some(queue_id))
        {
            Some(QueueUse::OverflowTarget)
        } else {
            None
        }
    }

    fn decide(&self, command: DirectoryCommand) -> Result<Vec<DirectoryEvent>, DirectoryError> {
        // Canned responses are the supervisors' to keep too; the rest is administration.
        let allowed = match command {
            DirectoryCommand::DefineCannedResponse { .. }
            | DirectoryCommand::RemoveCannedResponse { .. } => command.by().oversees(),
            _ => command.by().is_administrator(),
        };
        if !allowed {
            return Err(DirectoryError::Forbidden);
        }
        use DirectoryCommand as C;
        use DirectoryEvent as E;
        let event = match command {
            C::CreateUser {
                user_id,
                username,
                display_name,
                role,
                max_concurrent_chats,
                by,
                at,
            } => {
                if self.id_in_use(user_id.0) {
                    return Err(DirectoryError::IdInUse);
                }
                if self.users.values().any(|u| u.username == username) {
                    return Err(DirectoryError::UsernameTaken);
                }
                check_capacity(max_concurrent_chats)?;
                E::UserCreated {
                    user_id,
                    username,
                    display_name,
                    role,
                    max_concurrent_chats,
                    by,
                    at,
                }
            }
            C::UpdateUser {
                user_id,
                changes,
                by,
                at,
            } => {
                self.require_user(user_id)?;
                if let Some(capacity) = changes.max_concurrent_chats {
                    check_capacity(capacity)?;
                }
                if self.removes_last_administrator(user_id, &changes) {
                    return Err(DirectoryError::LastAdministrator);
                }
                if changes.is_empty() {
                    return Ok(vec![]);
                }
                E::UserUpdated {
                    user_id,
                    changes,
                    by,
                    at,
                }
            }
            C::RecordPasswordChange { user_id, by, at } => {
                self.require_user(user_id)?;
                E::PasswordChanged { user_id, by, at }
            }
            C::CreateQueue {
                queue_id,
                name,
                name_en,
                transcript_retention_days,
                offer_timeout_seconds,
                by,
                at,
            } => {
                check_retention(transcript_retention_days)?;
                check_offer_timeout(offer_timeout_seconds)?;
                if self.id_in_use(queue_id.0) {
                    return Err(DirectoryError::IdInUse);
                }
                if self.queue_name_taken(&name, None) {
                    return Err(DirectoryError::NameTaken);
                }
                E::QueueCreated {
                    queue_id,
                    name,
                    name_en,
                    transcript_retention_days,
                    offer_timeout_seconds,
                    by,
                    at,
                }
            }
            C::RenameQueue {
                queue_id,
                name,
                name_en,
                by,
                at,
            } => {
                let queue = self.require_queue(queue_id)?;
                if self.queue_name_taken(&name, Some(queue_id)) {
                    return Err(DirectoryError::NameTaken);
                }
                if queue.name == name && queue.name_en == name_en {
                    return Ok(vec![]);
                }
                E::QueueRenamed {
                    queue_id,
                    name,
                    name_en,
                    by,
                    at,
                }
            }
            C::RemoveQueue {
                queue_id,
                open_chats,
                by,
                at,
            } => {
                self.require_queue(queue_id)?;
                if let Some(in_use) = self.queue_in_use(queue_id, open_chats) {
                    return Err(DirectoryError::QueueInUse(in_use));
                }
                E::QueueRemoved { queue_id, by, at }
            }
            C::ConfigureQueue {
                queue_id,
                settings,
                by,
                at,
            } => {
                self.require_queue(queue_id)?;
                if let Some(overflow) = settings.overflow_queue_id {
                    self.require_queue(overflow)?;
                    if overflow == queue_id {
                        return Err(DirectoryError::OverflowToItself);
                    }
                }
                if settings.no_agent_notice_after_seconds == Some(0)
                    || settings.service_level_seconds == Some(0)
                {
                    return Err(DirectoryError::BadTimeout);
                }
                if settings
                    .service_level_target_percent
                    .is_some_and(|percent| !(1..=100).contains(&percent))
                {
                    return Err(DirectoryError::BadServiceLevelTarget);
                }
                check_retention(settings.transcript_retention_days)?;
                check_offer_timeout(settings.offer_timeout_seconds)?;
                if let Some(seconds) = settings.wrap_up_seconds {
                    if !(1..=MAX_WRAP_UP_SECONDS).contains(&seconds) {
                        return Err(DirectoryError::BadWrapUp);
                    }
                }
                if let Some(hours) = &settings.opening_hours {
                    hours.check()?;
                }
                E::QueueConfigured {
                    queue_id,
                    settings,
                    by,
                    at,
                }
            }
            C::AddQueueMember {
                queue_id,
                user_id,
                by,
                at,
            } => {
                self.require_user(user_id)?;
                if self.require_queue(queue_id)?.members.contains(&user_id) {
                    return Ok(vec![]);
                }
                E::QueueMemberAdded {
                    queue_id,
                    user_id,
                    by,
                    at,
                }
            }
            C::RemoveQueueMember {
                queue_id,
                user_id,
                by,
                at,
            } => {
                if !self.require_queue(queue_id)?.members.contains(&user_id) {
                    return Ok(vec![]);
                }
                E::QueueMemberRemoved {
                    queue_id,
                    user_id,
                    by,
                    at,
                }
            }
            C::CreateCategory {
                category_id,
                name,
                name_en,
                queue_id,
                by,
                at,
            } => {
                if self.id_in_use(category_id.0) {
                    return Err(DirectoryError::IdInUse);
                }
                self.require_queue(queue_id)?;
                if self.category_name_taken(&name, None) {
                    return Err(DirectoryError::NameTaken);
                }
                E::CategoryCreated {
                    category_id,
                    name,
                    name_en,
                    queue_id,
                    by,
                    at,
                }
            }
            C::UpdateCategory {
                category_id,
                name,
                name_en,
                queue_id,
                by,
                at,
            } => {
                if !self.categories.contains_key(&category_id) {
                    return Err(DirectoryError::NoSuchCategory);
                }
                self.require_queue(queue_id)?;
                if self.category_name_taken(&name, Some(category_id)) {
                    return Err(DirectoryError::NameTaken);
                }
                E::CategoryUpdated {
                    category_id,
                    name,
                    name_en,
                    queue_id,
                    by,
                    at,
                }
            }
            C::RemoveCategory {
                category_id,
                by,
                at,
            } => {
                if !self.categories.contains_key(&category_id) {
                    return Err(DirectoryError::NoSuchCategory);
                }
                E::CategoryRemoved {
                    category_id,
                    by,
                    at,
                }
            }
            C::DefineFormField { field, by, at } => {
                field.check()?;
                if self.fields.contains(&field) {
                    return Ok(vec![]);
                }
                E::FormFieldDefined { field, by, at }
            }
            C::RemoveFormField { key, by, at } => {
                if !self.fields.iter().any(|f| f.key == key) {
                    return Err(DirectoryError::NoSuchField);
                }
                E::FormFieldRemoved { key, by, at }
            }
            C::OrderFormFields { keys, by, at } => {
                let wanted: BTreeSet<&String> = keys.iter().collect();
                let every_field_once = keys.len() == self.fields.len()
                    && wanted.len() == keys.len()
                    && self.fields.iter().all(|f| wanted.contains(&f.key));
                if !every_field_once {
                    return Err(DirectoryError::BadFieldOrder);
                }
                if self.fields.iter().map(|f| &f.key).eq(keys.iter()) {
                    return Ok(vec![]);
                }
                E::FormFieldsOrdered { keys, by, at }
            }
            C::DefinePauseReason {
                reason,
                label,
                by,
                at,
            } => {
                if PauseReason::BUILT_IN.contains(&reason.as_str()) {
                    return Err(DirectoryError::BuiltInPauseReason);
                }
                E::PauseReasonDefined {
                    reason,
                    label,
                    by,
                    at,
                }
            }
            C::RemovePauseReason { reason, by, at } => {
                if !self.pause_reasons.contains(&reason) {
                    return Err(DirectoryError::NoSuchPauseReason);
                }
                E::PauseReasonRemoved { reason, by, at }
            }
            C::DefineCannedResponse {
                response_id,
                response,
                by,
                at,
            } => {
                response.check()?;
                if let Some(queue_id) = response.queue_id {
                    self.require_queue(queue_id)?;
                }
                let scope = (response.queue_id, response.shortcut.clone());
                if self
                    .canned
                    .iter()
                    .any(|(id, other)| *id != response_id && *other == scope)
                {
                    return Err(DirectoryError::NameTaken);
                }
                E::CannedResponseDefined {
                    response_id,
                    response,
                    by,
                    at,
                }
            }
            C::RemoveCannedResponse {
                response_id,
                by,
                at,
            } => {
                if !self.canned.contains_key(&response_id) {
                    return Err(DirectoryError::NoSuchCannedResponse);
                }
                E::CannedResponseRemoved {
                    response_id,
                    by,
                    at,
                }
            }
            C::DefineWrapUpCode {
                queue_id,
                code,
                label,
                by,
                at,
            } => {
                self.require_queue(queue_id)?;
                E::WrapUpCodeDefined {
                    queue_id,
                    code,
                    label,
                    by,
                    at,
                }
            }
            C::RemoveWrapUpCode {
                queue_id,
                code,
                by,
                at,
            } => {
                if !self.require_queue(queue_id)?.wrap_up.codes.contains(&code) {
                    return Err(DirectoryError::NoSuchWrapUpCode);
                }
                E::WrapUpCodeRemoved {
                    queue_id,
                    code,
                    by,
                    at,
                }
            }
        };
        Ok(vec![event])
    }
}

fn check_retention(days: Option<u32>) -> Result<(), DirectoryError> {
    match days {
        Some(days) if !(1..=MAX_RETENTION_DAYS).contains(&days) => {
            Err(DirectoryError::BadRetention)
        }
        _ => Ok(()),
    }
}

fn check_offer_timeout(seconds: Option<u32>) -> Result<(), DirectoryError> {
    match seconds {
        Some(seconds) if !(MIN_OFFER_SECONDS..=MAX_OFFER_SECONDS).contains(&seconds) => {
            Err(DirectoryError::BadOfferTimeout)
        }
        _ => Ok(()),
    }
}

fn check_capacity(capacity: u32) -> Result<(), DirectoryError> {
    if (1..=MAX_CONCURRENT_CHATS).contains(&capacity) {
        Ok(())
    } else {
        Err(DirectoryError::BadCapacity)
    }
}

impl Aggregate for Directory {
    const TYPE: &'static str = "directory";
    type Command = DirectoryCommand;
    type Event = DirectoryEvent;
    type Error = DirectoryError;
    type Services = NoServices;

    handle_by_deciding!();

    fn apply(&mut self, event: Self::Event) {
        use DirectoryEvent as E;
        match event {
            E::UserCreated {
                user_id,
                username,
                role,
                ..
            } => {
                self.users.insert(
                    user_id,
                    UserEntry {
                        username,
                        role,
                        active: true,
                    },
                );
            }
            E::UserUpdated {
                user_id, changes, ..
            } => {
                if let Some(user) = self.users.get_mut(&user_id) {
                    user.role = changes.role.unwrap_or(user.role);
                    user.active = changes.active.unwrap_or(user.active);
                }
            }
            E::PasswordChanged { .. } => {}
            E::QueueCreated {
                queue_id,
                name,
                name_en,
                ..
            } => {
                self.queues.insert(
                    queue_id,
                    QueueEntry {
                        name,
                        name_en,
                        members: BTreeSet::new(),
                        wrap_up: WrapUpPolicy::default(),
                        opening_hours: None,
                        sneak_peek: false,
                        overflow: None,
                    },
                );
            }
            E::QueueRenamed {
                queue_id,
                name,
                name_en,
                ..
            } => {
                if let Some(queue) = self.queues.get_mut(&queue_id) {
                    queue.name = name;
                    queue.name_en = name_en;
                }
            }
            E::QueueRemoved { queue_id, .. } => {
                self.queues.remove(&queue_id);
                self.retired.insert(queue_id.0);
            }
            E::QueueConfigured {
                queue_id, settings, ..
            } => {
                if let Some(queue) = self.queues.get_mut(&queue_id) {
                    queue.wrap_up.seconds = settings.wrap_up_seconds;
                    queue.wrap_up.code_required = settings.wrap_up_code_required;
                    queue.opening_hours = settings.opening_hours;
                    queue.sneak_peek = settings.sneak_peek;
                    queue.overflow = settings.overflow_queue_id;
                }
            }
            E::QueueMemberAdded {
                queue_id, user_id, ..
            } => {
                if let Some(queue) = self.queues.get_mut(&queue_id) {
                    queue.members.insert(user_id);
                }
            }
            E::QueueMemberRemoved {
                queue_id, user_id, ..
            } => {
                if let Some(queue) = self.queues.get_mut(&queue_id) {
                    queue.members.remove(&user_id);
                }
            }
            E::CategoryCreated {
                category_id,
                name,
                queue_id,
                ..
            }
            | E::CategoryUpdated {
                category_id,
                name,
                queue_id,
                ..
            } => {
                self.categories
                    .insert(category_id, CategoryEntry { name, queue_id });
            }
            E::CategoryRemoved { category_id, .. } => {
                self.categories.remove(&category_id);
                self.retired.insert(category_id.0);
            }
            E::FormFieldDefined { field, .. } => {
                match self.fields.iter_mut().find(|f| f.key == field.key) {
                    Some(existing) => *existing = field,
                    None => self.fields.push(field),
                }
            }
            E::FormFieldRemoved { key, .. } => self.fields.retain(|f| f.key != key),
            E::FormFieldsOrdered { keys, .. } => self
                .fields
                .sort_by_key(|f| keys.iter().position(|k| *k == f.key)),
            E::PauseReasonDefined { reason, .. } => {
                self.pause_reasons.insert(reason);
            }
            E::PauseReasonRemoved { reason, .. } => {
                self.pause_reasons.remove(&reason);
            }
            E::WrapUpCodeDefined { queue_id, code, .. } => {
                if let Some(queue) = self.queues.get_mut(&queue_id) {
                    queue.wrap_up.codes.insert(code);
                }
            }
            E::WrapUpCodeRemoved { queue_id, code, .. } => {
                if let Some(queue) = self.queues.get_mut(&queue_id) {
                    queue.wrap_up.codes.remove(&code);
                }
            }
            E::CannedResponseDefined {
                response_id,
                response,
                ..
            } => {
                self.canned
                    .insert(response_id, (response.queue_id, response.shortcut));
            }
            E::CannedResponseRemoved { response_id, .. } => {
                self.canned.remove(&response_id);
            }
        }
    }
}
