//! Keeping the directory: queues and categories renamed (in both languages), moved and
//! removed; the form reordered; the widget told, before a chat starts, whether anyone is
//! logged in.

use samtale_testkit::app::{slug, TestApp};
use serde_json::{json, Value};

fn find<'a>(list: &'a Value, key: &str, id: &str) -> Option<&'a Value> {
    list.as_array()?.iter().find(|item| item[key] == id)
}

/// An administrator's request: its status and JSON body (null when it has none).
async fn admin_call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let request = app.request(method, path, &app.admin);
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

async fn put(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    admin_call(app, reqwest::Method::PUT, path, Some(body)).await
}

async fn delete(app: &TestApp, path: &str) -> (u16, Value) {
    admin_call(app, reqwest::Method::DELETE, path, None).await
}

/// A customer starts a chat in `category` with these answers: the status.
async fn start_with(app: &TestApp, category: &str, fields: Value) -> u16 {
    let body = json!({"category_id": category, "name": "Emma", "fields": fields});
    app.post("/customer/chats", "", body)
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_queue_is_renamed_in_both_languages_and_keeps_its_name_its_own() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let path = format!("/queues/{}/name", centre.support);
        let (status, renamed) = put(
            &app,
            &path,
            json!({"name": "Kundeservice", "name_en": "Customer service"}),
        )
        .await;
        assert_eq!(status, 200, "{}: {renamed}", app.backend);
        assert_eq!(
            (&renamed["name"], &renamed["name_en"]),
            (&json!("Kundeservice"), &json!("Customer service"))
        );
        let config = app.get_ok("/widget/config", "").await;
        let listed = find(&config["queues"], "queue_id", &centre.support).unwrap();
        assert_eq!(listed["name_en"], "Customer service", "{config}");

        // Another queue's name is refused and changes nothing; so is a blank English name.
        let (status, taken) = put(&app, &path, json!({"name": "Sales", "name_en": null})).await;
        assert_eq!((status, slug(&taken)), (409, "name-taken"), "{taken}");
        let (status, blank) =
            put(&app, &path, json!({"name": "Kundeservice", "name_en": " "})).await;
        assert_eq!(status, 422, "{blank}");
        assert_eq!(blank["errors"][0]["key"], "name_en", "{blank}");
        let settings = app
            .get_ok(&format!("/queues/{}", centre.support), &app.admin)
            .await;
        assert_eq!(
            (&settings["name"], &settings["name_en"]),
            (&json!("Kundeservice"), &json!("Customer service"))
        );
        let (status, _) = put(
            &app,
            &format!("/queues/{}/name", uuid::Uuid::now_v7()),
            json!({"name": "Nowhere", "name_en": null}),
        )
        .await;
        assert_eq!(status, 404);
        // Only administrators rename.
        let response = app
            .request(reqwest::Method::PUT, &path, &centre.siri.token)
            .json(&json!({"name": "Siri's", "name_en": null}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_queue_goes_only_once_nothing_needs_it() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let support = format!("/queues/{}", centre.support);
        let kari = centre.kari.token.clone();
        let (chat, _) = app.start_chat(&centre.billing, "Nora").await;
        let refused_for = |why: &'static str| {
            let (app, support) = (&app, &support);
            async move {
                let (status, refused) = delete(app, support).await;
                assert_eq!(
                    (status, slug(&refused)),
                    (409, "queue-in-use"),
                    "{}: {refused}",
                    app.backend
                );
                let detail = refused["detail"].as_str().unwrap_or_default().to_string();
                assert!(detail.contains(why), "{why}: {detail}");
            }
        };
        // Nora waits in Support.
        refused_for("open chats (1)").await;
        app.post_ok(&format!("/chats/{chat}/pickup"), &kari, json!({}))
            .await;
        refused_for("open chats (1)").await;
        app.post_ok(&format!("/chats/{chat}/end"), &kari, json!({}))
            .await;
        // Billing still leads to Support.
        refused_for("categories").await;
        let (status, moved) = put(
            &app,
            &format!("/categories/{}", centre.billing),
            json!({"name": "Billing", "name_en": "Invoices", "queue_id": centre.sales}),
        )
        .await;
        assert_eq!(status, 200, "{moved}");
        assert_eq!(
            (&moved["queue_id"], &moved["name_en"]),
            (&json!(centre.sales), &json!("Invoices"))
        );
        // Sales overflowing to Support holds it too.
        let sales = format!("/queues/{}", centre.sales);
        let overflow =
            json!({"no_agent_notice_after_seconds": 60, "overflow_queue_id": centre.support});
        assert_eq!(app.patch(&sales, &app.admin, overflow).await.status(), 200);
        refused_for("overflows").await;
        let none = json!({"no_agent_notice_after_seconds": null, "overflow_queue_id": null});
        assert_eq!(app.patch(&sales, &app.admin, none).await.status(), 200);

        let (status, gone) = delete(&app, &support).await;
        assert_eq!(status, 204, "{gone}");
        let config = app.get_ok("/widget/config", "").await;
        assert!(
            find(&config["queues"], "queue_id", &centre.support).is_none(),
            "{config}"
        );
        assert_eq!(app.get(&support, &app.admin).await.status(), 404);
        assert_eq!(delete(&app, &support).await.0, 404);
        let board = app.get_ok("/queues", &centre.siri.token).await;
        assert!(
            find(&board, "queue_id", &centre.support).is_none(),
            "{board}"
        );
        // Nothing new reaches it; its chat's history keeps it.
        let (chat_in_sales, _) = app.start_chat(&centre.offers, "Per").await;
        let ola = centre.ola.token.clone();
        app.post_ok(&format!("/chats/{chat_in_sales}/pickup"), &ola, json!({}))
            .await;
        let transfer = app
            .post(
                &format!("/chats/{chat_in_sales}/transfer"),
                &ola,
                json!({"queue_id": centre.support}),
            )
            .await;
        assert_eq!(transfer.status(), 422);
        let category = app
            .post(
                "/categories",
                &app.admin,
                json!({"name": "Old", "queue_id": centre.support}),
            )
            .await;
        assert_eq!(category.status(), 404);
        let ended = app
            .get_ok(&format!("/chats/{chat}"), &centre.siri.token)
            .await;
        assert_eq!(ended["queue_id"], centre.support.as_str(), "{ended}");
        app.finish().await;
    }
}

