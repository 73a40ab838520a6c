//! The administration module: users, queues and membership, categories, the pre-chat form.
//! Administrators only; the Directory aggregate checks that too.

use crate::auth::Staff;
use crate::error::{text_error, ApiError, Problem, PROBLEM_JSON};
use crate::extract::{parse_id, ApiJson, ApiPath, Origin};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use samtale_domain::directory::{QueueSettings, UserChanges};
use samtale_domain::directory::{Username, DIRECTORY_ID};
use samtale_domain::form::{FieldKind, FormField};
use samtale_domain::text::Name;
use samtale_domain::DirectoryEvent;
use samtale_domain::{CategoryId, DirectoryCommand, QueueId, Role, UserId};
use samtale_eventlog::Executed;
use samtale_projections::read::{self, CategoryRow, QueueRow, UserRow};
use samtale_service::credentials::{check_password, initial_password, store_password};
use samtale_service::origin::resource_context;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

type Created<T> = (StatusCode, Json<T>);

fn name(field: &str, raw: &str) -> Result<Name, ApiError> {
    Name::parse(raw).map_err(|e| text_error(field, e))
}

/// Runs an administrator's change to `resource` (empty for a create); a retry with the same
/// `Idempotency-Key` gets the events of the first attempt, so creates answer with the resource
/// the first attempt created.
async fn directory(
    state: &AppState,
    staff: &Staff,
    meta: &Origin,
    (operation, resource): (&'static str, &str),
    command: DirectoryCommand,
) -> Result<Executed<DirectoryEvent>, ApiError> {
    staff.require_administrator()?;
    let context = resource_context(&staff.actor(), meta, operation, resource);
    Ok(state
        .execute(&state.directory, DIRECTORY_ID, command, &context)
        .await?)
}

#[derive(Deserialize, ToSchema)]
pub struct NewUser {
    username: String,
    display_name: String,
    password: String,
    role: Role,
    /// Defaults to 3.
    #[serde(default = "default_capacity")]
    max_concurrent_chats: u32,
}

fn default_capacity() -> u32 {
    3
}

#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "admin",
    request_body = NewUser,
    responses(
        (status = 201, description = "The user, created", body = UserRow),
        (status = 400, response = Problem),
        (
            status = 403, description = "Not an administrator",
            body = Problem, content_type = PROBLEM_JSON
        ),
        (
            status = 409, description = "The username is taken",
            body = Problem, content_type = PROBLEM_JSON
        ),
        (status = 422, response = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn create_user(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiJson(new): ApiJson<NewUser>,
) -> Result<Created<UserRow>, ApiError> {
    staff.require_administrator()?;
    let username = Username::parse(&new.username)?;
    let display_name = name("display_name", &new.display_name)?;
    check_password(&new.password)?;
    let command = DirectoryCommand::CreateUser {
        user_id: UserId(Uuid::now_v7()),
        username,
        display_name,
        role: new.role,
        max_concurrent_chats: new.max_concurrent_chats,
        by: staff.actor(),
        at: meta.at,
    };
    let executed = directory(&state, &staff, &meta, ("create_user", ""), command).await?;
    let user_id = created(&executed, |event| match event {
        DirectoryEvent::UserCreated { user_id, .. } => Some(*user_id),
        _ => None,
    })?;
    // The credential follows the user, never precedes it: a refused creation leaves nothing
    // behind, and a retry (whose first attempt may have died right here) sets it if missing —
    // but never replaces a password the user has had since.
    initial_password(state.db.any(), user_id, new.password).await?;
    let user = read::user(state.db.any(), &user_id.to_string())
        .await?
        .ok_or_else(|| ApiError::Internal("created user not in the read model".into()))?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// The id a create command created: this run's, or for a retry the first attempt's.
fn created<T>(
    executed: &Executed<DirectoryEvent>,
    id: impl Fn(&DirectoryEvent) -> Option<T>,
) -> Result<T, ApiError> {
    executed
        .events
        .iter()
        .find_map(id)
        .ok_or_else(|| ApiError::Internal("a create wrote no creation".into()))
}

/// Supervisors and administrators.
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "admin",
    responses(
        (status = 200, description = "Every user, by username", body = Vec<UserRow>),
        (status = 403, response = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn list_users(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<Vec<UserRow>>, ApiError> {
    staff.require_oversight()?;
    Ok(Json(read::users(state.db.any()).await?))
}

/// Only the fields given change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    display_name: Option<String>,
    role: Option<Role>,
    max_concurrent_chats: Option<u32>,
    active: Option<bool>,
    password: Option<String>,
}

/// A new password, a new role or deactivation ends the user's sessions at once.
#[utoipa::path(
    patch,
    path = "/api/v1/users/{id}",
    tag = "admin",
    params(("id" = Uuid, Path, description = "The user")),
    request_body = UserPatch,
    responses(
        (status = 200, description = "The user, changed", body = UserRow),
        (status = 400, response = Problem),
        (status = 403, response = Problem),
        (status = 404, response = Problem),
        (status = 409, response = Problem),
        (status = 422, response = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn update_user(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(user_id): ApiPath<UserId>,
    ApiJson(patch): ApiJson<UserPatch>,
) -> Result<Json<UserRow>, ApiError> {
    staff.require_administrator()?;
    let changes = UserChanges {
        display_name: patch
            .display_name
            .as_deref()
            .map(|n| name("display_name", n))
            .transpose()?,
        role: patch.role,
        max_concurrent_chats: patch.max_concurrent_chats,
        active: patch.active,
    };
    if let Some(password) = &patch.password {
        check_password(password)?;
    }
    let command = DirectoryCommand::UpdateUser {
        user_id,
        changes: changes.clone(),
        by: staff.actor(),
        at: meta.at,
    };
    directory(
        &state,
        &staff,
        &meta,
        ("update_user", &user_id.to_string()),
        command,
    )
    .await?;
    let password_changed = patch.password.is_some();
    if let Some(password) = patch.password {
        store_password(state.db.any(), user_id, password).await?;
        let command = DirectoryCommand::RecordPasswordChange {
            user_id,
            by: staff.actor(),
            at: meta.at,
        };
        directory(
            &state,
            &staff,
            &meta,
            ("record_password_change", &user_id.to_string()),
            command,
        )
        .await?;
    }
    // A new password, a new role or deactivation ends the user's sessions, open streams too:
    // whoever held the old token must log in again under the new terms.
    if changes.role.is_some() || changes.active == Some(false) || password_changed {
        state.sessions.revoke_user(user_id, meta.at).await?;
    }
    read::user(state.db.any(), &user_id.to_string())
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("no such user".into()))
}

#[derive(Deserialize, ToSchema)]
pub struct NewQueue {
    name: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/queues",
    tag = "admin",
    request_body = NewQueue,
    responses(
        (status = 201, description = "The queue, created", body = QueueRow),
        (status = 400, response = Problem),
        (status = 403, response = Problem),
        (
            status = 409, description = "The name is taken",
            body = Problem, content_type = PROBLEM_JSON
        ),
        (status = 422, response = Problem),
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
        (status = 400, response = Problem),
        (status = 403, response = Problem),
        (status = 404, response = Problem),
        (status = 409, response = Problem),
        (status = 422, response = Problem),
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
    .await?;
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
        (status = 400, response = Problem),
        (status = 403, response = Problem),
        (status = 404, response = Problem),
        (status = 409, response = Problem),
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
pub struct NewCategory {
    name: String,
    #[schema(format = Uuid)]
    queue_id: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/categories",
    tag = "admin",
    request_body = NewCategory,
    responses(
        (status = 201, description = "The category, created", body = CategoryRow),
        (status = 400, response = Problem),
        (status = 403, response = Problem),
        (status = 404, description = "No such queue", body = Problem, content_type = PROBLEM_JSON),
        (
            status = 409, description = "The name is taken",
            body = Problem, content_type = PROBLEM_JSON
        ),
        (status = 422, response = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn create_category(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiJson(new): ApiJson<NewCategory>,
) -> Result<Created<CategoryRow>, ApiError> {
    let command = DirectoryCommand::CreateCategory {
        category_id: CategoryId(Uuid::now_v7()),
        name: name("name", &new.name)?,
        queue_id: parse_id("queue_id", &new.queue_id)?,
        by: staff.actor(),
        at: meta.at,
    };
    let executed = directory(&state, &staff, &meta, ("create_category", ""), command).await?;
    let category_id = created(&executed, |event| match event {
        DirectoryEvent::CategoryCreated { category_id, .. } => Some(*category_id),
        _ => None,
    })?;
    let category = read::category(state.db.any(), &category_id.to_string())
        .await?
        .ok_or_else(|| ApiError::Internal("created category not in the read model".into()))?;
    Ok((StatusCode::CREATED, Json(category)))
}

/// Any staff member.
#[utoipa::path(
    get,
    path = "/api/v1/categories",
    tag = "admin",
    responses(
        (status = 200, description = "Every category, by name", body = Vec<CategoryRow>),
    ),
    security(("bearer" = []))
)]
pub async fn list_categories(
    State(state): State<AppState>,
    _staff: Staff,
) -> Result<Json<Vec<CategoryRow>>, ApiError> {
    Ok(Json(read::categories(state.db.any()).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct NewField {
    key: String,
    label: String,
    kind: FieldKind,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    options: Vec<String>,
    /// Defaults to 200.
    #[serde(default = "default_max_length")]
    max_length: usize,
}

fn default_max_length() -> usize {
    200
}

/// Defines a field of the pre-chat form, or redefines the field with that key.
#[utoipa::path(
    post,
    path = "/api/v1/form-fields",
    tag = "admin",
    request_body = NewField,
    responses(
        (status = 201, description = "The field, defined", body = FormField),
        (status = 400, response = Problem),
        (status = 403, response = Problem),
        (status = 409, response = Problem),
        (status = 422, response = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn define_field(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiJson(new): ApiJson<NewField>,
) -> Result<Created<FormField>, ApiError> {
    let field = FormField {
        key: new.key,
        label: new.label,
        kind: new.kind,
        required: new.required,
        options: new.options,
        max_length: new.max_length,
    };
    let command = DirectoryCommand::DefineFormField {
        field: field.clone(),
        by: staff.actor(),
        at: meta.at,
    };
    directory(
        &state,
        &staff,
        &meta,
        ("define_form_field", &field.key),
        command,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(field)))
}

/// Any staff member.
#[utoipa::path(
    get,
    path = "/api/v1/form-fields",
    tag = "admin",
    responses(
        (status = 200, description = "The pre-chat form, in order", body = Vec<FormField>),
    ),
    security(("bearer" = []))
)]
pub async fn list_fields(
    State(state): State<AppState>,
    _staff: Staff,
) -> Result<Json<Vec<FormField>>, ApiError> {
    Ok(Json(read::form_fields(state.db.any()).await?))
}

#[utoipa::path(
    delete,
    path = "/api/v1/form-fields/{key}",
    tag = "admin",
    params(("key" = String, Path, description = "The field's key")),
    responses(
        (status = 204, description = "The field is no longer on the form"),
        (status = 403, response = Problem),
        (status = 404, response = Problem),
        (status = 409, response = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn remove_field(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    Path(key): Path<String>,
) -> Result<StatusCode, ApiError> {
    let resource = ("remove_form_field", key.as_str());
    let command = DirectoryCommand::RemoveFormField {
        key: key.clone(),
        by: staff.actor(),
        at: meta.at,
    };
    directory(&state, &staff, &meta, resource, command).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueSettingsBody {
    /// After this many seconds of waiting while no agent is logged in to the queue, the
    /// customer is told so. Absent or `null`: never.
    no_agent_notice_after_seconds: Option<u32>,
    /// Where such a chat then overflows to, if anywhere.
    #[schema(format = Uuid)]
    overflow_queue_id: Option<String>,
    /// Answered within this many seconds counts towards the service level (default 60).
    service_level_seconds: Option<u32>,
}

/// How the queue treats customers who wait while no agent is logged in.
#[utoipa::path(
    patch,
    path = "/api/v1/queues/{id}",
    tag = "admin",
    params(("id" = Uuid, Path, description = "The queue")),
    request_body = QueueSettingsBody,
    responses(
        (status = 200, description = "The queue, configured", body = QueueRow),
        (status = 400, response = Problem),
        (status = 403, response = Problem),
        (status = 404, response = Problem),
        (status = 409, response = Problem),
        (status = 422, response = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn configure_queue(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(queue_id): ApiPath<QueueId>,
    ApiJson(body): ApiJson<QueueSettingsBody>,
) -> Result<Json<QueueRow>, ApiError> {
    let settings = QueueSettings {
        no_agent_notice_after_seconds: body.no_agent_notice_after_seconds,
        overflow_queue_id: body
            .overflow_queue_id
            .as_deref()
            .map(|q| parse_id("overflow_queue_id", q))
            .transpose()?,
        service_level_seconds: body.service_level_seconds,
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
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("no such queue".into()))
}
