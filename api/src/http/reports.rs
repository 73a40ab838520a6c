//! Reports for supervisors and reporting jobs: per chat, per queue and per agent per
//! 15-minute interval, as JSON or CSV (`Accept: text/csv` or `?format=csv`).

use super::csv;
use crate::auth::Staff;
use crate::error::{refusals, ApiError, OverseersOnly, Problem, PROBLEM_JSON};
use crate::extract::ApiQuery;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use samtale_projections::reports;
use samtale_projections::{timestamp, Columns};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Period {
    /// The period's start (RFC 3339), included.
    from: DateTime<Utc>,
    /// Its end, not included: a period that ends where it starts, or before, holds nothing.
    to: DateTime<Utc>,
    format: Option<String>,
}

fn wants_csv(headers: &HeaderMap, format: Option<&str>) -> bool {
    format == Some("csv")
        || headers
            .get(header::ACCEPT)
            .and_then(|a| a.to_str().ok())
            .is_some_and(|a| a.contains("text/csv"))
}

/// The rows as JSON, or as CSV with the row type's columns as its header.
fn respond<T: Serialize + Columns>(rows: Vec<T>, as_csv: bool) -> Response {
    if as_csv {
        (
            [(header::CONTENT_TYPE, csv::TEXT_CSV)],
            csv::write(&rows, T::COLUMNS),
        )
            .into_response()
    } else {
        Json(rows).into_response()
    }
}

/// `kind` is `chats` (one row per chat requested in the period), `queues` or `agents` (one row
/// per 15-minute interval starting in the period), `pauses` (an agent's pause time per reason
/// per interval), `contact-reasons` (chats per queue, wrap-up code and interval they ended
/// in) or `satisfaction` (ratings, average and CSAT per day, queue and agent of the chats that
/// ended in the period).
#[utoipa::path(
    get,
    path = "/api/v1/reports/{kind}",
    tag = "supervision",
    params(
        (
            "kind" = String, Path,
            description = "chats, queues, agents, pauses, contact-reasons or satisfaction"
        ),
        Period
    ),
    responses(
        (status = 200, description = "Report rows: a JSON array (the queues report's rows are \
            shown; chats and agents have their own columns), or CSV with a header row",
            body = [reports::QueueIntervalReport]),
        (status = 403, response = OverseersOnly),
        (status = 404, response = Problem),
        (status = 422, response = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn report(
    State(state): State<AppState>,
    staff: Staff,
    Path(kind): Path<String>,
    headers: HeaderMap,
    ApiQuery(period): ApiQuery<Period>,
) -> Result<Response, ApiError> {
    staff.require_oversight()?;
    let (from, to) = (timestamp(period.from), timestamp(period.to));
    let as_csv = wants_csv(&headers, period.format.as_deref());
    let db = state.db.any();
    Ok(match kind.as_str() {
        "chats" => respond(reports::chat_reports(db, &from, &to).await?, as_csv),
        "queues" => respond(reports::queue_reports(db, &from, &to).await?, as_csv),
        "agents" => respond(reports::agent_reports(db, &from, &to).await?, as_csv),
        "pauses" => respond(reports::pause_reports(db, &from, &to).await?, as_csv),
        "satisfaction" => respond(reports::satisfaction_reports(db, &from, &to).await?, as_csv),
        "contact-reasons" => respond(
            reports::contact_reason_reports(db, &from, &to).await?,
            as_csv,
        ),
        _ => {
            return Err(ApiError::NotFound(
                "reports are chats, queues, agents, pauses, contact-reasons and satisfaction"
                    .into(),
            ))
        }
    })
}

/// An agent's logins and logouts (and by whom), assignments and chats handled in a period:
/// for supervisors, and for the agent themself.
#[utoipa::path(
    get,
    path = "/api/v1/agents/{id}/activity",
    tag = "supervision",
    params(("id" = uuid::Uuid, Path, description = "The agent"), Period),
    responses(
        (status = 200, description = "The agent's activity in the period", body = [reports::AgentActivity]),
        (
            status = 403, description = "Only supervisors, administrators and the agent",
            body = Problem, content_type = PROBLEM_JSON
        ),
        refusals::Invalid,
    ),
    security(("bearer" = []))
)]
pub async fn agent_activity(
    State(state): State<AppState>,
    staff: Staff,
    crate::extract::ApiPath(agent): crate::extract::ApiPath<samtale_domain::UserId>,
    ApiQuery(period): ApiQuery<Period>,
) -> Result<Json<Vec<reports::AgentActivity>>, ApiError> {
    if !(staff.oversees() || staff.user_id == agent) {
        return Err(ApiError::Forbidden(
            "supervisors, administrators and the agent only".into(),
        ));
    }
    let rows = reports::agent_activity(
        state.db.any(),
        &agent.to_string(),
        &timestamp(period.from),
        &timestamp(period.to),
    )
    .await?;
    Ok(Json(rows))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Instant {
    /// The instant (RFC 3339).
    at: DateTime<Utc>,
}

/// The queue board as it stood at an instant: waiting, ongoing and logged-in agents per queue.
#[utoipa::path(
    get,
    path = "/api/v1/board",
    tag = "supervision",
    params(Instant),
    responses(
        (status = 200, description = "Queues with chats or agents at that instant", body = [reports::PastQueueStatus]),
        (status = 403, response = OverseersOnly),
    ),
    security(("bearer" = []))
)]
pub async fn board_at(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(instant): ApiQuery<Instant>,
) -> Result<Json<Vec<reports::PastQueueStatus>>, ApiError> {
    staff.require_oversight()?;
    Ok(Json(
        reports::board_at(state.db.any(), &timestamp(instant.at)).await?,
    ))
}
