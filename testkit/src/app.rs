//! For the black-box suite: `TestApp` starts a real Samtale server on a random loopback port
//! against a fresh database, and drives it over HTTP like any client would. A request that
//! fails to send, or a body that is not what a helper expects, fails the test at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub use samtale_client::sse_client::{SseEvent, SseStream};

use crate::{required_postgres_test_database, test_databases, TestDatabase};
use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use samtale_api::config::{DatabaseConfig, OfferTimeout, RoutingConfig, ServeConfig};
use samtale_api::Application;
use serde_json::{json, Value};

pub const ADMIN_PASSWORD: &str = "correct horse battery";

/// What the suite's company site signs its customers' ids with.
pub const IDENTITY_SECRET: &str = "the shop's identity secret";

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub backend: &'static str,
    pub admin: String,
    pub app: Application,
    database: TestDatabase,
    config: ServeConfig,
}

/// A configured centre: two queues, a category in each, a required e-mail field, two agents
/// (one per queue) and a supervisor.
pub struct Centre {
    pub support: String,
    pub sales: String,
    pub billing: String,
    pub offers: String,
    pub kari: Staff,
    pub ola: Staff,
    pub siri: Staff,
}

pub struct Staff {
    pub user_id: String,
    pub token: String,
}

impl TestApp {
    /// One running app per backend available (SQLite always; PostgreSQL when configured).
    pub async fn each_backend() -> Vec<TestApp> {
        Self::each_backend_with(|_| {}).await
    }

    /// As `each_backend`, with settings changed by `configure` (on every node started).
    pub async fn each_backend_with(configure: impl Fn(&mut ServeConfig)) -> Vec<TestApp> {
        let mut apps = Vec::new();
        for database in test_databases().await {
            apps.push(Self::start_with(database, &configure).await);
        }
        apps
    }

    /// An app on the backend several nodes can share (PostgreSQL); SQLite is the
    /// single-process embedded default. For tests marked
    /// `#[cfg_attr(not(samtale_test_postgres), ignore = ...)]`: it fails without PostgreSQL.
    pub async fn shared_backend() -> TestApp {
        Self::start(required_postgres_test_database().await).await
    }

    pub async fn start(database: TestDatabase) -> TestApp {
        Self::start_with(database, |_| {}).await
    }

    pub async fn start_with(
        database: TestDatabase,
        configure: impl Fn(&mut ServeConfig),
    ) -> TestApp {
        let mut config = ServeConfig {
            database: DatabaseConfig {
                database_url: database.url.clone(),
                key_file: Some(database.key_file.clone()),
            },
            listen: "127.0.0.1:0".into(),
            admin_password: Some(ADMIN_PASSWORD.into()),
            demo: false,
            wait_for_database: 0,
            metrics_listen: None,
            widget_origins: vec!["https://shop.example".into()],
            identity_secret: Some(IDENTITY_SECRET.into()),
            rate_limits: Default::default(),
            sessions: Default::default(),
            privacy: Default::default(),
            mail: Default::default(),
            edge: Default::default(),
            attachments: Default::default(),
            // The suite's queues are assigned straight away, as auto-accepting centres run:
            // tests of offers turn them on (`queue_with_offers`, or this setting).
            // Nor is there a pace: tests of pacing set one.
            routing: RoutingConfig {
                offer_timeout_seconds: OfferTimeout(None),
                assign_pace_seconds: 0,
            },
        };
        configure(&mut config);
        let app = Application::build(&config).await.expect("the app starts");
        let base = format!("http://{}/api/v1", app.address);
        let client = Client::new();
        let mut test_app = TestApp {
            base,
            client,
            backend: database.backend_name,
            admin: String::new(),
            app,
            database,
            config,
        };
        test_app.admin = test_app.login("admin", ADMIN_PASSWORD).await;
        test_app
    }

    /// Another node on the same database, as a second `samtale serve` would be; its API base.
    pub async fn second_node(&self) -> (Application, String) {
        let config = ServeConfig {
            widget_origins: vec![],
            ..self.config.clone()
        };
        let node = Application::build(&config)
            .await
            .expect("the second node starts");
        let base = format!("http://{}/api/v1", node.address);
        (node, base)
    }

    pub async fn finish(self) {
        self.database.drop_schema().await;
    }

