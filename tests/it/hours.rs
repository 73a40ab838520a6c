//! Opening hours: outside its queue's hours a chat cannot be started and the widget is told
//! when the queue opens; a change of hours holds on every node at once.

use chrono::{Duration, Utc};
use samtale_testkit::app::TestApp;
use serde_json::{json, Value};

/// Closed today; open tomorrow (UTC) from 08:00 to 16:00; the opening, as the API writes it.
fn open_tomorrow_only() -> (Value, String) {
    let tomorrow = (Utc::now() + Duration::days(1)).date_naive();
    let hours = json!({
        "time_zone": "UTC",
        "weekly": {},
        "exceptions": [{"date": tomorrow.to_string(), "spans": [{"from": "08:00", "to": "16:00"}]}],
    });
    (hours, format!("{tomorrow}T08:00:00.000000Z"))
}

fn queue_in(config: &Value, queue: &str) -> Value {
    config["queues"]
        .as_array()
        .and_then(|queues| queues.iter().find(|q| q["queue_id"] == queue))
        .cloned()
        .unwrap_or_default()
}

async fn start(app: &TestApp, base: &str, category: &str) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{base}/customer/chats"))
        .json(
            &json!({"category_id": category, "name": "Sen", "fields": {"email": "sen@example.no"}}),
        )
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test]
async fn outside_its_hours_a_queue_takes_no_chat_and_says_when_it_opens() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (hours, opening) = open_tomorrow_only();
        let queue = format!("/queues/{}", centre.support);
        let set = app
            .patch(&queue, &app.admin, json!({"opening_hours": hours}))
            .await;
        assert_eq!(set.status(), 200, "{}", app.backend);
        let settings = app.get_ok(&queue, &centre.siri.token).await;
        assert_eq!(settings["opening_hours"]["time_zone"], "UTC", "{settings}");

        let config = app.get_ok("/widget/config", "").await;
        let support = queue_in(&config, &centre.support);
        assert_eq!(support["open"], false, "{}: {config}", app.backend);
        assert_eq!(support["opens_at"], opening.as_str());
        let sales = queue_in(&config, &centre.sales);
        assert_eq!(
            (sales["open"].clone(), sales["opens_at"].clone()),
            (json!(true), Value::Null)
        );

        let base = app.base.clone();
        let (status, closed) = start(&app, &base, &centre.billing).await;
        assert_eq!(status, 409, "{}: {closed}", app.backend);
        assert!(closed["type"]
            .as_str()
            .unwrap_or_default()
            .ends_with("queue-closed"));
        assert!(closed["detail"]
            .as_str()
            .unwrap_or_default()
            .contains(&opening));
        let (status, _) = start(&app, &base, &centre.offers).await;
        assert_eq!(status, 201, "{}: Sales keeps no hours", app.backend);

        // Bad hours are refused and change nothing.
        let mars = json!({"time_zone": "Mars/Olympus", "weekly": {}});
        let refused = app
            .patch(&queue, &app.admin, json!({"opening_hours": mars}))
            .await;
        assert_eq!(refused.status(), 422, "{}", app.backend);
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(problem["errors"][0]["key"], "opening_hours", "{problem}");
        let overlapping = json!({"time_zone": "Europe/Oslo", "weekly": {"mon": [
            {"from": "08:00", "to": "12:00"}, {"from": "11:00", "to": "15:00"}]}});
        let refused = app
            .patch(&queue, &app.admin, json!({"opening_hours": overlapping}))
            .await;
        assert_eq!(refused.status(), 422, "{}", app.backend);
        let kept = app.get_ok(&queue, &centre.siri.token).await;
        assert_eq!(kept["opening_hours"], settings["opening_hours"]);

        // Other settings leave the hours as they are; `null` opens the queue for good.
        app.patch(&queue, &app.admin, json!({"service_level_seconds": 30}))
            .await;
        let still = app.get_ok("/widget/config", "").await;
        assert_eq!(queue_in(&still, &centre.support)["open"], false);
        app.patch(&queue, &app.admin, json!({"opening_hours": null}))
            .await;
        let (status, _) = start(&app, &base, &centre.billing).await;
        assert_eq!(status, 201, "{}", app.backend);
        app.finish().await;
    }
}

#[tokio::test]
#[cfg_attr(
    not(samtale_test_postgres),
    ignore = "needs PostgreSQL: set SAMTALE_TEST_POSTGRES_URL"
)]
async fn a_change_of_hours_holds_on_every_node() {
    let app = TestApp::shared_backend().await;
    let centre = app.centre().await;
    let (_node_b, base_b) = app.second_node().await;
    let (hours, _) = open_tomorrow_only();
    let queue = format!("/queues/{}", centre.support);
    app.patch(&queue, &app.admin, json!({"opening_hours": hours}))
        .await;
    let (status, _) = start(&app, &base_b, &centre.billing).await;
    assert_eq!(status, 409, "node B knows the queue is closed");
    app.patch(&queue, &app.admin, json!({"opening_hours": null}))
        .await;
    let (status, _) = start(&app, &base_b, &centre.billing).await;
    assert_eq!(status, 201, "and that it opened");
    app.finish().await;
}