#[tokio::test]
async fn a_removed_category_leaves_the_widget_but_not_its_chats() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (chat, _) = app.start_chat(&centre.offers, "Nora").await;
        let offers = format!("/categories/{}", centre.offers);

        let (status, _) = put(
            &app,
            &offers,
            json!({"name": "Offers", "name_en": null, "queue_id": uuid::Uuid::now_v7()}),
        )
        .await;
        assert_eq!(status, 422, "an unknown queue is the body's fault");
        let (status, taken) = put(
            &app,
            &offers,
            json!({"name": "Billing", "name_en": null, "queue_id": centre.sales}),
        )
        .await;
        assert_eq!((status, slug(&taken)), (409, "name-taken"));

        assert_eq!(delete(&app, &offers).await.0, 204, "{}", app.backend);
        assert_eq!(delete(&app, &offers).await.0, 404);
        let config = app.get_ok("/widget/config", "").await;
        assert!(find(&config["categories"], "category_id", &centre.offers).is_none());
        let fields = json!({"email": "sen@example.no"});
        assert_eq!(start_with(&app, &centre.offers, fields).await, 422);
        let waiting = app.get_ok("/chats/waiting", &centre.siri.token).await;
        let row = find(&waiting, "chat_id", &chat).unwrap();
        assert_eq!(row["category_name"], "Offers", "{waiting}");
        app.finish().await;
    }
}

