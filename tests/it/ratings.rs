//! Satisfaction: the customer rates a chat an agent answered, once it has ended (1-5, and a
//! comment only staff read), and the reports give CSAT per day, queue and agent.

use samtale_testkit::app::{slug, TestApp};
use serde_json::{json, Value};

async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test]
async fn a_customer_rates_the_chat_once_it_has_ended_and_the_reports_give_csat() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let kari = &centre.kari.token;
        let (chat, customer) = app.picked_up_chat(&centre.billing, "Fornøyd", kari).await;
        let rating = format!("/customer/chats/{chat}/rating");
        let (status, open) = answer(app.post(&rating, &customer, json!({"score": 5})).await).await;
        assert_eq!(
            (status, slug(&open)),
            (409, "chat-not-ended"),
            "{}",
            app.backend
        );
        app.post_ok(&format!("/chats/{chat}/end"), kari, json!({}))
            .await;

        for bad in [
            json!({"score": 0}),
            json!({"score": 6}),
            json!({"score": "five"}),
        ] {
            let (status, _) = answer(app.post(&rating, &customer, bad.clone()).await).await;
            assert_eq!(status, 422, "{}: {bad}", app.backend);
        }
        let comment = "Rask og hyggelig hjelp";
        let rated = app
            .post_ok(&rating, &customer, json!({"score": 5, "comment": comment}))
            .await;
        assert_eq!(rated["rating"], 5, "{}: {rated}", app.backend);
        assert!(rated.get("rating_comment").is_none(), "staff only: {rated}");
        let again = app
            .post_ok(&rating, &customer, json!({"score": 5, "comment": comment}))
            .await;
        assert_eq!(again["rating"], 5, "{}: a retry answers alike", app.backend);
        let (status, other) = answer(app.post(&rating, &customer, json!({"score": 1})).await).await;
        assert_eq!(
            (status, slug(&other)),
            (409, "chat-rated"),
            "{}",
            app.backend
        );
        let seen = app
            .get_ok(&format!("/chats/{chat}"), &centre.siri.token)
            .await;
        assert_eq!(seen["rating"], 5);
        assert_eq!(seen["rating_comment"], comment, "{}", app.backend);

        // Another customer's token cannot rate it; an abandoned chat has nothing to rate.
        let (left, stranger) = app.start_chat(&centre.billing, "Gikk").await;
        let (status, _) = answer(app.post(&rating, &stranger, json!({"score": 1})).await).await;
        assert_eq!(status, 404, "{}", app.backend);
        app.post_ok(
            &format!("/customer/chats/{left}/close"),
            &stranger,
            json!({}),
        )
        .await;
        let (status, unanswered) = answer(
            app.post(
                &format!("/customer/chats/{left}/rating"),
                &stranger,
                json!({"score": 1}),
            )
            .await,
        )
        .await;
        assert_eq!(
            (status, slug(&unanswered)),
            (409, "chat-not-answered"),
            "{}",
            app.backend
        );

        let (second, its_customer) = app
            .picked_up_chat(&centre.billing, "Misfornøyd", kari)
            .await;
        app.post_ok(&format!("/chats/{second}/end"), kari, json!({}))
            .await;
        app.post_ok(
            &format!("/customer/chats/{second}/rating"),
            &its_customer,
            json!({"score": 2}),
        )
        .await;
        let period = "from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z";
        let csat = app
            .get_ok(
                &format!("/reports/satisfaction?{period}"),
                &centre.siri.token,
            )
            .await;
        assert_eq!(
            csat.as_array().map(Vec::len),
            Some(1),
            "{}: {csat}",
            app.backend
        );
        assert_eq!(csat[0]["queue_id"], centre.support.as_str());
        assert_eq!(csat[0]["agent_id"], centre.kari.user_id.as_str());
        assert_eq!(csat[0]["ratings"], 2);
        assert_eq!(csat[0]["average_rating"], 3.5);
        assert_eq!(csat[0]["csat_percent"], 50.0, "{}: {csat}", app.backend);
        let chats = app
            .get_ok(&format!("/reports/chats?{period}"), &centre.siri.token)
            .await;
        let scores: Vec<f64> = chats
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["rating"].as_f64())
            .collect();
        assert_eq!(scores, vec![5.0, 2.0], "{}: {chats}", app.backend);
        app.finish().await;
    }
}
