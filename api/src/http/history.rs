//! The history of chats: every chat a customer or agent had, by time, queue, agent or what
//! the customer wrote in the form.

use super::chats::visible_chat;
use crate::auth::Staff;
use crate::error::{refusals, ApiError};
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use samtale_domain::ChatId;
use samtale_projections::read::{self, HistoryFilter, HistoryRow};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Requested at or after this time.
    from: Option<chrono::DateTime<chrono::Utc>>,
    /// Requested before this time.
    to: Option<chrono::DateTime<chrono::Utc>>,
    queue_id: Option<Uuid>,
    /// Chats this agent took part in.
    agent_id: Option<Uuid>,
    /// Part of the customer's name or of any form answer (e-mail, phone, …).
    customer: Option<String>,
    /// 1-1000; 100 when absent.
    limit: Option<i64>,
}

/// Every chat a customer or agent had, by time range and queue. Agents see the chats of
/// their queues and those they took part in.
#[utoipa::path(
    get,
    path = "/api/v1/chats/history",
    tag = "agent",
    params(HistoryQuery),
    responses(
        (status = 200, description = "Matching chats", body = Vec<HistoryRow>),
    ),
    security(("bearer" = []))
)]
pub async fn history(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Result<Json<Vec<HistoryRow>>, ApiError> {
    let filter = HistoryFilter {
        from: query.from.map(samtale_projections::timestamp),
        to: query.to.map(samtale_projections::timestamp),
        queue_id: query.queue_id.map(|q| q.to_string()),
        agent_id: query.agent_id.map(|a| a.to_string()),
        customer: query
            .customer
            .filter(|c| !c.trim().is_empty())
            .map(|c| c.chars().take(100).collect()),
        member: staff.scope(),
        customer_user_id: None,
        limit: query.limit.unwrap_or(100).clamp(1, 1000),
    };
    Ok(Json(read::history(state.db.any(), &filter).await?))
}

/// A returning customer's earlier chats — those the company's site vouched for the same
/// customer in — that the caller may see, newest first (at most 20). None for a customer the
/// site did not vouch for.
#[utoipa::path(
    get,
    path = "/api/v1/chats/{id}/earlier",
    tag = "agent",
    params(("id" = Uuid, Path, description = "The chat")),
    responses(
        (status = 200, description = "The customer's earlier chats", body = Vec<HistoryRow>),
        refusals::UnseenChat,
    ),
    security(("bearer" = []))
)]
pub async fn earlier(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(chat_id): ApiPath<ChatId>,
) -> Result<Json<Vec<HistoryRow>>, ApiError> {
    let chat = visible_chat(&state, &staff, chat_id).await?;
    let Some(customer) = chat.customer_user_id else {
        return Ok(Json(Vec::new()));
    };
    let filter = HistoryFilter {
        from: None,
        to: Some(chat.requested_at.clone()),
        queue_id: None,
        agent_id: None,
        customer: None,
        member: staff.scope(),
        customer_user_id: Some(customer),
        limit: 20,
    };
    let mut chats = read::history(state.db.any(), &filter).await?;
    chats.retain(|earlier| earlier.chat_id != chat.chat_id);
    Ok(Json(chats))
}
