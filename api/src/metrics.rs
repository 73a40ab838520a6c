//! The node's metrics, in Prometheus's text format at `GET /metrics`.
//!
//! Counted as they happen: HTTP requests by route, method and status, with their latency;
//! commands by aggregate and outcome (conflicts among them); the dispatcher's leadership and
//! how long each chat it placed had waited. Read when scraped, so that they are never stale
//! and cost nothing between scrapes: live streams by kind, open connections, each
//! projection's position and lag behind the log's head, the queues (waiting, oldest wait,
//! agents logged in), the outage breaker and the database pools. A scrape reads the queue
//! board and the checkpoints, two small queries.

use crate::error::ApiError;
use crate::http::{CUSTOMER_STREAMS, STAFF_STREAMS};
use crate::occupancy::Occupancy;
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use samtale_projections::read;
use samtale_service::Node;
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProjectionLabels {
    projection: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    queue_id: String,
    queue: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: &'static str,
    state: &'static str,
}

/// The route of a request no route matched: one series for every unknown path, so a scan
/// cannot make new series without end.
const UNMATCHED: &str = "unmatched";

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    streams: Family<KindLabels, Gauge>,
    connections: Gauge,
    log_head: Gauge,
    projection_position: Family<ProjectionLabels, Gauge>,
    projection_lag: Family<ProjectionLabels, Gauge>,
    waiting: Family<QueueLabels, Gauge>,
    oldest_wait: Family<QueueLabels, Gauge>,
    logged_in: Family<QueueLabels, Gauge>,
    breaker_open: Gauge,
    pool: Family<PoolLabels, Gauge>,
}

impl Metrics {
    /// The node's metrics, with what its parts count registered beside the HTTP surface's.
    pub fn new(node: &Node) -> Self {
        let latency =
            Family::<RouteLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
        let metrics = Self {
            registry: Registry::with_prefix("samtale"),
            requests: Family::default(),
            latency,
            streams: Family::default(),
            connections: Gauge::default(),
            log_head: Gauge::default(),
            projection_position: Family::default(),
            projection_lag: Family::default(),
            waiting: Family::default(),
            oldest_wait: Family::default(),
            logged_in: Family::default(),
            breaker_open: Gauge::default(),
            pool: Family::default(),
        };
        metrics.register(node)
    }

    fn register(mut self, node: &Node) -> Self {
        let r = &mut self.registry;
        r.register(
            "http_requests",
            "HTTP requests answered, by route template, method and status",
            self.requests.clone(),
        );
        r.register(
            "http_request_duration_seconds",
            "Time to answer (for a stream: to open it), by route template and method",
            self.latency.clone(),
        );
        for (aggregate, outcomes) in [
            ("chat", node.chats.outcomes()),
            ("presence", node.presence.outcomes()),
            ("directory", node.directory.outcomes()),
        ] {
            r.register(
                format!("{aggregate}_commands"),
                format!(
                    "Commands on {aggregate} aggregates by outcome \
                     (committed, unchanged, rejected, collided, conflict, failed)"
                ),
                outcomes,
            );
        }
        r.register(
            "dispatcher_leading",
            "1 while this node is the dispatcher (one node across the cluster)",
            node.dispatch.leading.clone(),
        );
        r.register(
            "assignment_wait_seconds",
            "How long each chat this node's dispatcher offered or assigned had waited",
            node.dispatch.waited.clone(),
        );
        r.register(
            "streams_open",
            "Live SSE streams open on this node, by kind (staff, customer)",
            self.streams.clone(),
        );
        r.register(
            "connections_open",
            "HTTP connections open on this node",
            self.connections.clone(),
        );
        r.register(
            "log_head_position",
            "The position of the event log's last committed event",
            self.log_head.clone(),
        );
        r.register(
            "projection_position",
            "The log position each projection has folded up to",
            self.projection_position.clone(),
        );
        r.register(
            "projection_lag_events",
            "Log positions between the log's head and each projection",
            self.projection_lag.clone(),
        );
        r.register(
            "queue_waiting_chats",
            "Chats waiting in each queue",
            self.waiting.clone(),
        );
        r.register(
            "queue_oldest_wait_seconds",
            "How long the longest-waiting chat of each queue has waited (0: none waits)",
            self.oldest_wait.clone(),
        );
        r.register(
            "queue_agents_logged_in",
            "Agents logged in to each queue",
            self.logged_in.clone(),
        );
        r.register(
            "breaker_open",
            "1 while the outage breaker refuses requests because the database is unreachable",
            self.breaker_open.clone(),
        );
        r.register(
            "database_pool_connections",
            "The node's database connections, by pool and state (idle, in use)",
            self.pool.clone(),
        );
        self
    }

