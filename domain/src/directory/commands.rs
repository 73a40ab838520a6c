use super::{CannedResponse, Username};
use crate::actor::{Actor, Role};
use crate::code::Code;
use crate::form::FormField;
use crate::hours::OpeningHours;
use crate::ids::{CannedResponseId, CategoryId, QueueId, UserId};
use crate::text::Name;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How a queue treats customers who wait with no agent logged in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueSettings {
    /// After this many seconds of waiting while no agent is logged in to the queue, the
    /// customer gets a system message saying so. `None`: never.
    pub no_agent_notice_after_seconds: Option<u32>,
    /// Where such a chat then overflows to, if anywhere.
    pub overflow_queue_id: Option<QueueId>,
    /// Chats answered within this many seconds count towards the queue's service level.
    /// `None`: the default of 60 s. (Absent in events written before it existed.)
    #[serde(default)]
    pub service_level_seconds: Option<u32>,
    /// The share of chats (1-100 %) the queue aims to answer within that time: the target
    /// the supervisors' chart draws. `None`: 80 %. (Absent in older events.)
    #[serde(default)]
    pub service_level_target_percent: Option<u8>,
    /// The personal data of a chat that ended in this queue is erased this many days after it
    /// ended. `None`: kept until erased on request. (Absent in events written before it
    /// existed: those queues keep their chats, as they did.)
    #[serde(default)]
    pub transcript_retention_days: Option<u32>,
    /// Routing offers a chat to one agent for this many seconds before offering it to the
    /// next; `None`: routing assigns it straight away. (Absent in events written before it
    /// existed: those queues assign straight away, as they did.)
    #[serde(default)]
    pub offer_timeout_seconds: Option<u32>,
    /// After each chat of this queue ends, its agent has this many seconds of wrap-up, in
    /// which routing gives them nothing new; `None`: none. (Absent in older events.)
    #[serde(default)]
    pub wrap_up_seconds: Option<u32>,
    /// A chat of this queue cannot end without a wrap-up code (when the queue has codes).
    #[serde(default)]
    pub wrap_up_code_required: bool,
    /// When the queue takes new chats; `None`: always.
    #[serde(default)]
    pub opening_hours: Option<OpeningHours>,
    /// Its agents see what a customer is typing before they send it (the widget says so).
    #[serde(default)]
    pub sneak_peek: bool,
}

/// The fields of a user an administrator can change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<Name>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent_chats: Option<u32>,
    /// A deactivated user can no longer log in; their history stays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

impl UserChanges {
    pub fn is_empty(&self) -> bool {
        *self == UserChanges::default()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum DirectoryCommand {
    CreateUser {
        user_id: UserId,
        username: Username,
        display_name: Name,
        role: Role,
        max_concurrent_chats: u32,
        by: Actor,
        at: DateTime<Utc>,
    },
    UpdateUser {
        user_id: UserId,
        changes: UserChanges,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The credential store changed a password; the log records that it happened, not the hash.
    RecordPasswordChange {
        user_id: UserId,
        by: Actor,
        at: DateTime<Utc>,
    },
    CreateQueue {
        queue_id: QueueId,
        name: Name,
        /// What English consoles and widgets call it; `None`: the Norwegian name.
        name_en: Option<Name>,
        /// The installation's default retention for new queues (see [`QueueSettings`]).
        transcript_retention_days: Option<u32>,
        /// The installation's default offer timeout for new queues (see [`QueueSettings`]).
        offer_timeout_seconds: Option<u32>,
        by: Actor,
        at: DateTime<Utc>,
    },
    RenameQueue {
        queue_id: QueueId,
        name: Name,
        name_en: Option<Name>,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// Retires a queue: it takes no new chats and is no longer listed; its id is never reused.
    RemoveQueue {
        queue_id: QueueId,
        /// How many chats wait in it or are being handled there, as the conversations read
        /// model counts them: a queue with open chats cannot go.
        open_chats: u32,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// Changes how a queue treats waiting customers.
    ConfigureQueue {
        queue_id: QueueId,
        settings: QueueSettings,
        by: Actor,
        at: DateTime<Utc>,
    },
    AddQueueMember {
        queue_id: QueueId,
        user_id: UserId,
        by: Actor,
        at: DateTime<Utc>,
    },
    RemoveQueueMember {
        queue_id: QueueId,
        user_id: UserId,
        by: Actor,
        at: DateTime<Utc>,
    },
    CreateCategory {
        category_id: CategoryId,
        name: Name,
        name_en: Option<Name>,
        queue_id: QueueId,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// Renames a category, or leads it to another queue (chats already started stay put).
    UpdateCategory {
        category_id: CategoryId,
        name: Name,
        name_en: Option<Name>,
        queue_id: QueueId,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// Takes a category off the widget; chats started in it keep it in their history.
    RemoveCategory {
        category_id: CategoryId,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// Adds a field to the pre-chat form, or replaces the one with the same key.
    DefineFormField {
        field: FormField,
        by: Actor,
        at: DateTime<Utc>,
    },
    RemoveFormField {
        key: String,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// Puts the pre-chat form's fields in this order: every field's key, once each.
    OrderFormFields {
        keys: Vec<String>,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// Adds a reason agents can pause for, or relabels the one with that code.
    DefinePauseReason {
        reason: Code,
        label: Name,
        by: Actor,
        at: DateTime<Utc>,
    },
    RemovePauseReason {
        reason: Code,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// Adds a wrap-up code (a contact reason) to a queue, or relabels the one with that code.
    DefineWrapUpCode {
        queue_id: QueueId,
        code: Code,
        label: Name,
        by: Actor,
        at: DateTime<Utc>,
    },
    RemoveWrapUpCode {
        queue_id: QueueId,
        code: Code,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// Adds a canned response, or replaces the one with that id (supervisors too).
    DefineCannedResponse {
        response_id: CannedResponseId,
        response: CannedResponse,
        by: Actor,
        at: DateTime<Utc>,
    },
    RemoveCannedResponse {
        response_id: CannedResponseId,
        by: Actor,
        at: DateTime<Utc>,
    },
}

impl DirectoryCommand {
    pub fn by(&self) -> &Actor {
        match self {
            DirectoryCommand::CreateUser { by, .. }
            | DirectoryCommand::UpdateUser { by, .. }
            | DirectoryCommand::RecordPasswordChange { by, .. }
            | DirectoryCommand::CreateQueue { by, .. }
            | DirectoryCommand::RenameQueue { by, .. }
            | DirectoryCommand::RemoveQueue { by, .. }
            | DirectoryCommand::ConfigureQueue { by, .. }
            | DirectoryCommand::AddQueueMember { by, .. }
            | DirectoryCommand::RemoveQueueMember { by, .. }
            | DirectoryCommand::CreateCategory { by, .. }
            | DirectoryCommand::UpdateCategory { by, .. }
            | DirectoryCommand::RemoveCategory { by, .. }
            | DirectoryCommand::DefineFormField { by, .. }
            | DirectoryCommand::RemoveFormField { by, .. }
            | DirectoryCommand::OrderFormFields { by, .. }
            | DirectoryCommand::DefinePauseReason { by, .. }
            | DirectoryCommand::RemovePauseReason { by, .. }
            | DirectoryCommand::DefineWrapUpCode { by, .. }
            | DirectoryCommand::RemoveWrapUpCode { by, .. }
            | DirectoryCommand::DefineCannedResponse { by, .. }
            | DirectoryCommand::RemoveCannedResponse { by, .. } => by,
        }
    }
}
