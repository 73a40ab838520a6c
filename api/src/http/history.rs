//! The history of chats: every chat a customer or agent had, by time, queue, agent or what
//! the customer wrote in the form.

use crate::auth::Staff;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
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
        limit: query.limit.unwrap_or(100).clamp(1, 1000),
    };
    Ok(Json(read::history(state.db.any(), &filter).await?))
}
