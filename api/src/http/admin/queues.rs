//! Queues: creating and configuring them, and their members.

use super::{created, directory, english_name, name, unknown_in, Created};
use crate::auth::Staff;
use crate::error::{refusals, ApiError, OverseersOnly, Problem, QueueInUse};
use crate::extract::{parse_id, ApiJson, ApiPath, Origin};
use crate::http::constraints;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use samtale_domain::directory::{QueueSettings, DIRECTORY_ID};
use samtale_domain::hours::OpeningHours;
use samtale_domain::DirectoryEvent;
use samtale_domain::{DirectoryCommand, DirectoryError, QueueId, UserId};
use samtale_projections::read::{self, QueueRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Deserialize, ToSchema)]
pub struct NewQueue {
    #[schema(schema_with = constraints::name)]
    name: String,
    /// What English consoles and widgets call it; absent or `null`: `name`.
    #[serde(default)]
    #[schema(schema_with = constraints::optional_name)]
    name_en: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/queues",
    tag = "admin",
    request_body = NewQueue,
    responses(
        (status = 201, description = "The queue, created", body = QueueRow),
        refusals::NewName,
    ),
    security(("bearer" = []))
)]
pub async fn create_queue(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiJson(new): ApiJson<NewQueue>,
) -> Result<Created<QueueRow>, ApiError> {
    let command = DirectoryCommand::CreateQueue {
        queue_id: QueueId(Uuid::now_v7()),
        name: name("name", &new.name)?,
        name_en: english_name(new.name_en.as_deref())?,
        transcript_retention_days: state.transcript_retention_days,
        offer_timeout_seconds: state.offer_timeout_seconds,
        by: staff.actor(),
        at: meta.at,
    };
    let executed = directory(&state, &staff, &meta, ("create_queue", ""), command).await?;
    let queue_id = created(&executed, |event| match event {
        DirectoryEvent::QueueCreated { queue_id, .. } => Some(*queue_id),
        _ => None,
    })?;
    let queue = read::queue(state.db.any(), &queue_id.to_string())
        .await?
        .ok_or_else(|| ApiError::Internal("created queue not in the read model".into()))?;
    Ok((StatusCode::CREATED, Json(queue)))
}

/// A queue's names, both given: `name_en` `null` leaves English consoles with `name`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueNames {
    #[schema(schema_with = constraints::name)]
    name: String,
    #[schema(schema_with = constraints::optional_name)]
    name_en: Option<String>,
}

#[utoipa::path(
    put,
    path = "/api/v1/queues/{id}/name",
    tag = "admin",
    params(("id" = Uuid, Path, description = "The queue")),
    request_body = QueueNames,
    responses(
        (status = 200, description = "The queue, renamed", body = QueueRow),
        refusals::DirectoryChange,
    ),
    security(("bearer" = []))
)]
pub async fn rename_queue(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(queue_id): ApiPath<QueueId>,
    ApiJson(names): ApiJson<QueueNames>,
) -> Result<Json<QueueRow>, ApiError> {
    let command = DirectoryCommand::RenameQueue {
        queue_id,
        name: name("name", &names.name)?,
        name_en: english_name(names.name_en.as_deref())?,
        by: staff.actor(),
        at: meta.at,
    };
    let resource = ("rename_queue", &*queue_id.to_string());
    directory(&state, &staff, &meta, resource, command).await?;
    read::queue(state.db.any(), &queue_id.to_string())
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("no such queue".into()))
}

