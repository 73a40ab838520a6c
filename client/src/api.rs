//! A small client of the Samtale API: JSON in and out, a bearer token, and the few calls the
//! load tool and the fault tests make.

use crate::sse_client::SseStream;
use crate::Error;
use reqwest::Client;
use serde_json::{json, Value};

pub struct Api {
    pub client: Client,
    pub base: String,
}

impl Api {
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Result<Value, Error> {
        let mut request = self
            .client
            .request(method, format!("{}/api/v1{path}", self.base));
        if !token.is_empty() {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let text = answer(path, request.send().await?).await?;
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Posts a JSON body already written out and checks only the status: the load's hot path,
    /// which has no use for the answer.
    pub async fn send(&self, path: &str, token: &str, body: String) -> Result<(), Error> {
        let response = self
            .client
            .post(format!("{}/api/v1{path}", self.base))
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await?;
        answer(path, response).await.map(drop)
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Result<Value, Error> {
        self.call(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    pub async fn get(&self, path: &str, token: &str) -> Result<Value, Error> {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    pub async fn login(&self, username: &str, password: &str) -> Result<String, Error> {
        let body = self
            .post(
                "/auth/login",
                "",
                json!({"username": username, "password": password}),
            )
            .await?;
        field(&body, "/auth/login", "token")
    }

    pub async fn stream(&self, path: &str, token: &str) -> Result<SseStream, Error> {
        let response = self
            .client
            .get(format!("{}/api/v1{path}", self.base))
            .bearer_auth(token)
            .send()
            .await?;
        let status = response.status();
        if !status.is_success() {
            return Err(Error::Status {
                path: path.to_string(),
                status,
                body: String::new(),
            });
        }
        Ok(SseStream::new(response))
    }
}

/// The body of a successful response; an error naming the path and status otherwise.
async fn answer(path: &str, response: reqwest::Response) -> Result<String, Error> {
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        return Err(Error::Status {
            path: path.to_string(),
            status,
            body: text,
        });
    }
    Ok(text)
}

/// The string `name` of an answer from `path`.
pub fn field(answer: &Value, path: &str, name: &'static str) -> Result<String, Error> {
    answer[name]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| Error::Missing {
            path: path.to_string(),
            field: name,
        })
}

/// A staffed queue of the run's own: its id and each agent's (user id, token).
pub struct Staffed {
    pub queue_id: String,
    /// `(user id, token)` of each agent.
    pub agents: Vec<(String, String)>,
    /// The administrator's token.
    pub admin: String,
}

/// How many chats each agent of a [`Staffed`] queue may hold at once.
pub const AGENT_CAPACITY: usize = 20;

impl Api {
    /// Creates a queue (routing assigns in it without offers) and `count` agents in it
    /// ([`AGENT_CAPACITY`]), so runs never disturb each other.
    pub async fn staffed_queue(
        &self,
        admin_password: &str,
        label: &str,
        count: usize,
    ) -> Result<Staffed, Error> {
        let admin = self.login("admin", admin_password).await?;
        let run_id = &uuid::Uuid::new_v4().simple().to_string()[..8];
        let queue = self
            .post(
                "/queues",
                &admin,
                json!({"name": format!("{label} {run_id}")}),
            )
            .await?;
        let queue_id = field(&queue, "/queues", "queue_id")?;
        // Routing assigns in the run's queue straight away, without offers: a run measures
        // the service, not how fast its agents would click Accept.
        self.call(
            reqwest::Method::PATCH,
            &format!("/queues/{queue_id}"),
            &admin,
            Some(json!({"offer_timeout_seconds": null})),
        )
        .await?;
        let mut agents = Vec::new();
        for i in 0..count {
            let username = format!("{}-{run_id}-{i}", label.to_lowercase());
            let password = format!("{label} password {run_id}");
            let user = self
                .post(
                    "/users",
                    &admin,
                    json!({"username": username, "display_name": username, "password": password,
                           "role": "agent", "max_concurrent_chats": AGENT_CAPACITY}),
                )
                .await?;
            let user_id = field(&user, "/users", "user_id")?;
            self.post(
                &format!("/queues/{queue_id}/members"),
                &admin,
                json!({"user_id": user_id}),
            )
            .await?;
            agents.push((user_id, self.login(&username, &password).await?));
        }
        Ok(Staffed {
            queue_id,
            agents,
            admin,
        })
    }
}

/// Answers for every field of the pre-chat form that a validator accepts.
pub fn form_answers(config: &Value) -> Value {
    let mut answers = serde_json::Map::new();
    for field in config["fields"].as_array().into_iter().flatten() {
        let value = match field["kind"].as_str() {
            Some("email") => json!("load@example.com"),
            Some("phone") => json!("+47 22 00 00 00"),
            Some("select") => field["options"][0].clone(),
            _ => json!("load"),
        };
        answers.insert(field["key"].as_str().unwrap_or_default().to_string(), value);
    }
    Value::Object(answers)
}