    pub fn request(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        let builder = self.client.request(method, format!("{}{path}", self.base));
        if token.is_empty() {
            builder
        } else {
            builder.bearer_auth(token)
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, token).send().await.unwrap()
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Response {
        self.request(Method::PATCH, path, token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Polls `path` until `done` holds for its JSON, for up to ten seconds.
    pub async fn eventually(
        &self,
        path: &str,
        token: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let body = self.get_ok(path, token).await;
            if done(&body) || tokio::time::Instant::now() > deadline {
                return body;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.request(Method::POST, path, token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// GET that must succeed; returns the JSON body.
    pub async fn get_ok(&self, path: &str, token: &str) -> Value {
        let response = self.get(path, token).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "GET {path} on {}",
            self.backend
        );
        response.json().await.unwrap()
    }

    /// POST that must succeed (2xx); returns the JSON body, or null for 204.
    pub async fn post_ok(&self, path: &str, token: &str, body: Value) -> Value {
        let response = self.post(path, token, body).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(
            status.is_success(),
            "POST {path} on {}: {status} {text}",
            self.backend
        );
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let body = self
            .post_ok(
                "/auth/login",
                "",
                json!({"username": username, "password": password}),
            )
            .await;
        body["token"].as_str().unwrap().to_string()
    }

    pub async fn create_staff(&self, username: &str, role: &str, queues: &[&str]) -> Staff {
        let user = self
            .post_ok(
                "/users",
                &self.admin,
                json!({"username": username, "display_name": username, "password": "a long enough password",
                       "role": role, "max_concurrent_chats": 3}),
            )
            .await;
        let user_id = user["user_id"].as_str().unwrap().to_string();
        for queue in queues {
            self.post_ok(
                &format!("/queues/{queue}/members"),
                &self.admin,
                json!({"user_id": user_id}),
            )
            .await;
        }
        Staff {
            token: self.login(username, "a long enough password").await,
            user_id,
        }
    }

    pub async fn centre(&self) -> Centre {
        let queue = |name: &'static str| async move {
            self.post_ok("/queues", &self.admin, json!({"name": name}))
                .await["queue_id"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let (support, sales) = (queue("Support").await, queue("Sales").await);
        let category = |name: &'static str, queue: String| async move {
            self.post_ok(
                "/categories",
                &self.admin,
                json!({"name": name, "queue_id": queue}),
            )
            .await["category_id"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let billing = category("Billing", support.clone()).await;
        let offers = category("Offers", sales.clone()).await;
        self.post_ok(
            "/form-fields",
            &self.admin,
            json!({"key": "email", "label": "E-mail", "kind": "email", "required": true, "max_length": 100}),
        )
        .await;
        Centre {
            kari: self.create_staff("kari", "agent", &[&support]).await,
            ola: self.create_staff("ola", "agent", &[&sales]).await,
            siri: self.create_staff("siri", "supervisor", &[]).await,
            support,
            sales,
            billing,
            offers,
        }
    }

    /// A customer starts a chat in `category`; returns (chat id, customer token).
    pub async fn start_chat(&self, category: &str, name: &str) -> (String, String) {
        let body = self
            .post_ok(
                "/customer/chats",
                "",
                json!({"category_id": category, "name": name, "fields": {"email": "kunde@example.no"}}),
            )
            .await;
        (
            body["chat_id"].as_str().unwrap().to_string(),
            body["customer_token"].as_str().unwrap().to_string(),
        )
    }

    /// A chat in `category` that `agent` has picked up; returns (chat id, customer token).
    pub async fn picked_up_chat(
        &self,
        category: &str,
        name: &str,
        agent: &str,
    ) -> (String, String) {
        let (chat, customer) = self.start_chat(category, name).await;
        self.post_ok(&format!("/chats/{chat}/pickup"), agent, json!({}))
            .await;
        (chat, customer)
    }

    /// Opens an SSE stream at `path` (with an optional Last-Event-ID).
    pub async fn stream(&self, path: &str, token: &str, last_event_id: Option<&str>) -> SseStream {
        let mut request = self.request(Method::GET, path, token);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "stream {path}");
        SseStream::new(response)
    }

    pub async fn event_count(&self) -> i64 {
        self.app.state.live.log().head().await.unwrap().position
    }
}

/// A problem's `type`, its last segment: `chat-closed`, `queue-closed`, ….
pub fn slug(problem: &Value) -> &str {
    problem["type"]
        .as_str()
        .unwrap_or_default()
        .rsplit('/')
        .next()
        .unwrap_or_default()
}
