//! Users: creating them, listing them, changing their role, capacity, password or status.

use super::{created, directory, name, Created};
use crate::auth::Staff;
use crate::error::{refusals, ApiError, Problem, PROBLEM_JSON};
use crate::extract::{ApiJson, ApiPath, Origin};
use crate::http::constraints;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use samtale_domain::directory::UserChanges;
use samtale_domain::directory::Username;
use samtale_domain::DirectoryEvent;
use samtale_domain::{DirectoryCommand, Role, UserId};
use samtale_projections::read::{self, UserRow};
use samtale_service::credentials::{check_password, initial_password, store_password};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Deserialize, ToSchema)]
pub struct NewUser {
    #[schema(schema_with = constraints::username)]
    username: String,
    #[schema(schema_with = constraints::name)]
    display_name: String,
    #[schema(min_length = 10, max_length = 200)]
    password: String,
    role: Role,
    /// Defaults to 3.
    #[serde(default = "default_capacity")]
    #[schema(minimum = 1, maximum = 20)]
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
        (
            status = 403, description = "Not an administrator",
            body = Problem, content_type = PROBLEM_JSON
        ),
        (
            status = 409, description = "The username is taken",
            body = Problem, content_type = PROBLEM_JSON
        ),
        refusals::Invalid,
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
    #[schema(schema_with = constraints::optional_name)]
    display_name: Option<String>,
    role: Option<Role>,
    #[schema(minimum = 1, maximum = 20)]
    max_concurrent_chats: Option<u32>,
    active: Option<bool>,
    #[schema(min_length = 10, max_length = 200)]
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
        refusals::DirectoryChange,
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
