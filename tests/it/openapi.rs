//! The OpenAPI document: public, 3.1, and covering every route of the API.

use samtale_tests::TestApp;
use serde_json::{json, Value};

/// Every route of `api/src/http/mod.rs` under `/api/v1` but the document itself. A route
/// added there belongs here too, and in the document through its `#[utoipa::path]`.
const ROUTES: &[(&str, &str)] = &[
    ("post", "/auth/login"),
    ("post", "/auth/logout"),
    ("get", "/me"),
    ("post", "/me/presence"),
    ("get", "/me/presence"),
    ("get", "/queues/{id}/agents"),
    ("get", "/chats/{id}/audit"),
    ("get", "/reports/{kind}"),
    ("get", "/agents/{id}/activity"),
    ("get", "/board"),
    ("get", "/me/chats"),
    ("post", "/users"),
    ("get", "/users"),
    ("patch", "/users/{id}"),
    ("post", "/queues"),
    ("get", "/queues"),
    ("patch", "/queues/{id}"),
    ("post", "/queues/{id}/members"),
    ("delete", "/queues/{id}/members/{user_id}"),
    ("post", "/queues/{id}/agents/{user_id}/presence"),
    ("post", "/categories"),
    ("get", "/categories"),
    ("post", "/form-fields"),
    ("get", "/form-fields"),
    ("delete", "/form-fields/{key}"),
    ("get", "/chats/waiting"),
    ("get", "/chats/history"),
    ("get", "/chats/{id}"),
    ("post", "/chats/{id}/pickup"),
    ("post", "/chats/{id}/messages"),
    ("post", "/chats/{id}/read"),
    ("post", "/chats/{id}/transfer"),
    ("post", "/chats/{id}/end"),
    ("get", "/events"),
    ("get", "/widget/config"),
    ("post", "/customer/chats"),
    ("get", "/customer/chats/{id}"),
    ("post", "/customer/chats/{id}/messages"),
    ("post", "/customer/chats/{id}/close"),
    ("get", "/customer/chats/{id}/events"),
];

#[tokio::test]
async fn the_document_describes_every_route() {
    for app in TestApp::each_backend().await {
        let document = app.get_ok("/openapi.json", "").await;
        let version = document["openapi"].as_str().unwrap();
        assert!(version.starts_with("3.1"), "openapi {version}");

        let undocumented: Vec<_> = ROUTES
            .iter()
            .filter(|(method, path)| document["paths"][format!("/api/v1{path}")][method].is_null())
            .collect();
        assert!(undocumented.is_empty(), "undocumented: {undocumented:?}");

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