/// Retires a queue: no longer listed, no new chats, its members released; its chats' history
/// and reports keep its name. Refused while it has open chats (waiting, going on, or left
/// messages unanswered), while categories lead to it or another queue overflows to it.
#[utoipa::path(
    delete,
    path = "/api/v1/queues/{id}",
    tag = "admin",
    params(("id" = Uuid, Path, description = "The queue")),
    responses(
        (status = 204, description = "The queue is removed"),
        (status = 403, response = Problem),
        (status = 404, response = Problem),
        (status = 409, response = QueueInUse),
    ),
    security(("bearer" = []))
)]
pub async fn remove_queue(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(queue_id): ApiPath<QueueId>,
) -> Result<StatusCode, ApiError> {
    staff.require_administrator()?;
    let open = read::open_chats_in(state.db.any(), &queue_id.to_string()).await?;
    let command = DirectoryCommand::RemoveQueue {
        queue_id,
        open_chats: u32::try_from(open).unwrap_or(u32::MAX),
        by: staff.actor(),
        at: meta.at,
    };
    let resource = ("remove_queue", &*queue_id.to_string());
    directory(&state, &staff, &meta, resource, command).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct NewMember {
    #[schema(format = Uuid)]
    user_id: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/queues/{id}/members",
    tag = "admin",
    params(("id" = Uuid, Path, description = "The queue")),
    request_body = NewMember,
    responses(
        (status = 204, description = "The user is a member of the queue"),
        refusals::DirectoryChange,
    ),
    security(("bearer" = []))
)]
pub async fn add_member(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(queue_id): ApiPath<QueueId>,
    ApiJson(member): ApiJson<NewMember>,
) -> Result<StatusCode, ApiError> {
    let user_id: UserId = parse_id("user_id", &member.user_id)?;
    let command = DirectoryCommand::AddQueueMember {
        queue_id,
        user_id,
        by: staff.actor(),
        at: meta.at,
    };
    directory(
        &state,
        &staff,
        &meta,
        ("add_queue_member", &format!("{queue_id}/{user_id}")),
        command,
    )
    .await
    .map_err(unknown_in("user_id", DirectoryError::NoSuchUser))?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    delete,
    path = "/api/v1/queues/{id}/members/{user_id}",
    tag = "admin",
    params(
        ("id" = Uuid, Path, description = "The queue"),
        ("user_id" = Uuid, Path, description = "The member"),
    ),
    responses(
        (status = 204, description = "The user is no longer a member of the queue"),
        refusals::DirectoryRemoval,
    ),
    security(("bearer" = []))
)]
pub async fn remove_member(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath((queue_id, user_id)): ApiPath<(QueueId, UserId)>,
) -> Result<StatusCode, ApiError> {
    let command = DirectoryCommand::RemoveQueueMember {
        queue_id,
        user_id,
        by: staff.actor(),
        at: meta.at,
    };
    directory(
        &state,
        &staff,
        &meta,
        ("remove_queue_member", &format!("{queue_id}/{user_id}")),
        command,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueSettingsBody {
    /// After this many seconds of waiting while no agent is logged in to the queue, the
    /// customer is told so. Absent or `null`: never.
    #[schema(minimum = 1)]
    no_agent_notice_after_seconds: Option<u32>,
    /// Where such a chat then overflows to, if anywhere.
    #[schema(format = Uuid)]
    overflow_queue_id: Option<String>,
    /// Answered within this many seconds counts towards the service level (default 60).
    #[schema(minimum = 1)]
    service_level_seconds: Option<u32>,
    /// The share of chats (1-100 %) the queue aims to answer within `service_level_seconds`;
    /// `null`: 80 %. Absent: left as it is.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u8>, minimum = 1, maximum = 100)]
    service_level_target_percent: Option<Option<u8>>,
    /// Days (1-3650) from a chat's end in this queue until retention erases its personal
    /// data; `null`: kept until erased on request. Absent: left as it is.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 3650)]
    transcript_retention_days: Option<Option<u32>>,
    /// Seconds (5-600) routing offers a chat to one agent before offering it to the next;
    /// `null`: routing assigns chats straight away. Absent: left as it is.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>, minimum = 5, maximum = 600)]
    offer_timeout_seconds: Option<Option<u32>>,
    /// Seconds (1-1800) of wrap-up an agent has after each chat of the queue, in which routing
    /// gives them nothing new; `null`: none. Absent: left as it is.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 1800)]
    wrap_up_seconds: Option<Option<u32>>,
    /// A chat of the queue cannot end without one of its wrap-up codes (when it has any).
    /// Absent: left as it is.
    wrap_up_code_required: Option<bool>,
    /// When the queue takes new chats: weekly hours and dated exceptions in a time zone;
    /// `null`: always. Absent: left as it is.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<OpeningHours>)]
    opening_hours: Option<Option<OpeningHours>>,
    /// Its agents see what a customer is typing before they send it; the widget tells the
    /// customer so. Absent: left as it is.
    sneak_peek: Option<bool>,
}

/// A field that may be absent (`None`, left as it is) or `null` (`Some(None)`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A queue's settings, its opening hours among them.
#[derive(Serialize, ToSchema)]
pub struct QueueSettingsView {
    #[serde(flatten)]
    queue: QueueRow,
    /// `null`: always open.
    opening_hours: Option<OpeningHours>,
}

impl QueueSettingsView {
    fn of(queue: QueueRow) -> Self {
        Self {
            opening_hours: queue.hours(),
            queue,
        }
    }
}

/// Supervisors and administrators: the queue's settings, as `PATCH` takes them.
#[utoipa::path(
    get,
    path = "/api/v1/queues/{id}",
    tag = "admin",
    params(("id" = Uuid, Path, description = "The queue")),
    responses(
        (status = 200, description = "The queue's settings", body = QueueSettingsView),
        (status = 403, response = OverseersOnly),
        (status = 404, response = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn queue_settings(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(queue_id): ApiPath<QueueId>,
) -> Result<Json<QueueSettingsView>, ApiError> {
    staff.require_oversight()?;
    read::queue(state.db.any(), &queue_id.to_string())
        .await?
        .map(|row| Json(QueueSettingsView::of(row)))
        .ok_or_else(|| ApiError::NotFound("no such queue".into()))
}

/// How the queue treats customers who wait while no agent is logged in, its service level,
/// how long its transcripts are kept and how long routing offers a chat to one agent.
#[utoipa::path(
    patch,
    path = "/api/v1/queues/{id}",
    tag = "admin",
    params(("id" = Uuid, Path, description = "The queue")),
    request_body = QueueSettingsBody,
    responses(
        (status = 200, description = "The queue, configured", body = QueueSettingsView),
        refusals::DirectoryChange,
    ),
    security(("bearer" = []))
)]
pub async fn configure_queue(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(queue_id): ApiPath<QueueId>,
    ApiJson(body): ApiJson<QueueSettingsBody>,
) -> Result<Json<QueueSettingsView>, ApiError> {
    // What the body leaves out stays as the queue has it.
    let current = read::queue(state.db.any(), &queue_id.to_string()).await?;
    let kept = |value: fn(&QueueRow) -> Option<i64>| {
        current
            .as_ref()
            .and_then(value)
            .and_then(|v| u32::try_from(v).ok())
    };
    let transcript_retention_days = body
        .transcript_retention_days
        .unwrap_or_else(|| kept(|q| q.transcript_retention_days));
    let offer_timeout_seconds = body
        .offer_timeout_seconds
        .unwrap_or_else(|| kept(|q| q.offer_timeout_seconds));
    let service_level_target_percent = body.service_level_target_percent.unwrap_or_else(|| {
        kept(|q| q.service_level_target_percent).and_then(|v| u8::try_from(v).ok())
    });
    // The directory itself holds these, so they are kept from it, not from a read model that
    // may not show a change made a moment ago.
    let configuration = state.directory.current(DIRECTORY_ID).await?;
    let policy = configuration
        .wrap_up_policies()
        .remove(&queue_id)
        .unwrap_or_default();
    let wrap_up_seconds = body.wrap_up_seconds.unwrap_or(policy.seconds);
    let wrap_up_code_required = body.wrap_up_code_required.unwrap_or(policy.code_required);
    let opening_hours = body
        .opening_hours
        .unwrap_or_else(|| configuration.opening_hours(queue_id));
    let sneak_peek = body
        .sneak_peek
        .unwrap_or_else(|| configuration.sneak_peek(queue_id));
    let settings = QueueSettings {
        no_agent_notice_after_seconds: body.no_agent_notice_after_seconds,
        overflow_queue_id: body
            .overflow_queue_id
            .as_deref()
            .map(|q| parse_id("overflow_queue_id", q))
            .transpose()?,
        service_level_seconds: body.service_level_seconds,
        service_level_target_percent,
        transcript_retention_days,
        offer_timeout_seconds,
        wrap_up_seconds,
        wrap_up_code_required,
        opening_hours,
        sneak_peek,
    };
    let command = DirectoryCommand::ConfigureQueue {
        queue_id,
        settings,
        by: staff.actor(),
        at: meta.at,
    };
    directory(
        &state,
        &staff,
        &meta,
        ("configure_queue", &queue_id.to_string()),
        command,
    )
    .await?;
    read::queue(state.db.any(), &queue_id.to_string())
        .await?
        .map(|row| Json(QueueSettingsView::of(row)))
        .ok_or_else(|| ApiError::NotFound("no such queue".into()))
}
