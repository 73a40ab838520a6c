//! A property test over the whole API, driven by its OpenAPI document: random requests to
//! every documented operation — real and hostile ids, hostile text, arbitrary JSON shaped
//! like each body's schema or not at all, raw bytes, every kind of caller — never get a 5xx
//! or kill the connection, and a rejected request writes nothing to the log.

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::{Method, StatusCode, Url};
use samtale_eventlog::LogPosition;
use samtale_testkit::app::TestApp;
use samtale_testkit::test_databases;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Requests per backend.
const CASES: u32 = 1_000;

/// One documented operation.
#[derive(Debug, Clone)]
struct Operation {
    method: Method,
    /// The path template's segments below `/api/v1`, `None` where a parameter goes.
    segments: Vec<Option<String>>,
    query: Vec<String>,
    /// The top-level properties of the JSON body's schema, if it has one.
    body_keys: Option<Vec<String>>,
}

#[derive(Debug, Clone)]
enum Body {
    None,
    Json(Value),
    Raw(Vec<u8>),
}

#[derive(Debug, Clone)]
struct Call {
    operation: usize,
    path: Vec<String>,
    query: Vec<Option<String>>,
    body: Body,
    caller: usize,
}

fn operations(document: &Value) -> Vec<Operation> {
    let resolve = |schema: &Value| -> Value {
        match schema["$ref"].as_str() {
            Some(reference) => document
                .pointer(reference.trim_start_matches('#'))
                .cloned()
                .unwrap_or(Value::Null),
            None => schema.clone(),
        }
    };
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            // Logging out would only revoke the callers this test takes turns with.
            if path == "/api/v1/auth/logout" {
                continue;
            }
            let segments = path
                .trim_start_matches("/api/v1/")
                .split('/')
                .map(|s| (!s.starts_with('{')).then(|| s.to_string()))
                .collect();
            let query = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .map(|p| p["name"].as_str().unwrap().to_string())
                .collect();
            let body_keys = operation["requestBody"]["content"]["application/json"]
                .get("schema")
                .map(|schema| {
                    resolve(schema)["properties"]
                        .as_object()
                        .map(|p| p.keys().cloned().collect())
                        .unwrap_or_default()
                });
            operations.push(Operation {
                method: method.to_uppercase().parse().unwrap(),
                segments,
                query,
                body_keys,
            });
        }
    }
    operations
}

fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("   ".to_string()),
        Just("line\r\nid: 1\n\nevent: forged\rdata: {}".to_string()),
        Just("nul\u{0}byte".to_string()),
        Just("x".repeat(5_000)),
        Just("../../etc/passwd".to_string()),
        Just("' OR 1=1; DROP TABLE events; --".to_string()),
        Just("2026-02-30T25:61:00Z".to_string()),
        Just("2026-11-25T10:00:00Z".to_string()),
        Just("-1".to_string()),
        Just("18446744073709551616".to_string()),
        Just("csv".to_string()),
        "\\PC{0,40}",
    ]
}

/// Strings a well-behaved client might send: the ids that exist, and a few words.
fn plausible(ids: &[String]) -> impl Strategy<Value = String> {
    prop_oneof![select(ids.to_vec()), hostile_text()]
}

fn json_value(ids: &[String]) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (0u32..10).prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        plausible(ids).prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn body(keys: Option<Vec<String>>, ids: &[String]) -> BoxedStrategy<Body> {
    let Some(keys) = keys else {
        return Just(Body::None).boxed();
    };
    let anything = prop_oneof![
        json_value(ids).prop_map(Body::Json),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(Body::Raw),
    ];
    if keys.is_empty() {
        return anything.boxed();
    }
    // Mostly shaped like the schema: a subset of its keys, each with any value.
    let shaped = prop::collection::btree_map(select(keys), json_value(ids), 0..6)
        .prop_map(|m| Body::Json(Value::Object(m.into_iter().collect())));
    prop_oneof![3 => shaped, 1 => anything].boxed()
}

fn call(operations: &[Operation], ids: &[String], callers: usize) -> impl Strategy<Value = Call> {
    let (operations, ids) = (operations.to_vec(), ids.to_vec());
    (0..operations.len()).prop_flat_map(move |index| {
        let operation = &operations[index];
        let parameters = operation.segments.iter().filter(|s| s.is_none()).count();
        (
            Just(index),
            prop::collection::vec(plausible(&ids), parameters),
            prop::collection::vec(prop::option::of(plausible(&ids)), operation.query.len()),
            body(operation.body_keys.clone(), &ids),
            // Mostly callers with a real token, so requests get past authentication.
            prop_oneof![4 => 0..callers - 2, 1 => callers - 2..callers],
        )
            .prop_map(|(operation, path, query, body, caller)| Call {
                operation,
                path,
                query,
                body,
                caller,
            })
    })
}

