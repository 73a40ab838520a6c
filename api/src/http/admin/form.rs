//! Categories and the pre-chat form.

use super::{created, directory, english_name, name, unknown_in, Created};
use crate::auth::Staff;
use crate::error::{refusals, ApiError, Problem, PROBLEM_JSON};
use crate::extract::{parse_id, ApiJson, ApiPath, Origin};
use crate::http::constraints;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use samtale_domain::form::{FieldKind, FormField};
use samtale_domain::DirectoryEvent;
use samtale_domain::{CategoryId, DirectoryCommand, DirectoryError};
use samtale_projections::read::{self, CategoryRow};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Deserialize, ToSchema)]
pub struct NewCategory {
    #[schema(schema_with = constraints::name)]
    name: String,
    /// What English widgets call it; absent or `null`: `name`.
    #[serde(default)]
    #[schema(schema_with = constraints::optional_name)]
    name_en: Option<String>,
    #[schema(format = Uuid)]
    queue_id: String,
}

/// A category as it is to be from now on: its names and the queue its chats go to.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryChange {
    #[schema(schema_with = constraints::name)]
    name: String,
    /// `null`: English widgets show `name`.
    #[schema(schema_with = constraints::optional_name)]
    name_en: Option<String>,
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
        refusals::NewName,
        (status = 404, description = "No such queue", body = Problem, content_type = PROBLEM_JSON),
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
        name_en: english_name(new.name_en.as_deref())?,
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

/// Renames a category, or leads it to another queue; chats already started stay where they are.
#[utoipa::path(
    put,
    path = "/api/v1/categories/{id}",
    tag = "admin",
    params(("id" = Uuid, Path, description = "The category")),
    request_body = CategoryChange,
    responses(
        (status = 200, description = "The category as it is now", body = CategoryRow),
        refusals::DirectoryChange,
    ),
    security(("bearer" = []))
)]
pub async fn update_category(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(category_id): ApiPath<CategoryId>,
    ApiJson(change): ApiJson<CategoryChange>,
) -> Result<Json<CategoryRow>, ApiError> {
    let command = DirectoryCommand::UpdateCategory {
        category_id,
        name: name("name", &change.name)?,
        name_en: english_name(change.name_en.as_deref())?,
        queue_id: parse_id("queue_id", &change.queue_id)?,
        by: staff.actor(),
        at: meta.at,
    };
    let resource = ("update_category", &*category_id.to_string());
    directory(&state, &staff, &meta, resource, command)
        .await
        .map_err(unknown_in("queue_id", DirectoryError::NoSuchQueue))?;
    read::category(state.db.any(), &category_id.to_string())
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("no such category".into()))
}

/// Takes a category off the widget; the chats started in it keep its name in their history.
#[utoipa::path(
    delete,
    path = "/api/v1/categories/{id}",
    tag = "admin",
    params(("id" = Uuid, Path, description = "The category")),
    responses(
        (status = 204, description = "The category is removed"),
        refusals::DirectoryRemoval,
    ),
    security(("bearer" = []))
)]
pub async fn remove_category(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiPath(category_id): ApiPath<CategoryId>,
) -> Result<StatusCode, ApiError> {
    let command = DirectoryCommand::RemoveCategory {
        category_id,
        by: staff.actor(),
        at: meta.at,
    };
    let resource = ("remove_category", &*category_id.to_string());
    directory(&state, &staff, &meta, resource, command).await?;
    Ok(StatusCode::NO_CONTENT)
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
    #[schema(pattern = "^[a-z0-9_]{1,64}$")]
    key: String,
    #[schema(schema_with = constraints::name)]
    label: String,
    /// The label an English widget shows; absent or `null`: the Norwegian one.
    #[serde(default)]
    #[schema(schema_with = constraints::optional_name)]
    label_en: Option<String>,
    kind: FieldKind,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    options: Vec<String>,
    /// What an English widget shows for each option, in the same order; absent or empty: the
    /// options themselves. The answer stored is always the option.
    #[serde(default)]
    options_en: Vec<String>,
    /// Defaults to 200.
    #[serde(default = "default_max_length")]
    #[schema(minimum = 1, maximum = 2000)]
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
        label_en: new.label_en,
        kind: new.kind,
        required: new.required,
        options: new.options,
        options_en: new.options_en,
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
        refusals::DirectoryRemoval,
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

/// The form's fields in the order the widget is to show them.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldOrder {
    /// Every field's key, once each.
    keys: Vec<String>,
}

#[utoipa::path(
    put,
    path = "/api/v1/form-fields/order",
    tag = "admin",
    request_body = FieldOrder,
    responses(
        (status = 200, description = "The pre-chat form, in its new order", body = Vec<FormField>),
        (status = 403, response = Problem),
        (status = 422, response = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn order_fields(
    State(state): State<AppState>,
    staff: Staff,
    meta: Origin,
    ApiJson(order): ApiJson<FieldOrder>,
) -> Result<Json<Vec<FormField>>, ApiError> {
    let command = DirectoryCommand::OrderFormFields {
        keys: order.keys,
        by: staff.actor(),
        at: meta.at,
    };
    directory(&state, &staff, &meta, ("order_form_fields", ""), command).await?;
    Ok(Json(read::form_fields(state.db.any()).await?))
}
