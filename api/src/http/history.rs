//! The history of chats: every chat a customer or agent had, by time, queue, agent or what
//! the customer wrote in the form.

use super::chats::visible_chat;
use super::csv;
use crate::auth::Staff;
use crate::error::{refusals, ApiError};
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::HeaderName;
use axum::response::{IntoResponse, Response};
use axum::Json;
use samtale_domain::ChatId;
use samtale_projections::read::{self, ChatStatus, HistoryFilter, HistoryRow};
use samtale_projections::Columns;
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
    /// Only chats in this status now: `waiting`, `assigned`, `ended`, `abandoned`, or `left`
    /// (a message left while the queue was closed).
    status: Option<ChatStatus>,
    /// At most this many chats: 1-1000, 100 when absent; the CSV export takes up to 10,000,
    /// and 10,000 when absent.
    limit: Option<i64>,
}

/// The most chats one CSV export holds; `X-Rows-Truncated: true` says more matched.
const CSV_ROWS: i64 = 10_000;

const ROWS_TRUNCATED: HeaderName = HeaderName::from_static("x-rows-truncated");

impl HistoryQuery {
    /// The filter for `staff`, at most `limit` rows (of `max`, `limit` when not asked).
    fn filter(self, staff: &Staff, limit: i64, max: i64) -> HistoryFilter {
        HistoryFilter {
            from: self.from.map(samtale_projections::timestamp),
            to: self.to.map(samtale_projections::timestamp),
            queue_id: self.queue_id.map(|q| q.to_string()),
            agent_id: self.agent_id.map(|a| a.to_string()),
            customer: self
                .customer
                .filter(|c| !c.trim().is_empty())
                .map(|c| c.chars().take(100).collect()),
            member: staff.scope(),
            customer_user_id: None,
            status: self.status,
            limit: self.limit.unwrap_or(limit).clamp(1, max),
        }
    }
}

/// Every chat a customer or agent had, newest first, by time range, queue, agent, customer
/// and status. Agents see the chats of their queues and those they took part in. A period
/// whose end is not after its start holds no chats.
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
    let filter = query.filter(&staff, 100, 1000);
    Ok(Json(read::history(state.db.any(), &filter).await?))
}

/// The same chats as `GET /chats/history`, with the same filters, as a CSV file to download:
/// at most 10,000 rows, newest first; `X-Rows-Truncated: true` says more matched (narrow the
/// period). Text a spreadsheet would run as a formula starts with `'`.
#[utoipa::path(
    get,
    path = "/api/v1/chats/history.csv",
    tag = "agent",
    params(HistoryQuery),
    responses(
        (
            status = 200, description = "Matching chats as CSV, a header row first",
            content_type = "text/csv", body = String,
            headers(
                ("X-Rows-Truncated" = String, description = "`true` when more chats matched than the file holds, else `false`"),
                ("Content-Disposition" = String, description = "An attachment named `chat-history.csv`"),
            )
        ),
    ),
    security(("bearer" = []))
)]
pub async fn history_csv(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Result<Response, ApiError> {
    let mut filter = query.filter(&staff, CSV_ROWS, CSV_ROWS);
    let asked = filter.limit;
    // One more than asked, to learn whether the cap cut any.
    filter.limit += 1;
    let mut rows = read::history(state.db.any(), &filter).await?;
    let truncated = rows.len() as i64 > asked;
    rows.truncate(asked as usize);
    Ok((
        [
            (CONTENT_TYPE, csv::TEXT_CSV),
            (
                CONTENT_DISPOSITION,
                "attachment; filename=\"chat-history.csv\"",
            ),
            (ROWS_TRUNCATED, if truncated { "true" } else { "false" }),
        ],
        csv::write(&rows, HistoryRow::COLUMNS),
    )
        .into_response())
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
        status: None,
        limit: 20,
    };
    let mut chats = read::history(state.db.any(), &filter).await?;
    chats.retain(|earlier| earlier.chat_id != chat.chat_id);
    Ok(Json(chats))
}