/// Sends one call; fails the case on a 5xx or a broken connection. Records each request's id
/// and status.
async fn send(
    app: &TestApp,
    operations: &[Operation],
    callers: &[String],
    call: Call,
    number: usize,
    answered: &Mutex<Vec<(String, StatusCode)>>,
) -> Result<(), TestCaseError> {
    let operation = &operations[call.operation];
    let mut url = Url::parse(&app.base).unwrap();
    {
        let mut segments = url.path_segments_mut().unwrap();
        let mut arguments = call.path.iter();
        for segment in &operation.segments {
            segments.push(
                segment
                    .as_deref()
                    .or_else(|| arguments.next().map(String::as_str))
                    .unwrap(),
            );
        }
    }
    for (name, value) in operation.query.iter().zip(&call.query) {
        if let Some(value) = value {
            url.query_pairs_mut().append_pair(name, value);
        }
    }
    let request_id = format!("fuzz-{number}");
    let mut request = app
        .client
        .request(operation.method.clone(), url.clone())
        .header("x-request-id", &request_id);
    let token = &callers[call.caller];
    if !token.is_empty() {
        request = request.bearer_auth(token);
    }
    request = match &call.body {
        Body::None => request,
        Body::Json(value) => request.json(value),
        Body::Raw(bytes) => request
            .header("content-type", "application/json")
            .body(bytes.clone()),
    };
    let response = request.send().await.map_err(|e| {
        TestCaseError::fail(format!("{} {url}: no response: {e}", operation.method))
    })?;
    let status = response.status();
    prop_assert!(
        !status.is_server_error(),
        "{} {url} {:?}: {status}",
        operation.method,
        call.body
    );
    answered.lock().unwrap().push((request_id, status));
    Ok(())
}

#[test]
fn random_requests_to_every_operation_get_no_5xx_and_rejected_ones_write_nothing() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for database in runtime.block_on(test_databases()) {
        let app = runtime.block_on(TestApp::start(database));
        let (operations, ids, callers) = runtime.block_on(async {
            let centre = app.centre().await;
            let (chat, customer) = app
                .picked_up_chat(&centre.billing, "Fuzz", &centre.kari.token)
                .await;
            let (waiting, _) = app.start_chat(&centre.offers, "Venter").await;
            app.post_ok(
                &format!("/chats/{chat}/messages"),
                &centre.kari.token,
                json!({"text": "Hei"}),
            )
            .await;
            let document = app.get_ok("/openapi.json", "").await;
            let ids = vec![
                chat.clone(),
                waiting,
                centre.support.clone(),
                centre.sales.clone(),
                centre.billing.clone(),
                centre.kari.user_id.clone(),
                centre.ola.user_id.clone(),
                "email".to_string(),
                "chats".to_string(),
                uuid::Uuid::new_v4().to_string(),
            ];
            let callers = vec![
                app.admin.clone(),
                centre.kari.token.clone(),
                centre.siri.token.clone(),
                customer,
                // The last two are not signed in.
                String::new(),
                "forged-token".to_string(),
            ];
            (operations(&document), ids, callers)
        });
        let answered = Mutex::new(Vec::new());
        let sent = AtomicUsize::new(0);
        let mut runner = TestRunner::new(Config {
            cases: CASES,
            failure_persistence: None,
            ..Config::default()
        });
        let outcome = runner.run(&call(&operations, &ids, callers.len()), |call| {
            let number = sent.fetch_add(1, Ordering::Relaxed);
            runtime.block_on(send(&app, &operations, &callers, call, number, &answered))
        });
        if let Err(failure) = outcome {
            panic!("{}: {failure}", app.backend);
        }

        let answered = answered.into_inner().unwrap();
        let mut statuses = BTreeMap::new();
        for (_, status) in &answered {
            *statuses.entry(status.as_u16()).or_insert(0) += 1;
        }
        eprintln!(
            "{}: statuses of {} requests: {statuses:?}",
            app.backend,
            answered.len()
        );
        let rejected: HashSet<&String> = answered
            .iter()
            .filter(|(_, status)| !status.is_success())
            .map(|(id, _)| id)
            .collect();
        let written = runtime.block_on(async {
            let log = app.app.state.live.log();
            log.read_after(LogPosition::START, 1_000_000).await.unwrap()
        });
        let offending: Vec<_> = written
            .iter()
            .filter(|e| {
                e.metadata
                    .get("request_id")
                    .is_some_and(|id| rejected.contains(id))
            })
            .map(|e| (&e.metadata["request_id"], &e.event_type))
            .collect();
        assert!(
            offending.is_empty(),
            "{}: rejected requests wrote {offending:?}",
            app.backend
        );
        assert!(
            rejected.len() > CASES as usize / 2,
            "most random requests are refused"
        );
        runtime.block_on(app.finish());
    }
}
