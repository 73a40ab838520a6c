//! The accept loop: every connection the node takes, what it may hold, and how it ends.
//!
//! A node on the open internet meets clients that open connections and send nothing, trickle
//! their headers, or hold thousands of sockets from one address. So a connection must send a
//! request's headers within the header timeout (counted again after each answer: an idle
//! keep-alive connection goes the same way); connections are capped per node and per client
//! address, and one beyond a cap is answered 503 and closed at once instead of left in the
//! backlog, so the node keeps accepting and answering `/healthz` while the flood lasts. The
//! node-wide cap is kept below the process's limit of open files, so a flood cannot leave the
//! node without descriptors for its database connections.
//!
//! Stopping (SIGTERM) closes the listener, lets requests in flight finish and ends each
//! connection after its current answer; live streams are ended by the node's stop signal
//! (`crate::http::events`), so their clients reconnect elsewhere.

use crate::client_addr::TrustedProxies;
use crate::config::ConnectionLimits;
use crate::occupancy::{Occupancy, Seat};
use crate::write_timeout::{WriteTimeout, WRITE_STALL_LIMIT};
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1::Builder;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulConnection, GracefulShutdown};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

/// Descriptors kept free of connections: the database pools, the LISTEN connection, the
/// SQLite files, the log's output, and room to accept a connection only to refuse it.
const RESERVED_DESCRIPTORS: usize = 128;

/// After a failed accept (out of descriptors, say), a pause before the next: the error is
/// the kernel's, and trying again at once would spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// What a connection beyond the caps is told before it is closed, unless it asks `/healthz`.
const OVER_CAPACITY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: text/plain; charset=utf-8\r\nretry-after: 1\r\nconnection: close\r\n\
content-length: 32\r\n\r\ntoo many connections; try again\n";

/// The node is alive, for a health check that arrives while the connections are full.
const ALIVE: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\n\
connection: close\r\ncontent-length: 2\r\n\r\nok";

/// The key under which every connection of the node counts.
const EVERY_CONNECTION: &str = "connections";

/// Connections beyond the caps, answered at the door (`/healthz`, or 503) and closed: a part
/// of the reserved descriptors, each held for at most `DOOR_PATIENCE`.
const AT_THE_DOOR: &str = "at the door";
const DOOR_CONNECTIONS: usize = RESERVED_DESCRIPTORS / 2;
const DOOR_PATIENCE: Duration = Duration::from_millis(500);

/// The connections open on this node, for its metrics.
#[derive(Clone)]
pub struct Connections {
    open: Arc<Occupancy>,
}

impl Connections {
    pub fn open(&self) -> usize {
        self.open.count(EVERY_CONNECTION)
    }
}

/// How many connections this process can hold: the configured cap, lowered to what the limit
/// of open files leaves after the reserve.
pub fn connection_cap(configured: usize) -> usize {
    match open_files_limit() {
        Some(limit) if limit.saturating_sub(RESERVED_DESCRIPTORS) < configured => {
            let cap = limit.saturating_sub(RESERVED_DESCRIPTORS).max(1);
            tracing::warn!(
                configured,
                open_files_limit = limit,
                cap,
                "the limit of open files allows fewer connections than configured"
            );
            cap
        }
        _ => configured,
    }
}

/// The soft limit of open files (Linux's `/proc/self/limits`); `None` where it cannot be read
/// or is unlimited.
fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

pub struct Listening {
    pub connections: Connections,
    pub served: tokio::task::JoinHandle<()>,
}

/// Serves `router` on `listener` until `stop` turns true, then drains for at most `grace`.
pub fn serve(
    listener: TcpListener,
    router: Router,
    limits: &ConnectionLimits,
    trusted: TrustedProxies,
    mut stop: watch::Receiver<bool>,
) -> Listening {
    let open = Arc::new(Occupancy::default());
    let max_connections = connection_cap(limits.max_connections);
    let per_address = limits.max_connections_per_address;
    let grace = Duration::from_secs(limits.shutdown_grace_seconds);
    let mut http = Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(limits.header_timeout_seconds));
    let connections = Connections { open: open.clone() };
    let served = tokio::spawn(async move {
        let graceful = GracefulShutdown::new();
        loop {
            let (socket, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::warn!(%error, "accepting a connection failed");
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                        continue;
                    }
                },
                () = stopped(&mut stop) => break,
            };
            let mut wanted = vec![(EVERY_CONNECTION.to_string(), max_connections)];
            // A proxy carries many clients: its connections count only towards the node's cap.
            if !trusted.trusts(peer.ip()) {
                wanted.push((format!("address {}", peer.ip()), per_address));
            }
            match open.take(wanted) {
                Some(seat) => {
                    let connection = connection(&http, socket, router.clone(), peer);
                    tokio::spawn(run(graceful.watch(connection), seat));
                }
                // Beyond a cap a connection is still answered at the door, from the few
                // descriptors kept for that; beyond those it is closed at once.
                None => {
                    if let Some(seat) = open.take(vec![(AT_THE_DOOR.to_string(), DOOR_CONNECTIONS)])
                    {
                        tokio::spawn(answer_at_the_door(socket, seat));
                    }
                }
            }
        }
        drop(listener);
        if tokio::time::timeout(grace, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!(?grace, "connections still open after the grace period");
        }
    });
    Listening {
        connections,
        served,
    }
}

/// One accepted connection, served by `router`; each request knows the peer it came from.
fn connection(
    http: &Builder,
    socket: TcpStream,
    router: Router,
    peer: SocketAddr,
) -> impl GracefulConnection<Error = hyper::Error> + Send {
    // Without TCP_NODELAY an SSE frame written while the previous one is unacknowledged
    // waits for the client's delayed ACK (up to 40 ms): under load, a twentieth of the
    // messages reached the other side 30-40 ms late.
    if let Err(error) = socket.set_nodelay(true) {
        tracing::debug!(%error, "cannot set TCP_NODELAY");
    }
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        router.clone().oneshot(request)
    });
    http.serve_connection(
        TokioIo::new(WriteTimeout::new(socket, WRITE_STALL_LIMIT)),
        service,
    )
}

/// Resolves once the node is told to stop (or whoever could tell it is gone).
pub async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopping| *stopping).await;
}

async fn run(connection: impl std::future::Future<Output = Result<(), hyper::Error>>, seat: Seat) {
    if let Err(error) = connection.await {
        tracing::debug!(%error, "connection ended with an error");
    }
    drop(seat);
}

/// Reads the request line (if it comes at once) of a connection beyond the caps: `/healthz`
/// is told the node is alive, anything else 503; then the connection is closed. Never waits
/// long on a client, whether it sends nothing or does not read: either answer fits in the
/// socket's buffer.
async fn answer_at_the_door(mut socket: TcpStream, seat: Seat) {
    let mut start = [0u8; 16];
    let read = tokio::time::timeout(DOOR_PATIENCE, socket.read(&mut start)).await;
    let asks_health = matches!(read, Ok(Ok(n)) if start[..n].starts_with(b"GET /healthz "));
    let answer = if asks_health { ALIVE } else { OVER_CAPACITY };
    let _ = tokio::time::timeout(DOOR_PATIENCE, socket.write_all(answer)).await;
    let _ = socket.shutdown().await;
    drop(seat);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answers_at_the_door_say_how_long_their_bodies_are() {
        for answer in [OVER_CAPACITY, ALIVE] {
            let text = std::str::from_utf8(answer).unwrap();
            let (head, body) = text.split_once("\r\n\r\n").unwrap();
            assert!(
                head.contains(&format!("content-length: {}", body.len())),
                "{head}"
            );
        }
    }
}
