//! Closes a connection whose client has stopped reading.
//!
//! hyper writes a response only as fast as the socket takes it, and polls the response body
//! only while it can buffer more: once a client stops reading and the kernel's buffers fill,
//! nothing of ours runs for that connection again. An SSE stream's producer waits on its full
//! buffer, its keep-alive is never sent and its end is never written, so the connection (with
//! its task, its buffers and up to megabytes of kernel send buffer) would stay until the client
//! reads again, which a frozen tab or a vanished laptop never does. hyper has no write timeout
//! for HTTP/1, so the listener's sockets carry one: a write that makes no progress at all for
//! the limit fails, and hyper drops the connection. A client that reads slowly still makes
//! progress and is never cut off here; its stream ends when it falls behind the live feed
//! (`crate::http::events`).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// How long a write may make no progress before the connection is given up: far longer than
/// any live client's pause (SSE keep-alives come every 15 s), short enough that a dead one's
/// resources come back soon.
pub const WRITE_STALL_LIMIT: Duration = Duration::from_secs(30);

/// A connection whose writes fail with `TimedOut` once one has been pending for `limit`.
pub struct WriteTimeout<Io> {
    io: Io,
    limit: Duration,
    /// Set when a write first finds the socket full; cleared by any progress.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<Io> WriteTimeout<Io> {
    pub fn new(io: Io, limit: Duration) -> Self {
        Self {
            io,
            limit,
            stalled: None,
        }
    }

    /// Passes a write's outcome on, failing it if it has been pending too long. Polling the
    /// timer registers this task to be woken when it fires, so the failure comes even if the
    /// socket never becomes writable again.
    fn guard<T>(
        &mut self,
        cx: &mut Context<'_>,
        outcome: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if outcome.is_ready() {
            self.stalled = None;
            return outcome;
        }
        let limit = self.limit;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        ready!(stalled.as_mut().poll(cx));
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the client has not read for too long",
        )))
    }
}

impl<Io: AsyncRead + Unpin> AsyncRead for WriteTimeout<Io> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<Io: AsyncWrite + Unpin> AsyncWrite for WriteTimeout<Io> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let outcome = Pin::new(&mut self.io).poll_write(cx, buf);
        self.guard(cx, outcome)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let outcome = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.guard(cx, outcome)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let outcome = Pin::new(&mut self.io).poll_flush(cx);
        self.guard(cx, outcome)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_write_the_peer_never_reads_fails_after_the_limit() {
        let (near, _far) = tokio::io::duplex(64);
        let mut connection = WriteTimeout::new(near, Duration::from_millis(200));
        let written =
            tokio::time::timeout(Duration::from_secs(10), connection.write_all(&[b'x'; 1024]))
                .await
                .expect("the write gives up by itself");
        let error = written.expect_err("a stalled write fails");
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test]
    async fn a_peer_that_reads_slowly_is_never_cut_off() {
        let (near, mut far) = tokio::io::duplex(64);
        // Each pause is far below the limit, all of them together far above it.
        let mut connection = WriteTimeout::new(near, Duration::from_secs(2));
        let reader = tokio::spawn(async move {
            let mut received = 0;
            let mut buffer = [0u8; 64];
            while received < 64 * 40 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                received += far.read(&mut buffer).await.expect("reads");
            }
            received
        });
        connection
            .write_all(&[b'x'; 64 * 40])
            .await
            .expect("a slow reader's writes complete");
        assert_eq!(reader.await.expect("the reader"), 64 * 40);
    }
}
