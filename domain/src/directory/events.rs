use super::{CannedResponse, QueueSettings, UserChanges, Username};
use crate::actor::{Actor, Role};
use crate::code::Code;
use crate::form::FormField;
use crate::ids::{CannedResponseId, CategoryId, QueueId, UserId};
use crate::text::Name;
use crate::EVENT_VERSION;
use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DirectoryEvent {
    UserCreated {
        user_id: UserId,
        username: Username,
        display_name: Name,
        role: Role,
        max_concurrent_chats: u32,
        by: Actor,
        at: DateTime<Utc>,
    },
    UserUpdated {
        user_id: UserId,
        changes: UserChanges,
        by: Actor,
        at: DateTime<Utc>,
    },
    PasswordChanged {
        user_id: UserId,
        by: Actor,
        at: DateTime<Utc>,
    },
    QueueCreated {
        queue_id: QueueId,
        name: Name,
        /// The English name; absent in older events and when there is none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name_en: Option<Name>,
        /// See [`QueueSettings::transcript_retention_days`]; absent in older events.
        #[serde(default)]
        transcript_retention_days: Option<u32>,
        /// See [`QueueSettings::offer_timeout_seconds`]; absent in older events.
        #[serde(default)]
        offer_timeout_seconds: Option<u32>,
        by: Actor,
        at: DateTime<Utc>,
    },
    QueueRenamed {
        queue_id: QueueId,
        name: Name,
        name_en: Option<Name>,
        by: Actor,
        at: DateTime<Utc>,
    },
    QueueRemoved {
        queue_id: QueueId,
        by: Actor,
        at: DateTime<Utc>,
    },
    QueueConfigured {
        queue_id: QueueId,
        settings: QueueSettings,
        by: Actor,
        at: DateTime<Utc>,
    },
    QueueMemberAdded {
        queue_id: QueueId,
        user_id: UserId,
        by: Actor,
        at: DateTime<Utc>,
    },
    QueueMemberRemoved {
        queue_id: QueueId,
        user_id: UserId,
        by: Actor,
        at: DateTime<Utc>,
    },
    CategoryCreated {
        category_id: CategoryId,
        name: Name,
        /// The English name; absent in older events and when there is none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name_en: Option<Name>,
        queue_id: QueueId,
        by: Actor,
        at: DateTime<Utc>,
    },
    CategoryUpdated {
        category_id: CategoryId,
        name: Name,
        name_en: Option<Name>,
        queue_id: QueueId,
        by: Actor,
        at: DateTime<Utc>,
    },
    CategoryRemoved {
        category_id: CategoryId,
        by: Actor,
        at: DateTime<Utc>,
    },
    FormFieldDefined {
        field: FormField,
        by: Actor,
        at: DateTime<Utc>,
    },
    FormFieldRemoved {
        key: String,
        by: Actor,
        at: DateTime<Utc>,
    },
    FormFieldsOrdered {
        keys: Vec<String>,
        by: Actor,
        at: DateTime<Utc>,
    },
    PauseReasonDefined {
        reason: Code,
        label: Name,
        by: Actor,
        at: DateTime<Utc>,
    },
    PauseReasonRemoved {
        reason: Code,
        by: Actor,
        at: DateTime<Utc>,
    },
    WrapUpCodeDefined {
        queue_id: QueueId,
        code: Code,
        label: Name,
        by: Actor,
        at: DateTime<Utc>,
    },
    WrapUpCodeRemoved {
        queue_id: QueueId,
        code: Code,
        by: Actor,
        at: DateTime<Utc>,
    },
    CannedResponseDefined {
        response_id: CannedResponseId,
        response: CannedResponse,
        by: Actor,
        at: DateTime<Utc>,
    },
    CannedResponseRemoved {
        response_id: CannedResponseId,
        by: Actor,
        at: DateTime<Utc>,
    },
}

/// The configuration is not erased: staff names and settings stay as long as the directory.
impl crate::personal::Subject for DirectoryEvent {}

impl DomainEvent for DirectoryEvent {
    fn event_type(&self) -> String {
        use DirectoryEvent as E;
        match self {
            E::UserCreated { .. } => "UserCreated",
            E::UserUpdated { .. } => "UserUpdated",
            E::PasswordChanged { .. } => "PasswordChanged",
            E::QueueCreated { .. } => "QueueCreated",
            E::QueueRenamed { .. } => "QueueRenamed",
            E::QueueRemoved { .. } => "QueueRemoved",
            E::QueueConfigured { .. } => "QueueConfigured",
            E::QueueMemberAdded { .. } => "QueueMemberAdded",
            E::QueueMemberRemoved { .. } => "QueueMemberRemoved",
            E::CategoryCreated { .. } => "CategoryCreated",
            E::CategoryUpdated { .. } => "CategoryUpdated",
            E::CategoryRemoved { .. } => "CategoryRemoved",
            E::FormFieldDefined { .. } => "FormFieldDefined",
            E::FormFieldRemoved { .. } => "FormFieldRemoved",
            E::FormFieldsOrdered { .. } => "FormFieldsOrdered",
            E::PauseReasonDefined { .. } => "PauseReasonDefined",
            E::PauseReasonRemoved { .. } => "PauseReasonRemoved",
            E::WrapUpCodeDefined { .. } => "WrapUpCodeDefined",
            E::WrapUpCodeRemoved { .. } => "WrapUpCodeRemoved",
            E::CannedResponseDefined { .. } => "CannedResponseDefined",
            E::CannedResponseRemoved { .. } => "CannedResponseRemoved",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        EVENT_VERSION.to_string()
    }
}
