//! A running server, built from configuration: the state, bootstrap, the listener, the router
//! and the node's background jobs.

use crate::config::ServeConfig;
use crate::error::ApiError;
use crate::http;
use crate::listen::{self, Connections};
use crate::state::AppState;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use samtale_eventlog::DatabaseError;
use samtale_service::{
    bootstrap, dispatcher, erasure, pruning, transcript_retention, ServiceError,
};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tower::ServiceExt;

/// Why a server could not start, or stopped serving.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("cannot listen on {0}: {1}")]
    Listen(String, std::io::Error),
    #[error("serving: {0}")]
    Io(#[from] std::io::Error),
    #[error("the server task ended abnormally: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error(transparent)]
    Mail(#[from] samtale_service::mail::MailerError),
}

/// A running server: its bound address and the tasks serving it.
pub struct Application {
    pub address: std::net::SocketAddr,
    pub state: AppState,
    server: tokio::task::JoinHandle<()>,
    /// Set to stop: the listener closes, streams end, connections drain.
    stop: watch::Sender<bool>,
    jobs: Vec<tokio::task::JoinHandle<()>>,
}

/// How long a node that waits for its database pauses between attempts.
const RETRY_DATABASE_EVERY: Duration = Duration::from_secs(1);

impl Application {
    /// Listens first, then connects: while the database is not there yet (and
    /// `--wait-for-database` allows waiting) the node answers `/healthz`, and 503 to the rest.
    pub async fn build(config: &ServeConfig) -> Result<Self, StartError> {
        let mailer = config
            .mail
            .smtp_url
            .as_deref()
            .map(|url| samtale_service::mail::Mailer::new(url, &config.mail.mail_from))
            .transpose()?;
        let listener = tokio::net::TcpListener::bind(&config.listen)
            .await
            .map_err(|error| StartError::Listen(config.listen.clone(), error))?;
        let address = listener.local_addr()?;
        let (stop, stopping) = watch::channel(false);
        let ready = Arc::new(OnceLock::new());
        let listening = listen::serve(
            listener,
            until_ready(ready.clone()),
            &config.edge.connections,
            config.edge.proxies(),
            stopping.clone(),
        );
        let connections = listening.connections;
        let started = async {
            let state = connect(config, mailer.is_some(), stopping, connections).await?;
            bootstrap::ensure_admin(&state, config.admin_password.clone()).await?;
            if config.demo {
                bootstrap::seed_demo(&state).await?;
            }
            Ok::<_, StartError>(state)
        };
        let state = match started.await {
            Ok(state) => state,
            Err(error) => {
                listening.served.abort();
                return Err(error);
            }
        };
        let _ = ready.set(http::router(state.clone()));
        let metrics = match &config.metrics_listen {
            Some(address) => Some(serve_metrics(address, state.clone()).await?),
            None => None,
        };
        let mut jobs = vec![
            dispatcher::spawn(state.node.clone()),
            pruning::spawn(state.node.clone()),
            transcript_retention::spawn(state.node.clone()),
            erasure::spawn_forgetting(state.node.clone()),
        ];
        // Sends the transcripts customers ask for, where an SMTP server is configured.
        jobs.extend(mailer.map(|mailer| samtale_service::mail::spawn(state.node.clone(), mailer)));
        jobs.extend(metrics);
        Ok(Self {
            address,
            state,
            server: listening.served,
            stop,
            jobs,
        })
    }

    /// Stops serving and dispatching, as a crashed node would: its dispatcher lock goes with
    /// its connection. (Background folds stop with the runtime.)
    pub fn stop(&self) {
        self.server.abort();
        for job in &self.jobs {
            job.abort();
        }
    }

    /// Stops as an operator's SIGTERM asks: the jobs first, so the dispatcher's lock is free
    /// for another node at once; then no new connections, live streams ended (their clients
    /// reconnect elsewhere), requests in flight finished within the grace period.
    pub async fn shut_down(self) -> Result<(), StartError> {
        for job in &self.jobs {
            job.abort();
        }
        let _ = self.stop.send(true);
        self.server.await?;
        Ok(())
    }

    /// Serves until SIGTERM or Ctrl-C, then shuts down gracefully.
    pub async fn run_until_stopped(self) -> Result<(), StartError> {
        shutdown_signal().await;
        tracing::info!("stopping: finishing requests in flight");
        self.shut_down().await
    }
}

/// `/metrics` alone on a listener of its own, for a scraper on an internal network.
async fn serve_metrics(
    address: &str,
    state: AppState,
) -> Result<tokio::task::JoinHandle<()>, StartError> {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|error| StartError::Listen(address.to_string(), error))?;
    let router = Router::new()
        .route("/metrics", axum::routing::get(crate::metrics::serve))
        .with_state(state);
    Ok(tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::error!(%error, "the metrics listener failed");
        }
    }))
}

/// Connects the node to its database, retrying an unreachable one for as long as the
/// configuration allows.
async fn connect(
    config: &ServeConfig,
    transcripts_by_email: bool,
    stopping: watch::Receiver<bool>,
    connections: Connections,
) -> Result<AppState, StartError> {
    let deadline = Instant::now() + Duration::from_secs(config.wait_for_database);
    loop {
        match AppState::start(
            config,
            transcripts_by_email,
            stopping.clone(),
            connections.clone(),
        )
        .await
        {
            Err(ServiceError::Connect(error @ DatabaseError::Unreachable { .. }))
                if Instant::now() < deadline =>
            {
                tracing::warn!(%error, "waiting for the database");
                tokio::time::sleep(RETRY_DATABASE_EVERY).await;
            }
            started => return Ok(started?),
        }
    }
}

/// The router once the node is ready; until then, that it is starting.
fn until_ready(ready: Arc<OnceLock<Router>>) -> Router {
    Router::new().fallback(move |request: Request| {
        let ready = ready.clone();
        async move {
            match ready.get() {
                Some(router) => router.clone().oneshot(request).await.into_response(),
                None => starting(request.uri().path()),
            }
        }
    })
}

/// What a node that is still starting answers: alive, not ready, nothing else yet.
fn starting(path: &str) -> Response {
    match path {
        "/healthz" => "ok".into_response(),
        "/readyz" => (
            StatusCode::SERVICE_UNAVAILABLE,
            "starting: waiting for the database",
        )
            .into_response(),
        _ => ApiError::Unavailable("the node is starting".into()).into_response(),
    }
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "SIGTERM cannot be caught; stop with Ctrl-C");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}
