//! Logging in and out.

use crate::app::AppState;
use crate::auth::{new_token, token_hash, verify_password, Staff};
use crate::error::ApiError;
use crate::extract::ApiJson;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use samtale_projections::read::{self, UserRow};
use samtale_projections::timestamp;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
pub struct Login {
    username: String,
    password: String,
}

#[derive(Serialize)]
pub struct LoggedIn {
    token: String,
    user: UserRow,
}

pub async fn login(
    State(state): State<AppState>,
    ApiJson(login): ApiJson<Login>,
) -> Result<Json<LoggedIn>, ApiError> {
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
    sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at) VALUES ($1, $2, $3)")
        .bind(token_hash(&token))
        .bind(user.user_id.clone())
        .bind(timestamp(chrono::Utc::now()))
        .execute(state.db.any())
        .await?;
    Ok(Json(LoggedIn { token, user }))
}

/// Revokes this session's token; open SSE streams using it end within seconds.
pub async fn logout(State(state): State<AppState>, staff: Staff) -> Result<StatusCode, ApiError> {
    sqlx::query("UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1")
        .bind(staff.token_hash)
        .bind(timestamp(chrono::Utc::now()))
        .execute(state.db.any())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn me(State(state): State<AppState>, staff: Staff) -> Result<Json<UserRow>, ApiError> {
    read::user(state.db.any(), &staff.user_id.to_string())
        .await?
        .map(Json)
        .ok_or(ApiError::Unauthorized)
}
