//! Running the real `samtale` binary for the fault tests: start it on a loopback port, wait
//! until it is ready, kill it, and call it as a client that gives up when a real one would.
// Each test binary compiles this module and uses part of it.
#![allow(dead_code)]

use reqwest::Client;
use samtale_testkit::TestDatabase;
use serde_json::Value;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub const PASSWORD: &str = "fault test password";

pub struct Server {
    child: Child,
    port: u16,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    /// Starts `samtale serve` on `port` and waits until it is ready.
    pub async fn start(database: &TestDatabase, port: u16) -> Server {
        Self::start_logging(database, port, "error", None).await
    }

    /// As `start`, logging at `level` into `log` (its stdout and stderr both) when given.
    pub async fn start_logging(
        database: &TestDatabase,
        port: u16,
        level: &str,
        log: Option<&std::path::Path>,
    ) -> Server {
        let server = Self::spawn(database, port, level, log, &[], &[]);
        server.ready().await
    }

    /// Starts `samtale serve` with `env` besides the usual, run through `wrapper` (a command
    /// and its arguments that execs the rest, like `prlimit --nofile=256`) when given; does
    /// not wait for it to be ready.
    pub fn spawn(
        database: &TestDatabase,
        port: u16,
        level: &str,
        log: Option<&std::path::Path>,
        env: &[(&str, &str)],
        wrapper: &[&str],
    ) -> Server {
        let output = |log: Option<&std::path::Path>| match log {
            Some(path) => Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .expect("the log file opens"),
            ),
            None => Stdio::null(),
        };
        let binary = env!("CARGO_BIN_EXE_samtale");
        let mut command = match wrapper.split_first() {
            Some((program, arguments)) => {
                let mut command = Command::new(program);
                command.args(arguments).arg(binary);
                command
            }
            None => Command::new(binary),
        };
        let child = command
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("SAMTALE_DATABASE_URL", &database.url)
            .env("SAMTALE_KEY_FILE", &database.key_file)
            .env("SAMTALE_ADMIN_PASSWORD", PASSWORD)
            .env("SAMTALE_CUSTOMER_MESSAGES_PER_MINUTE", "0")
            .env("SAMTALE_CHAT_STARTS_PER_MINUTE", "0")
            .env("RUST_LOG", level)
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdout(output(log))
            .stderr(output(log))
            .spawn()
            .expect("the samtale binary starts");
        Server { child, port }
    }

    /// Waits until the server is ready; panics if it does not become so within a minute.
    pub async fn ready(mut self) -> Server {
        let port = self.port;
        let client = Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if client
                .get(format!("http://127.0.0.1:{port}/readyz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return self;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.kill();
        panic!("the server did not become ready");
    }

    /// The root URL, as the load tool's client takes it.
    pub fn root(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The API's base URL.
    pub fn base(&self) -> String {
        format!("{}/api/v1", self.root())
    }

    /// SIGTERM, as an operator or an orchestrator stops a node.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "SIGTERM is sent");
    }

    /// Waits for the process to exit, for up to `patience`; its exit status, or `None`.
    pub async fn exited_within(&mut self, patience: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + patience;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("the child can be waited for") {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }

    /// SIGKILL: no shutdown, no flushing, as a crash or a pulled plug.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `samtale <args>` on the test's database and key file, to its end.
pub fn samtale(database: &TestDatabase, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_samtale"))
        .args(args)
        .env("SAMTALE_DATABASE_URL", &database.url)
        .env("SAMTALE_KEY_FILE", &database.key_file)
        .env("RUST_LOG", "error")
        .env("NO_COLOR", "1")
        .output()
        .expect("the samtale binary runs")
}

/// A POST that gives up after `patience`: the status and body, or `None` when no answer came.
pub async fn post_within(
    patience: Duration,
    client: &Client,
    url: String,
    token: &str,
    body: Value,
) -> Option<(reqwest::StatusCode, Value)> {
    let response = client
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .timeout(patience)
        .send()
        .await
        .ok()?;
    let status = response.status();
    Some((status, response.json().await.unwrap_or(Value::Null)))
}

/// A POST that may wait (setup, retries): the body of a 2xx, `None` otherwise.
pub async fn post(client: &Client, url: String, token: &str, body: Value) -> Option<Value> {
    post_within(Duration::from_secs(30), client, url, token, body)
        .await
        .filter(|(status, _)| status.is_success())
        .map(|(_, body)| body)
}

/// The texts of a chat's transcript as its customer sees it.
pub async fn transcript(client: &Client, base: &str, chat: &str, token: &str) -> Vec<String> {
    transcript_lines(client, base, chat, token)
        .await
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_string())
        .collect()
}

/// The lines of a chat's transcript as its customer sees them.
pub async fn transcript_lines(client: &Client, base: &str, chat: &str, token: &str) -> Vec<Value> {
    let view: Value = client
        .get(format!("{base}/customer/chats/{chat}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    view["transcript"].as_array().unwrap().clone()
}

/// A customer's chat waiting in a new queue: (chat id, customer token).
pub async fn waiting_chat(client: &Client, base: &str) -> (String, String) {
    let admin = post(
        client,
        format!("{base}/auth/login"),
        "",
        serde_json::json!({"username": "admin", "password": PASSWORD}),
    )
    .await
    .expect("the administrator logs in")["token"]
        .as_str()
        .unwrap()
        .to_string();
    let queue = post(
        client,
        format!("{base}/queues"),
        &admin,
        serde_json::json!({"name": format!("Feil {}", uuid::Uuid::new_v4().simple())}),
    )
    .await
    .expect("a queue");
    let started = post(
        client,
        format!("{base}/customer/chats"),
        "",
        serde_json::json!({"queue_id": queue["queue_id"], "name": "Kunde", "fields": {}}),
    )
    .await
    .expect("a chat");
    (
        started["chat_id"].as_str().unwrap().to_string(),
        started["customer_token"].as_str().unwrap().to_string(),
    )
}

/// The body of customer message number `i`, with its client id so a retry is recognised.
pub fn message(i: usize) -> Value {
    serde_json::json!({"text": format!("melding {i}"), "client_message_id": format!("m-{i}")})
}

/// Waits until `count` reaches `at_least`, for up to `within`: so a fault is injected once the
/// clients have provably got going, however slow the machine is today.
pub async fn reached(count: &AtomicUsize, at_least: usize, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while count.load(Ordering::Relaxed) < at_least {
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    true
}
