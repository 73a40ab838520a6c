//! Messages left for a queue: the customer leaves name, address and words; those who work the
//! queue see them and answer once; the answer goes out by e-mail through a real SMTP server
//! (Python's `aiosmtpd`, named by `SAMTALE_TEST_SMTP`), below the customer's words.

use crate::mail::SmtpServer;
use samtale_testkit::app::{slug, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

fn leave(queue: &str, text: &str) -> Value {
    json!({"queue_id": queue, "name": "Kari Nordmann", "email": "Kari@Example.no", "text": text})
}

async fn refused(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, String) {
    let response = app.post(path, token, body).await;
    let status = response.status().as_u16();
    let problem: Value = response.json().await.unwrap_or_default();
    (status, slug(&problem).to_string())
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .map(|l| l.iter().filter_map(|m| m["chat_id"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
#[cfg_attr(
    not(samtale_test_smtp),
    ignore = "needs aiosmtpd: set SAMTALE_TEST_SMTP to a Python that has it"
)]
async fn a_left_message_is_answered_once_by_its_queue_and_the_answer_is_mailed() {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    for app in TestApp::each_backend_with(|c| c.mail.smtp_url = Some(url.clone())).await {
        let before = smtp.delivered().len();
        let centre = app.centre().await;
        let (kari, ola) = (&centre.kari.token, &centre.ola.token);
        // Kari is logged in to Support: a left message is still never routed to her.
        app.post_ok("/me/presence", kari, json!({"logged_in": true}))
            .await;

        // Bad input is refused and leaves nothing.
        let events = app.event_count().await;
        for (body, field) in [
            (
                json!({"queue_id": centre.support, "name": "K", "email": "nope", "text": "hei"}),
                "email",
            ),
            (
                json!({"queue_id": centre.support, "name": "K", "email": "k@example.no", "text": "  "}),
                "text",
            ),
            (
                json!({"queue_id": centre.support, "category_id": centre.billing, "name": "K", "email": "k@example.no", "text": "hei"}),
                "queue_id",
            ),
        ] {
            let response = app.post("/customer/left-messages", "", body).await;
            assert_eq!(response.status(), 422, "{}: {field}", app.backend);
            let problem: Value = response.json().await.unwrap();
            assert_eq!(problem["errors"][0]["key"], field, "{problem}");
        }
        assert_eq!(app.event_count().await, events, "{}", app.backend);

        let words = format!("Ring meg om fakturaen, {}", app.backend);
        let left = app
            .post_ok(
                "/customer/left-messages",
                "",
                leave(&centre.support, &words),
            )
            .await;
        let chat = left["chat_id"].as_str().unwrap().to_string();
        let customer = left["customer_token"].as_str().unwrap().to_string();

        let waiting = app.get_ok("/left-messages", kari).await;
        assert_eq!(ids(&waiting), [chat.as_str()], "{}: {waiting}", app.backend);
        assert_eq!(waiting[0]["email"], "kari@example.no");
        assert_eq!(waiting[0]["text"], words.as_str());
        assert!(waiting[0]["answered_at"].is_null());
        // Not in any queue, not anyone's chat, and not Sales' business.
        let incoming = app.get_ok("/chats/waiting", kari).await;
        assert!(!incoming.to_string().contains(&chat), "{incoming}");
        let mine = app.get_ok("/me/chats", kari).await;
        assert!(!mine.to_string().contains(&chat), "{mine}");
        assert!(ids(&app.get_ok("/left-messages", ola).await).is_empty());
        let answer_path = format!("/left-messages/{chat}/answer");
        assert_eq!(
            refused(&app, &answer_path, ola, json!({"text": "Hei"})).await,
            (404, "not-found".into()),
            "{}",
            app.backend
        );
        // The customer's token does not reopen it as a chat.
        assert_eq!(
            refused(
                &app,
                &format!("/customer/chats/{chat}/messages"),
                &customer,
                json!({"text": "Hallo?"})
            )
            .await,
            (409, "chat-closed".into())
        );

        // Kari answers; a retry with the same key is the same answer, not a second one.
        let answer = |key: &'static str| {
            app.request(reqwest::Method::POST, &answer_path, kari)
                .header("Idempotency-Key", key)
                .json(&json!({"text": "Vi ringer deg i morgen kl. 10."}))
                .send()
        };
        let first: Value = answer("svar-1").await.unwrap().json().await.unwrap();
        assert_eq!(first["answer"], "Vi ringer deg i morgen kl. 10.", "{first}");
        assert_eq!(first["answered_by"], centre.kari.user_id.as_str());
        let retry = answer("svar-1").await.unwrap();
        assert_eq!(retry.status(), 200, "{}", app.backend);
        assert_eq!(
            refused(&app, &answer_path, kari, json!({"text": "Igjen"})).await,
            (409, "not-a-left-message".into())
        );
        assert!(ids(&app.get_ok("/left-messages", kari).await).is_empty());
        let answered = app.get_ok("/left-messages?answered=true", kari).await;
        assert_eq!(ids(&answered), [chat.as_str()], "{answered}");

        // Mailed once, her words above the answer.
        let mailed = |m: &Value| m[0]["mailed_at"].is_string();
        let answered = app
            .eventually("/left-messages?answered=true", kari, mailed)
            .await;
        assert!(mailed(&answered), "{}: {answered}", app.backend);
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let mails = smtp.delivered();
        assert_eq!(mails.len(), before + 1, "{}: {mails:?}", app.backend);
        let mail = mails.iter().find(|m| m.contains(&words)).expect("the mail");
        assert!(mail.contains("To: kari@example.no"), "{mail}");
        assert!(mail.contains("The answer to your message"), "{mail}");
        assert!(mail.contains("Vi ringer deg i morgen"), "{mail}");

        // The reports count it where it was left, with its answer.
        let period = "from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z";
        let report = app
            .get_ok(&format!("/reports/queues?{period}"), &app.admin)
            .await;
        let support: Vec<&Value> = report
            .as_array()
            .unwrap()
            .iter()
            .filter(|row| row["queue_id"] == centre.support.as_str())
            .collect();
        let sum = |field: &str| {
            support
                .iter()
                .map(|r| r[field].as_i64().unwrap())
                .sum::<i64>()
        };
        assert_eq!(
            (sum("left_messages"), sum("left_answered")),
            (1, 1),
            "{report}"
        );
        assert_eq!(
            sum("offered"),
            0,
            "a left message is not a chat offered: {report}"
        );

        // The customer may delete it, as a chat: her words and address are gone.
        let erase = app
            .post(
                &format!("/customer/chats/{chat}/erase"),
                &customer,
                json!({}),
            )
            .await;
        assert_eq!(erase.status(), 204, "{}", app.backend);
        let erased = app.get_ok("/left-messages?answered=true", kari).await;
        assert!(erased[0]["erased_at"].is_string(), "{erased}");
        assert_eq!(
            (erased[0]["text"].as_str(), erased[0]["email"].as_str()),
            (Some(""), Some(""))
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn without_mail_no_message_can_be_left() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let events = app.event_count().await;
        assert_eq!(
            refused(
                &app,
                "/customer/left-messages",
                "",
                leave(&centre.support, "hei")
            )
            .await,
            (409, "transcripts-off".into()),
            "{}",
            app.backend
        );
        assert_eq!(app.event_count().await, events);
        app.finish().await;
    }
}

#[tokio::test]
#[cfg_attr(
    not(samtale_test_smtp),
    ignore = "needs aiosmtpd: set SAMTALE_TEST_SMTP to a Python that has it"
)]
async fn a_message_nobody_answers_is_kept_no_longer_than_a_chat_and_its_address_stays_put() {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    for app in TestApp::each_backend_with(|c| c.mail.smtp_url = Some(url.clone())).await {
        let centre = app.centre().await;
        app.patch(
            &format!("/queues/{}", centre.support),
            &app.admin,
            json!({"transcript_retention_days": 1}),
        )
        .await;
        let left = app
            .post_ok("/customer/left-messages", "", leave(&centre.support, "Hei"))
            .await;
        let chat = left["chat_id"].as_str().unwrap().to_string();
        let customer = left["customer_token"].as_str().unwrap().to_string();
        // The answer goes where the message was left from: the token cannot redirect it.
        let redirect = app
            .post(
                &format!("/customer/chats/{chat}/transcript"),
                &customer,
                json!({"email": "victim@example.org"}),
            )
            .await;
        assert_eq!(redirect.status(), 422, "{}", app.backend);
        let waiting = app.get_ok("/left-messages", &centre.kari.token).await;
        assert_eq!(waiting[0]["email"], "kari@example.no", "{waiting}");

        let node = &app.app.state;
        let in_two_days = chrono::Utc::now() + chrono::Duration::days(2);
        let erased = samtale_service::transcript_retention::erase_expired(node, in_two_days)
            .await
            .unwrap();
        assert_eq!(
            erased,
            Some(1),
            "{}: the unanswered message expired",
            app.backend
        );
        let gone = app.get_ok("/left-messages", &centre.kari.token).await;
        assert!(gone[0]["erased_at"].is_string(), "{gone}");
        assert_eq!(
            (gone[0]["text"].as_str(), gone[0]["email"].as_str()),
            (Some(""), Some(""))
        );
        app.finish().await;
    }
}
