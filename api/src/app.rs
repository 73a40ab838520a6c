//! A running server, built from configuration: the state, bootstrap, the listener, the router
//! and the node's background jobs.

use crate::config::ServeConfig;
use crate::http;
use crate::state::AppState;
use crate::write_timeout::{WriteTimeoutListener, WRITE_STALL_LIMIT};
use axum::serve::ListenerExt;
use samtale_service::{
    bootstrap, dispatcher, erasure, pruning, transcript_retention, ServiceError,
};

/// Why a server could not start, or stopped serving.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("serving: {0}")]
    Io(#[from] std::io::Error),
    #[error("the server task ended abnormally: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error(transparent)]
    Mail(#[from] samtale_service::mail::MailerError),
}

/// A running server: its bound address and the task serving it.
pub struct Application {
    pub address: std::net::SocketAddr,
    pub state: AppState,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    dispatcher: tokio::task::JoinHandle<()>,
    pruner: tokio::task::JoinHandle<()>,
    retention: tokio::task::JoinHandle<()>,
    forgetting: tokio::task::JoinHandle<()>,
    /// Sends the transcripts customers ask for, where an SMTP server is configured.
    mail: Option<tokio::task::JoinHandle<()>>,
}

impl Application {
    pub async fn build(config: &ServeConfig) -> Result<Self, StartError> {
        let mailer = config
            .mail
            .smtp_url
            .as_deref()
            .map(|url| samtale_service::mail::Mailer::new(url, &config.mail.mail_from))
            .transpose()?;
        let state = AppState::start(config, mailer.is_some()).await?;
        bootstrap::ensure_admin(&state, config.admin_password.clone()).await?;
        if config.demo {
            bootstrap::seed_demo(&state).await?;
        }
        let listener = tokio::net::TcpListener::bind(&config.listen).await?;
        let address = listener.local_addr()?;
        // Without TCP_NODELAY an SSE frame written while the previous one is unacknowledged
        // waits for the client's delayed ACK (up to 40 ms): under load, a twentieth of the
        // messages reached the other side 30-40 ms late.
        let listener = WriteTimeoutListener::new(listener, WRITE_STALL_LIMIT);
        let listener = listener.tap_io(|connection| {
            if let Err(error) = connection.get_ref().set_nodelay(true) {
                tracing::debug!(%error, "cannot set TCP_NODELAY");
            }
        });
        let router = http::router(state.clone());
        let server = tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown_signal())
            .await
        });
        let dispatcher = dispatcher::spawn(state.node.clone());
        let pruner = pruning::spawn(state.node.clone());
        let retention = transcript_retention::spawn(state.node.clone());
        let forgetting = erasure::spawn_forgetting(state.node.clone());
        let mail = mailer.map(|mailer| samtale_service::mail::spawn(state.node.clone(), mailer));
        Ok(Self {
            address,
            state,
            server,
            dispatcher,
            pruner,
            retention,
            forgetting,
            mail,
        })
    }

    /// Stops serving and dispatching, as a crashed node would: its dispatcher lock goes with
    /// its connection. (Background folds stop with the runtime.)
    pub fn stop(&self) {
        self.server.abort();
        self.dispatcher.abort();
        self.pruner.abort();
        self.retention.abort();
        self.forgetting.abort();
        if let Some(mail) = &self.mail {
            mail.abort();
        }
    }

    pub async fn run_until_stopped(self) -> Result<(), StartError> {
        self.server.await??;
        Ok(())
    }
}

async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
