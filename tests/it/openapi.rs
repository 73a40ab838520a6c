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
