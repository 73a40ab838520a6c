//! Seen: the customer sees how far the agent has read (their lines up to it are seen), and
//! the agent sees whether the customer has the chat open, and when they last had.

use samtale_testkit::app::TestApp;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn the_customer_sees_what_the_agent_read_and_the_agent_sees_the_customer_there() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let kari = &centre.kari.token;
        let (chat, customer) = app.picked_up_chat(&centre.billing, "Kunde", kari).await;
        let status = format!("/customer/chats/{chat}");
        for text in ["Hei", "Er du der?"] {
            app.post_ok(
                &format!("{status}/messages"),
                &customer,
                json!({"text": text}),
            )
            .await;
        }
        let before = app.get_ok(&status, &customer).await;
        assert_eq!(
            before["read_up_to"], 0,
            "{}: nothing read yet: {before}",
            app.backend
        );
        assert!(
            before.get("customer_seen_at").is_none(),
            "staff only: {before}"
        );
        let staff_view = app.get_ok(&format!("/chats/{chat}"), kari).await;
        assert_eq!(
            staff_view["customer_online"], false,
            "{}: {staff_view}",
            app.backend
        );

        // The widget's stream is open: the agent sees her there.
        let mut stream = app
            .stream(&format!("{status}/events"), &customer, None)
            .await;
        let online = app
            .eventually(&format!("/chats/{chat}"), kari, |c| {
                c["customer_online"] == true
            })
            .await;
        assert_eq!(online["customer_online"], true, "{}: {online}", app.backend);
        assert!(online["customer_seen_at"].is_string());

        // Kari reads both; the customer's stream says so, and so does her view.
        app.post_ok(&format!("/chats/{chat}/read"), kari, json!({"up_to": 2}))
            .await;
        let mut marker = None;
        while let Some(event) = stream.next(Duration::from_millis(1500)).await {
            if event.event == "MessagesRead" {
                marker = event.data["event"]["MessagesRead"]["up_to"].as_i64();
            }
        }
        assert_eq!(
            marker,
            Some(2),
            "{}: the read marker reaches the customer",
            app.backend
        );
        let after = app.get_ok(&status, &customer).await;
        assert_eq!(after["read_up_to"], 2, "{after}");
        app.finish().await;
    }
}
