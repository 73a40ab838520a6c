//! Logging in and out.

use crate::app::AppState;
use crate::auth::{new_token, token_hash, verify_password, Staff};
use crate::error::{ApiError, Problem, PROBLEM_JSON};
use crate::extract::ApiJson;
use crate::rate_limit::Limit;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::Json;
use samtale_projections::read::{self, UserRow};
use samtale_projections::timestamp;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Login {
    username: String,
    password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoggedIn {
    /// The bearer token of this session, for the `Authorization` header.
    token: String,
    user: UserRow,
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    request_body = Login,
    responses(
        (status = 200, description = "A new session", body = LoggedIn),
        (status = 400, response = Problem),
        (
            status = 401, description = "Wrong username or password",
            body = Problem, content_type = PROBLEM_JSON
        ),
        (status = 422, response = Problem),
        (
            status = 429, description = "Too many attempts from this address",
            body = Problem, content_type = PROBLEM_JSON
        ),
        (status = 503, response = Problem),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    ApiJson(login): ApiJson<Login>,
) -> Result<Json<LoggedIn>, ApiError> {
    state.limits.check(Limit::Login, &client.ip().to_string())?;
    let refused = || ApiError::Unauthorized;
    if login.password.len() > 1000 {
        return Err(refused());
    }
    let user = read::user_by_username(state.db.any(), &login.username.trim().to_lowercase())
        .await?
        .filter(|u| u.active != 0)
        .ok_or_else(refused)?;
    let hash: Option<String> =
        sqlx::query_scalar("SELECT password_hash FROM credentials WHERE user_id = $1")
            .bind(user.user_id.clone())
            .fetch_optional(state.db.any())
            .await?;
    let hash = hash.ok_or_else(refused)?;
    if !verify_password(login.password, hash).await {
        return Err(refused());
    }
    let token = new_token();
    let now = timestamp(chrono::Utc::now());
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at) VALUES ($1, $2, $3, $3)",
    )
    .bind(token_hash(&token))
    .bind(user.user_id.clone())
    .bind(now)
    .execute(state.db.any())
    .await?;
    Ok(Json(LoggedIn { token, user }))
}

/// Revokes this session's token: refused at once by this node, within a quarter of a second by
/// the others; open SSE streams using it end as well.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, response = Problem),
        (status = 503, response = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn logout(State(state): State<AppState>, staff: Staff) -> Result<StatusCode, ApiError> {
    state
        .sessions
        .revoke(&staff.token_hash, chrono::Utc::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "auth",
    responses(
        (status = 200, description = "The caller", body = UserRow),
        (status = 401, response = Problem),
        (status = 503, response = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn me(State(state): State<AppState>, staff: Staff) -> Result<Json<UserRow>, ApiError> {
    read::user(state.db.any(), &staff.user_id.to_string())
        .await?
        .map(Json)
        .ok_or(ApiError::Unauthorized)
}
