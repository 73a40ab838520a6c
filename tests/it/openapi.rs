//! The OpenAPI document: public, 3.1, and covering every route of the API.

use samtale_testkit::app::TestApp;
use serde_json::{json, Value};

#[tokio::test]
async fn the_document_describes_every_route() {
    for app in TestApp::each_backend().await {
        let document = app.get_ok("/openapi.json", "").await;
        let version = document["openapi"].as_str().unwrap();
        assert!(version.starts_with("3.1"), "openapi {version}");

        // The router is built from the same list as the document: every documented operation
        // reaches its handler (the router's own fallback would say "no such resource").
        let mut operations = 0;
        for (path, item) in document["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                operations += 1;
                let concrete = path
                    .replace("{kind}", "chats")
                    .replace("{key}", "email")
                    .split('/')
                    .map(|part| {
                        if part.starts_with('{') {
                            "0193a0c4-0000-7000-8000-000000000001"
                        } else {
                            part
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("/");
                let url = format!("http://{}{concrete}", app.app.address);
                let request = app
                    .client
                    .request(method.to_uppercase().parse().unwrap(), url)
                    .timeout(std::time::Duration::from_secs(2));
                // A stream answers its headers and then holds on: headers are enough here.
                let Ok(response) = request.send().await else {
                    continue;
                };
                let status = response.status();
                assert_ne!(
                    status,
                    reqwest::StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path}"
                );
                if status == reqwest::StatusCode::NOT_FOUND {
                    let body: Value = response.json().await.unwrap_or_default();
                    assert_ne!(
                        body["detail"], "no such resource",
                        "{method} {path} is not routed"
                    );
                }
            }
        }
        assert!(operations >= 42, "{operations} operations documented");

        // The responses every operation shares are declared once and reach every operation.
        let me = &document["paths"]["/api/v1/me"]["get"]["responses"];
        assert!(me["401"].is_object() && me["503"].is_object(), "{me}");

        // Clients translate problem types: the document lists every one of them.
        let types = &document["components"]["schemas"]["Problem"]["properties"]["type"]["enum"];
        for slug in [
            "chat-not-waiting",
            "chat-closed",
            "not-a-queue-member",
            "last-administrator",
        ] {
            let uri = json!(format!("https://samtale.dev/problems/{slug}"));
            assert!(
                types.as_array().is_some_and(|t| t.contains(&uri)),
                "Problem.type lists {slug}: {types}"
            );
        }

        let mut references = Vec::new();
        collect_references(&document, &mut references);
        for reference in references {
            let target = reference.strip_prefix('#').unwrap();
            assert!(
                document.pointer(target).is_some(),
                "{reference} is not in the document"
            );
        }
        app.finish().await;
    }
}

#[tokio::test]
async fn operations_have_one_id_each_and_links_lead_to_them() {
    let app = sqlite_app().await;
    let document = app.get_ok("/openapi.json", "").await;
    let operations: Vec<&Value> = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .collect();
    let mut ids: Vec<&str> = operations
        .iter()
        .map(|operation| operation["operationId"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), before, "an operationId is used twice");

    let mut links = 0;
    for operation in &operations {
        for response in operation["responses"].as_object().unwrap().values() {
            for (name, link) in response["links"].as_object().into_iter().flatten() {
                links += 1;
                let target = link["operationId"].as_str().unwrap();
                assert!(ids.contains(&target), "link {name} leads nowhere");
            }
        }
    }
    // A chat followed from its start to its end, and resources from creation to removal.
    let started = &document["paths"]["/api/v1/customer/chats"]["post"]["responses"]["201"];
    assert_eq!(
        started["links"]["pickup"]["parameters"]["id"],
        "$response.body#/chat_id"
    );
    assert!(links >= 30, "{links} links");
    app.finish().await;
}

/// The streams declare their events: each a `oneOf` of the frames they send, with the JSON
/// in `data` described by its `contentSchema`.
#[tokio::test]
async fn the_streams_declare_their_events() {
    let app = sqlite_app().await;
    let document = app.get_ok("/openapi.json", "").await;
    for (path, kinds) in [
        ("/api/v1/events", ["board", "typing", "resync"]),
        (
            "/api/v1/customer/chats/{id}/events",
            ["queue", "typing", "resync"],
        ),
    ] {
        let schema = &document["paths"][path]["get"]["responses"]["200"]["content"]
            ["text/event-stream"]["schema"];
        let schema = match schema["$ref"].as_str() {
            Some(reference) => document
                .pointer(reference.strip_prefix('#').unwrap())
                .unwrap(),
            None => schema,
        };
        let frames = schema["oneOf"].as_array().unwrap();
        for kind in kinds {
            assert!(
                frames
                    .iter()
                    .any(|frame| frame["properties"]["event"]["enum"] == json!([kind])),
                "{path} declares {kind}"
            );
        }
        for frame in frames {
            assert_eq!(
                frame["properties"]["data"]["contentMediaType"],
                "application/json"
            );
            assert!(
                frame["properties"]["data"]["contentSchema"].is_object(),
                "{frame}"
            );
        }
    }
    app.finish().await;
}

/// The document is the same on every backend: one is enough.
async fn sqlite_app() -> TestApp {
    TestApp::start(samtale_testkit::sqlite_test_database().await).await
}

fn collect_references(value: &Value, references: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(reference)) => references.push(reference.clone()),
                    _ => collect_references(value, references),
                }
            }
        }
        Value::Array(values) => values
            .iter()
            .for_each(|v| collect_references(v, references)),
        _ => {}
    }
}
