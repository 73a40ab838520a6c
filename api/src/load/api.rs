//! A small client of the Samtale API for the load tool.

use crate::sse_client::SseStream;
use anyhow::{bail, Context};
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
    ) -> anyhow::Result<Value> {
        let mut request = self
            .client
            .request(method, format!("{}/api/v1{path}", self.base));
        if !token.is_empty() {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("{path}: {status} {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> anyhow::Result<Value> {
        self.call(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    pub async fn get(&self, path: &str, token: &str) -> anyhow::Result<Value> {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    pub async fn login(&self, username: &str, password: &str) -> anyhow::Result<String> {
        let body = self
            .post(
                "/auth/login",
                "",
                json!({"username": username, "password": password}),
            )
            .await?;
        body["token"]
            .as_str()
            .map(str::to_string)
            .context("no token")
    }

    pub async fn stream(&self, path: &str, token: &str) -> anyhow::Result<SseStream> {
        let response = self
            .client
            .get(format!("{}/api/v1{path}", self.base))
            .bearer_auth(token)
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("stream {path}: {}", response.status());
        }
        Ok(SseStream::new(response))
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
