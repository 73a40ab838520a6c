//! A client that reads slowly must not silently miss events: its stream either keeps up or
//! ends, and a reconnect with `Last-Event-ID` brings everything it missed.

use samtale_testkit::app::TestApp;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;

/// The receive buffer of the slow client: small, so the server's writes back up quickly.
const RECEIVE_BUFFER: u32 = 4096;
/// Messages sent while the client does not read, and their length: several megabytes, more
/// than the kernel's send buffer (up to 4 MiB) and the server's own buffers hold together.
const FLOOD: usize = 1500;
const MESSAGE_CHARS: usize = 3_900;
const WAIT: Duration = Duration::from_secs(10);

/// A frame as the raw client parsed it.
#[derive(Debug, Clone)]
struct Frame {
    id: Option<String>,
    data: Value,
}

/// An SSE response read over a bare TCP socket, so the test controls how fast it is read.
struct RawStream {
    socket: TcpStream,
    /// Bytes read and not yet decoded from the chunked body.
    raw: Vec<u8>,
    /// Decoded body text not yet split into frames.
    text: String,
    frames: Vec<Frame>,
    /// The chunked body's last chunk came.
    body_ended: bool,
    /// The server closed (or reset) the connection.
    closed: bool,
}

impl RawStream {
    async fn open(address: SocketAddr, path: &str, token: &str) -> RawStream {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(RECEIVE_BUFFER).unwrap();
        let mut socket = socket.connect(address).await.unwrap();
        let request = format!(
            "GET /api/v1{path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
             Accept: text/event-stream\r\n\r\n"
        );
        socket.write_all(request.as_bytes()).await.unwrap();
        let mut stream = RawStream {
            socket,
            raw: Vec::new(),
            text: String::new(),
            frames: Vec::new(),
            body_ended: false,
            closed: false,
        };
        let deadline = Instant::now() + WAIT;
        let head = loop {
            if let Some(end) = find(&stream.raw, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&stream.raw[..end]).to_string();
                stream.raw.drain(..end + 4);
                break head;
            }
            assert!(stream.read_some(deadline).await, "the response head");
        };
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(
            head.to_lowercase().contains("transfer-encoding: chunked"),
            "{head}"
        );
        stream
    }

    /// Reads once (at most 1 KiB, as a slow client would); false on timeout or close.
    async fn read_some(&mut self, deadline: Instant) -> bool {
        let mut buffer = [0u8; 1024];
        match tokio::time::timeout_at(deadline, self.socket.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                self.closed = true;
                false
            }
            Ok(Ok(read)) => {
                self.raw.extend_from_slice(&buffer[..read]);
                true
            }
            Err(_) => false,
        }
    }

    /// Decodes the chunks read so far and splits the text into frames.
    fn decode(&mut self) {
        while let Some(line_end) = find(&self.raw, b"\r\n") {
            let size_line = String::from_utf8_lossy(&self.raw[..line_end]).to_string();
            let size = usize::from_str_radix(size_line.trim(), 16).expect("a chunk size");
            if size == 0 {
                self.body_ended = true;
                self.raw.clear();
                break;
            }
            let chunk_end = line_end + 2 + size;
            if self.raw.len() < chunk_end + 2 {
                break;
            }
            self.text
                .push_str(&String::from_utf8_lossy(&self.raw[line_end + 2..chunk_end]));
            self.raw.drain(..chunk_end + 2);
        }
        while let Some(end) = self.text.find("\n\n") {
            let block: String = self.text.drain(..end + 2).collect();
            let (mut id, mut data) = (None, String::new());
            for line in block.lines() {
                if let Some(value) = line.strip_prefix("id:") {
                    id = Some(value.trim().to_string());
                } else if let Some(value) = line.strip_prefix("data:") {
                    data.push_str(value.strip_prefix(' ').unwrap_or(value));
                }
            }
            if !data.is_empty() {
                let data = serde_json::from_str(&data).unwrap_or(Value::String(data));
                self.frames.push(Frame { id, data });
            }
        }
    }

    /// Reads what the server has for this client, until nothing comes for `quiet`, the
    /// stream ends, or `limit` passes.
    async fn drain(&mut self, quiet: Duration, limit: Instant) {
        while !self.closed && Instant::now() < limit {
            let deadline = (Instant::now() + quiet).min(limit);
            if !self.read_some(deadline).await {
                break;
            }
            self.decode();
        }
        self.decode();
    }

    /// Reads until `done` holds for the frames, the stream ends, or the deadline passes.
    async fn read_until(&mut self, deadline: Instant, done: impl Fn(&[Frame]) -> bool) {
        while !self.closed && !done(&self.frames) && self.read_some(deadline).await {
            self.decode();
        }
        self.decode();
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn text_of(frame: &Frame) -> Option<&str> {
    frame.data["event"]["MessageSent"]["text"].as_str()
}

fn has_text(frames: &[Frame], text: &str) -> bool {
    frames.iter().any(|f| text_of(f) == Some(text))
}

/// What a client that follows `path` got in all, given the slow connection's frames: the rest
/// comes from a reconnect with `Last-Event-ID` if the slow connection ended.
async fn everything_received(
    app: &TestApp,
    path: &str,
    token: &str,
    mut slow: RawStream,
    marker: &str,
) -> Vec<String> {
    slow.read_until(Instant::now() + WAIT, |frames| has_text(frames, marker))
        .await;
    let mut texts: Vec<String> = slow
        .frames
        .iter()
        .filter_map(text_of)
        .map(str::to_string)
        .collect();
    if has_text(&slow.frames, marker) {
        return texts;
    }
    // The stream may end instead, but then the connection must close: a client waiting on
    // an open connection cannot tell an ended stream from a quiet one.
    assert!(
        slow.closed,
        "{path} on {}: after {} frames the stream went silent: no marker, and the connection \
         stays open (the chunked body ended: {})",
        app.backend,
        slow.frames.len(),
        slow.body_ended
    );
    let last_id = slow
        .frames
        .iter()
        .rev()
        .find_map(|f| f.id.clone())
        .expect("an event with an id before the stream ended");
    let mut resumed = app.stream(path, token, Some(&last_id)).await;
    let deadline = Instant::now() + WAIT;
    while texts.last().map(String::as_str) != Some(marker) {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = resumed
            .next(left)
            .await
            .unwrap_or_else(|| panic!("{path} on {}: the resumed stream", app.backend));
        if let Some(text) = event.data["event"]["MessageSent"]["text"].as_str() {
            texts.push(text.to_string());
        }
    }
    texts
}

/// Every message exactly once and in order; on failure, where it first went wrong (the texts
/// are kilobytes long, so not all of them).
fn assert_in_order(got: &[String], sent: &[String], what: &str) {
    let short = |text: Option<&String>| text.map(|t| t.chars().take(20).collect::<String>());
    if let Some(at) = (0..got.len().max(sent.len())).find(|&i| got.get(i) != sent.get(i)) {
        panic!(
            "{what}: {} messages received of {} sent; at {at} got {:?}, expected {:?}",
            got.len(),
            sent.len(),
            short(got.get(at)),
            short(sent.get(at))
        );
    }
}

#[tokio::test]
async fn a_slow_reader_misses_nothing_once_it_reconnects() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let kari = &centre.kari.token;
        let (chat, customer) = app.picked_up_chat(&centre.billing, "Treg", kari).await;
        let staff_path = "/events";
        let customer_path = format!("/customer/chats/{chat}/events");
        let mut staff = RawStream::open(app.app.address, staff_path, kari).await;
        let mut customer_stream = RawStream::open(app.app.address, &customer_path, &customer).await;

        // Neither client reads while the agent writes.
        let messages = format!("/chats/{chat}/messages");
        let mut sent: Vec<String> = (0..FLOOD)
            .map(|n| format!("melding {n} {}", "x".repeat(MESSAGE_CHARS)))
            .collect();
        for text in &sent {
            app.post_ok(&messages, kari, json!({ "text": text })).await;
        }
        // Then they read what they are given, and only then is the marker sent.
        let limit = Instant::now() + Duration::from_secs(30);
        for stream in [&mut staff, &mut customer_stream] {
            stream.drain(Duration::from_secs(2), limit).await;
        }
        let marker = "etter stansen".to_string();
        app.post_ok(&messages, kari, json!({ "text": marker }))
            .await;
        sent.push(marker.clone());

        let got = everything_received(&app, staff_path, kari, staff, &marker).await;
        assert_in_order(&got, &sent, &format!("{staff_path} on {}", app.backend));
        let got =
            everything_received(&app, &customer_path, &customer, customer_stream, &marker).await;
        assert_in_order(&got, &sent, &format!("{customer_path} on {}", app.backend));
        app.finish().await;
    }
}
