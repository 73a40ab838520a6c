//! Logging in and out.

use crate::auth::Staff;
use crate::client_addr::ClientAddr;
use crate::error::{refusals, ApiError, Problem, PROBLEM_JSON};
use crate::extract::ApiJson;
use crate::rate_limit::Limit;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use samtale_projections::read::{self, UserRow};
use samtale_projections::timestamp;
use samtale_service::credentials::{new_token, token_hash, verify_login};
use serde::{Deserialize, Serialize};
use std::future::Future;

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
        (
            status = 401, description = "Wrong username or password",
            body = Problem, content_type = PROBLEM_JSON
        ),
        refusals::Invalid,
        (
            status = 429, description = "Too many attempts from this address, or for this account",
            body = Problem, content_type = PROBLEM_JSON
        ),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    client: ClientAddr,
    ApiJson(login): ApiJson<Login>,
) -> Result<Json<LoggedIn>, ApiError> {
    state.limits.check(Limit::Login, &client.to_string())?;
    // And per account, whatever the address: guessing one user's password from many
    // addresses is held back too. (The name as typed, lowercased: usernames are.)
    state.limits.check(
        Limit::LoginAccount,
        &login
            .username
            .trim()
            .to_lowercase()
            .chars()
            .take(64)
            .collect::<String>(),
    )?;
    let refused = || ApiError::Unauthorized;
    if login.password.len() > 1000 {
        return Err(refused());
    }
    let user =
        read::user_by_username(state.db.any(), &login.username.trim().to_lowercase()).await?;
    // Asked even for a name that does not exist, so every refusal costs the same round trips.
    let hash: Option<String> =
        sqlx::query_scalar("SELECT password_hash FROM credentials WHERE user_id = $1")
            .bind(user.as_ref().map(|u| u.user_id.clone()).unwrap_or_default())
            .fetch_optional(state.db.any())
            .await?;
    let user = authenticate(user, hash, login.password, verify_login)
        .await
        .ok_or_else(refused)?;
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

/// Who logs in, given what the database holds for the name: the user, if they are active,
/// have a password, and gave it. Exactly one password check runs whatever the case (`verify`
/// gets `None` when there is no hash to check against, and checks a dummy), so a refusal takes
/// as long for a name that does not exist or is deactivated as for a wrong password.
async fn authenticate<Verify, Verified>(
    user: Option<UserRow>,
    hash: Option<String>,
    password: String,
    verify: Verify,
) -> Option<UserRow>
where
    Verify: FnOnce(String, Option<String>) -> Verified,
    Verified: Future<Output = bool>,
{
    let user = user.filter(|u| u.active != 0);
    let hash = hash.filter(|_| user.is_some());
    let has_password = hash.is_some();
    let verified = verify(password, hash).await;
    user.filter(|_| has_password && verified)
}

/// Revokes this session's token: refused at once by this node, within a quarter of a second by
/// the others; open SSE streams using it end as well.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    responses(
        (status = 204, description = "Logged out"),
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
    ),
    security(("bearer" = []))
)]
pub async fn me(State(state): State<AppState>, staff: Staff) -> Result<Json<UserRow>, ApiError> {
    read::user(state.db.any(), &staff.user_id.to_string())
        .await?
        .map(Json)
        .ok_or(ApiError::Unauthorized)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const PASSWORD: &str = "the right password";

    fn user(active: bool) -> UserRow {
        UserRow {
            user_id: "u1".into(),
            username: "kari".into(),
            display_name: "Kari".into(),
            role: "agent".into(),
            max_concurrent_chats: 3,
            active: i64::from(active),
        }
    }

    /// Runs `authenticate` with a verifier that counts its calls and accepts only `PASSWORD`
    /// against the stored hash "hash"; returns whether it logged in and how many checks ran.
    async fn attempt(user: Option<UserRow>, hash: Option<&str>, password: &str) -> (bool, usize) {
        let checks = AtomicUsize::new(0);
        let verify = |given: String, hash: Option<String>| {
            checks.fetch_add(1, Ordering::SeqCst);
            async move { hash.as_deref() == Some("hash") && given == PASSWORD }
        };
        let logged_in = authenticate(user, hash.map(str::to_string), password.into(), verify)
            .await
            .is_some();
        (logged_in, checks.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn every_refusal_costs_exactly_one_password_check() {
        let cases = [
            ("unknown user", attempt(None, None, PASSWORD).await),
            (
                "deactivated user",
                attempt(Some(user(false)), Some("hash"), PASSWORD).await,
            ),
            (
                "user without a password",
                attempt(Some(user(true)), None, PASSWORD).await,
            ),
            (
                "wrong password",
                attempt(Some(user(true)), Some("hash"), "a wrong one").await,
            ),
        ];
        for (case, outcome) in cases {
            assert_eq!(outcome, (false, 1), "{case}");
        }
    }

    #[tokio::test]
    async fn the_right_password_of_an_active_user_logs_in_after_one_check() {
        assert_eq!(
            attempt(Some(user(true)), Some("hash"), PASSWORD).await,
            (true, 1)
        );
    }

    #[tokio::test]
    async fn a_deactivated_user_is_refused_even_with_the_right_password() {
        assert_eq!(
            attempt(Some(user(false)), Some("hash"), PASSWORD).await,
            (false, 1)
        );
    }
}