    /// Reads what is sampled, then writes every metric out.
    async fn render(&self, state: &AppState) -> Result<String, ApiError> {
        self.sample(state).await?;
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .map_err(|error| ApiError::Internal(format!("encoding the metrics: {error}")))?;
        Ok(text)
    }

    async fn sample(&self, state: &AppState) -> Result<(), ApiError> {
        let db = state.db.any();
        for kind in [STAFF_STREAMS, CUSTOMER_STREAMS] {
            self.streams
                .get_or_create(&KindLabels {
                    kind: kind.trim_start_matches("streams "),
                })
                .set(count(&state.streams, kind));
        }
        self.connections
            .set(i64::try_from(state.connections.open()).unwrap_or(i64::MAX));
        let head = state.live.log().head().await?.position;
        self.log_head.set(head);
        let checkpoints: Vec<(String, i64)> =
            sqlx::query_as("SELECT name, position FROM projection_checkpoints")
                .fetch_all(db)
                .await?;
        self.projection_position.clear();
        self.projection_lag.clear();
        for (projection, position) in checkpoints {
            let labels = ProjectionLabels { projection };
            self.projection_position
                .get_or_create(&labels)
                .set(position);
            self.projection_lag
                .get_or_create(&labels)
                .set((head - position).max(0));
        }
        // Queues come and go (and are renamed): only today's are reported.
        self.waiting.clear();
        self.oldest_wait.clear();
        self.logged_in.clear();
        let now = chrono::Utc::now();
        for queue in read::queue_board(db, None).await? {
            let labels = QueueLabels {
                queue_id: queue.queue_id,
                queue: queue.name,
            };
            self.waiting.get_or_create(&labels).set(queue.waiting);
            self.logged_in
                .get_or_create(&labels)
                .set(queue.logged_in_agents);
            let oldest = queue
                .oldest_waiting_since
                .and_then(|since| chrono::DateTime::parse_from_rfc3339(&since).ok())
                .map_or(0, |since| {
                    (now - since.with_timezone(&chrono::Utc)).num_seconds()
                });
            self.oldest_wait.get_or_create(&labels).set(oldest.max(0));
        }
        self.breaker_open.set(i64::from(state.breaker.is_open()));
        let pools = [("read_models", db.size(), db.num_idle())]
            .into_iter()
            .chain(
                state
                    .db
                    .postgres_pool()
                    .map(|pool| ("events", pool.size(), pool.num_idle())),
            );
        for (pool, size, idle) in pools {
            let idle = i64::try_from(idle).unwrap_or(i64::MAX);
            self.pool
                .get_or_create(&PoolLabels {
                    pool,
                    state: "idle",
                })
                .set(idle);
            self.pool
                .get_or_create(&PoolLabels {
                    pool,
                    state: "in_use",
                })
                .set(i64::from(size) - idle);
        }
        Ok(())
    }
}

fn count(occupancy: &Occupancy, key: &str) -> i64 {
    i64::try_from(occupancy.count(key)).unwrap_or(i64::MAX)
}

/// From a millisecond to about half a minute.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// Middleware: counts each answered request under its route's template.
pub async fn count_requests(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
        .to_string();
    let method = request.method().as_str().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics
        .latency
        .get_or_create(&RouteLabels {
            route: route.clone(),
            method: method.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            method,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// `GET /metrics`: the text format Prometheus scrapes.
pub async fn serve(State(state): State<AppState>) -> Result<Response, ApiError> {
    let text = state.metrics.render(&state).await?;
    Ok((
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response())
}