#[tokio::test]
async fn the_form_is_reordered_and_speaks_english() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        app.post_ok(
            "/form-fields",
            &app.admin,
            json!({"key": "product", "label": "Produkt", "label_en": "Product", "kind": "select",
                   "options": ["Mobil", "Bredbånd"], "options_en": ["Mobile", "Broadband"]}),
        )
        .await;
        let mismatched = app
            .post(
                "/form-fields",
                &app.admin,
                json!({"key": "plan", "label": "Plan", "kind": "select",
                       "options": ["Liten", "Stor"], "options_en": ["Small"]}),
            )
            .await;
        assert_eq!(mismatched.status(), 422, "{}", app.backend);

        let (status, fields) = put(
            &app,
            "/form-fields/order",
            json!({"keys": ["product", "email"]}),
        )
        .await;
        assert_eq!(status, 200, "{fields}");
        let keys = |fields: &Value| -> Vec<String> {
            fields
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["key"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(keys(&fields), ["product", "email"]);
        let config = app.get_ok("/widget/config", "").await;
        assert_eq!(keys(&config["fields"]), ["product", "email"]);
        assert_eq!(
            config["fields"][0]["options_en"],
            json!(["Mobile", "Broadband"])
        );

        for wrong in [
            json!(["product"]),
            json!(["product", "product"]),
            json!(["product", "email", "x"]),
        ] {
            let (status, refused) = put(&app, "/form-fields/order", json!({"keys": wrong})).await;
            assert_eq!(status, 422, "{wrong}: {refused}");
            assert_eq!(refused["errors"][0]["key"], "keys");
        }
        // The English words are shown, not taken: the answer is the option itself.
        let answer = |product: &str| json!({"email": "emma@example.com", "product": product});
        assert_eq!(
            start_with(&app, &centre.billing, answer("Bredbånd")).await,
            201
        );
        assert_eq!(
            start_with(&app, &centre.billing, answer("Broadband")).await,
            422
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn the_widget_knows_before_a_chat_whether_anyone_is_logged_in() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let staffed = |config: &Value| {
            find(&config["queues"], "queue_id", &centre.support).unwrap()["agents_logged_in"]
                .clone()
        };
        let config = app.get_ok("/widget/config", "").await;
        assert_eq!(staffed(&config), false, "{}: {config}", app.backend);
        app.post_ok(
            "/me/presence",
            &centre.kari.token,
            json!({"logged_in": true}),
        )
        .await;
        let config = app
            .eventually("/widget/config", "", |config| staffed(config) == true)
            .await;
        assert_eq!(staffed(&config), true, "{config}");
        let sales = find(&config["queues"], "queue_id", &centre.sales).unwrap();
        assert_eq!(sales["agents_logged_in"], false, "ola is not logged in");
        app.finish().await;
    }
}

#[tokio::test]
async fn a_removed_queue_keeps_its_retention_for_the_chats_that_ended_there() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let support = format!("/queues/{}", centre.support);
        let one_day = json!({"transcript_retention_days": 1});
        assert_eq!(app.patch(&support, &app.admin, one_day).await.status(), 200);
        let kari = centre.kari.token.clone();
        let (chat, _) = app.picked_up_chat(&centre.billing, "Nora", &kari).await;
        app.post_ok(&format!("/chats/{chat}/end"), &kari, json!({}))
            .await;
        let to_sales = json!({"name": "Billing", "name_en": null, "queue_id": centre.sales});
        let category = format!("/categories/{}", centre.billing);
        assert_eq!(put(&app, &category, to_sales).await.0, 200);
        assert_eq!(delete(&app, &support).await.0, 204, "{}", app.backend);

        let in_two_days = chrono::Utc::now() + chrono::Duration::days(2);
        let erased =
            samtale_service::transcript_retention::erase_expired(&app.app.state, in_two_days)
                .await
                .unwrap();
        assert_eq!(erased, Some(1), "{}", app.backend);
        let view = app.get_ok(&format!("/chats/{chat}"), &app.admin).await;
        assert_eq!(view["erased"], true, "{view}");
        app.finish().await;
    }
}

#[tokio::test]
async fn the_demo_does_not_bring_back_what_an_administrator_removed() {
    for app in TestApp::each_backend_with(|config| config.demo = true).await {
        let config = app.get_ok("/widget/config", "").await;
        let named = |list: &Value, name: &str| find(list, "name", name).cloned();
        let private = named(&config["queues"], "Privat").expect("the demo's queue");
        assert_eq!(private["name_en"], "Personal");
        for category in ["Mobil", "Bredbånd"] {
            let id = named(&config["categories"], category).unwrap()["category_id"].clone();
            let (status, _) = delete(&app, &format!("/categories/{}", id.as_str().unwrap())).await;
            assert_eq!(status, 204, "{}: {category}", app.backend);
        }
        let queue = format!("/queues/{}", private["queue_id"].as_str().unwrap());
        assert_eq!(delete(&app, &queue).await.0, 204);

        // As at the next start of `serve --demo`.
        samtale_service::bootstrap::seed_demo(&app.app.state)
            .await
            .unwrap();
        let config = app.get_ok("/widget/config", "").await;
        assert!(named(&config["queues"], "Privat").is_none(), "{config}");
        assert!(named(&config["categories"], "Mobil").is_none(), "{config}");
        assert!(named(&config["queues"], "Bedrift").is_some(), "{config}");
        app.finish().await;
    }
}
