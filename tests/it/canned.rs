//! Canned responses: supervisors keep them for every queue or one; agents get those that
//! apply to them, with a chat's variables filled in.

use samtale_testkit::app::{slug, TestApp};
use serde_json::{json, Value};

fn shortcuts(list: &Value) -> Vec<&str> {
    list.as_array()
        .map(|l| l.iter().filter_map(|r| r["shortcut"].as_str()).collect())
        .unwrap_or_default()
}

async fn put(app: &TestApp, id: &str, body: Value, token: &str) -> reqwest::Response {
    app.request(
        reqwest::Method::PUT,
        &format!("/canned-responses/{id}"),
        token,
    )
    .json(&body)
    .send()
    .await
    .unwrap()
}

#[tokio::test]
async fn supervisors_keep_canned_responses_and_agents_get_them_filled_in_for_the_chat() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (kari, ola, siri) = (&centre.kari.token, &centre.ola.token, &centre.siri.token);
        let hello = "11111111-1111-4111-8111-111111111111";
        let invoice = "22222222-2222-4222-8222-222222222222";
        let greeting = json!({"title": "Hilsen", "shortcut": "hei",
            "text_nb": "Hei {customer_name}! Jeg heter {agent_name} og svarer for {queue}.",
            "text_en": "Hi {customer_name}, I am {agent_name} of {queue}."});
        assert_eq!(
            put(&app, hello, greeting.clone(), siri).await.status(),
            200,
            "{}",
            app.backend
        );
        let support_only = json!({"queue_id": centre.support, "title": "Faktura",
            "shortcut": "faktura", "text_nb": "Fakturaen finner du under Min side."});
        assert_eq!(put(&app, invoice, support_only, siri).await.status(), 200);

        // Refused, and nothing changes: an agent, an unknown variable, a bad shortcut, a
        // shortcut taken where it applies, an unknown queue.
        let events = app.event_count().await;
        let other = "33333333-3333-4333-8333-333333333333";
        for (body, token, expected) in [
            (greeting.clone(), kari.as_str(), (403, "forbidden")),
            (
                json!({"title": "X", "shortcut": "x", "text_nb": "Hei {kundenavn}"}),
                siri,
                (422, "invalid-input"),
            ),
            (
                json!({"title": "X", "shortcut": "Hei!", "text_nb": "Hei"}),
                siri,
                (422, "invalid-input"),
            ),
            (
                json!({"title": "X", "shortcut": "hei", "text_nb": "Hei igjen"}),
                siri,
                (409, "name-taken"),
            ),
            (
                json!({"queue_id": "44444444-4444-4444-8444-444444444444", "title": "X", "shortcut": "y", "text_nb": "Hei"}),
                siri,
                (422, "invalid-input"),
            ),
        ] {
            let response = put(&app, other, body.clone(), token).await;
            let status = response.status().as_u16();
            let problem: Value = response.json().await.unwrap_or_default();
            assert_eq!(
                (status, slug(&problem)),
                expected,
                "{}: {body}: {problem}",
                app.backend
            );
        }
        assert_eq!(app.event_count().await, events, "{}", app.backend);

        // Kari (Support) gets both; Ola (Sales) only the one for every queue.
        assert_eq!(
            shortcuts(&app.get_ok("/canned-responses", kari).await),
            ["faktura", "hei"]
        );
        assert_eq!(
            shortcuts(&app.get_ok("/canned-responses", ola).await),
            ["hei"]
        );

        let (chat, _) = app
            .picked_up_chat(&centre.billing, "Kari Nordmann", kari)
            .await;
        let filled = app
            .get_ok(&format!("/canned-responses?chat_id={chat}"), kari)
            .await;
        let hei = filled
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["shortcut"] == "hei")
            .unwrap();
        assert_eq!(
            hei["text_nb"], "Hei Kari Nordmann! Jeg heter kari og svarer for Support.",
            "{}: {hei}",
            app.backend
        );
        assert_eq!(hei["text_en"], "Hi Kari Nordmann, I am kari of Support.");
        // Ola may not see Kari's chat, so not its variables either.
        let outsider = app
            .get(&format!("/canned-responses?chat_id={chat}"), ola)
            .await;
        assert_eq!(outsider.status(), 404, "{}", app.backend);

        let removed = app
            .request(
                reqwest::Method::DELETE,
                &format!("/canned-responses/{invoice}"),
                siri,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(removed.status(), 204);
        assert_eq!(
            shortcuts(&app.get_ok("/canned-responses", kari).await),
            ["hei"]
        );
        app.finish().await;
    }
}
