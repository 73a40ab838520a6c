//! A minimal SSE client: reads event frames off a streaming HTTP response. Used by the load
//! tool and the black-box tests.

use futures::StreamExt;
use reqwest::Response;
use serde_json::Value;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: String,
    pub data: Value,
}

/// An event as it came, its data unparsed.
#[derive(Debug, Clone, PartialEq)]
pub struct SseFrame {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
}

pub struct SseStream {
    body: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buffer: String,
}

impl SseStream {
    pub fn new(response: Response) -> Self {
        Self {
            body: response.bytes_stream().boxed(),
            buffer: String::new(),
        }
    }

    /// The next event (comments and keep-alives skipped), or `None` on timeout or end.
    pub async fn next(&mut self, timeout: Duration) -> Option<SseEvent> {
        let frame = self.next_frame(timeout).await?;
        Some(SseEvent {
            id: frame.id,
            event: frame.event,
            data: serde_json::from_str(&frame.data).unwrap_or(Value::String(frame.data)),
        })
    }

    /// The next event with its data as sent, not parsed: for a reader that wants only some.
    pub async fn next_frame(&mut self, timeout: Duration) -> Option<SseFrame> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let frame = parse(&self.buffer[..end]);
                self.buffer.drain(..end + 2);
                if let Some(frame) = frame {
                    return Some(frame);
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.body.next())
                .await
                .ok()??
                .ok()?;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Events until one of type `event` arrives (inclusive), or `None` if it does not.
    pub async fn until(&mut self, event: &str, timeout: Duration) -> Option<Vec<SseEvent>> {
        let mut seen = Vec::new();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let next = self.next(left).await?;
            let done = next.event == event;
            seen.push(next);
            if done {
                return Some(seen);
            }
        }
    }
}

fn parse(frame: &str) -> Option<SseFrame> {
    let (mut id, mut event, mut data) = (None, "message".to_string(), String::new());
    for line in frame.lines() {
        if let Some(value) = line.strip_prefix("id:") {
            id = Some(value.trim().to_string());
        } else if let Some(value) = line.strip_prefix("event:") {
            event = value.trim().to_string();
        } else if let Some(value) = line.strip_prefix("data:") {
            data.push_str(value.strip_prefix(' ').unwrap_or(value));
        }
    }
    (!data.is_empty()).then_some(SseFrame { id, event, data })
}
