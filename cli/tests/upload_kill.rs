//! A server killed with SIGKILL in the middle of an upload leaves no half-announced file: the
//! chat shows nothing of it, and the client's retry with the same key stores and announces it
//! once. Drives the real `samtale` binary on SQLite (and PostgreSQL when configured).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use reqwest::multipart::{Form, Part};
use reqwest::Client;
use serde_json::Value;
use std::time::Duration;
use support::{free_port, transcript_lines, waiting_chat, Server};
use tokio::io::AsyncWriteExt;

const BOUNDARY: &str = "samtale-kill-boundary";

/// A PNG's signature, then 3 MiB: several chunks, most of which never arrive before the kill.
fn picture() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend((0..3 * 1024 * 1024).map(|i| (i % 251) as u8));
    bytes
}

async fn lines_with_files(client: &Client, base: &str, chat: &str, token: &str) -> Vec<Value> {
    transcript_lines(client, base, chat, token)
        .await
        .into_iter()
        .filter(|line| !line["attachment_id"].is_null())
        .collect()
}

async fn scenario(database: &samtale_testkit::TestDatabase) {
    let port = free_port();
    let mut server = Server::start(database, port).await;
    let client = Client::new();
    let (chat, token) = waiting_chat(&client, &server.base()).await;
    let file = picture();

    // The upload starts: a third of the file is sent, then the server dies under it.
    let mut part = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"skjerm.png\"\r\n\
         Content-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    part.extend_from_slice(&file);
    part.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let mut upload = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let head = format!(
        "POST /api/v1/customer/chats/{chat}/attachments HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Authorization: Bearer {token}\r\nIdempotency-Key: skjerm-1\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Content-Length: {}\r\n\r\n",
        part.len()
    );
    upload.write_all(head.as_bytes()).await.unwrap();
    upload.write_all(&part[..part.len() / 3]).await.unwrap();
    upload.flush().await.unwrap();
    // Long enough for the server to have sealed and stored the chunks it has.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill();
    drop(upload);

    let server = Server::start(database, port).await;
    assert!(
        lines_with_files(&client, &server.base(), &chat, &token)
            .await
            .is_empty(),
        "nothing of the cut-off upload is announced"
    );

    // The client sends it again with the same key: one file, whole.
    let send = || {
        let form = Form::new().part("file", Part::bytes(file.clone()).file_name("skjerm.png"));
        client
            .post(format!(
                "{}/customer/chats/{chat}/attachments",
                server.base()
            ))
            .bearer_auth(&token)
            .header("Idempotency-Key", "skjerm-1")
            .multipart(form)
            .send()
    };
    let sent = send().await.unwrap();
    assert_eq!(sent.status(), 201, "the retry is taken");
    let line: Value = sent.json().await.unwrap();
    assert_eq!(
        send().await.unwrap().status(),
        201,
        "and its retry answers the same"
    );
    let files = lines_with_files(&client, &server.base(), &chat, &token).await;
    assert_eq!(files.len(), 1, "one file: {files:?}");
    let got = client
        .get(format!(
            "{}/customer/chats/{chat}/attachments/{}",
            server.base(),
            line["attachment_id"].as_str().unwrap()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(got.as_ref() == file.as_slice(), "the file is whole");
}

#[tokio::test]
async fn a_server_killed_during_an_upload_leaves_no_half_announced_file_on_sqlite() {
    scenario(&samtale_testkit::sqlite_test_database().await).await;
}

#[tokio::test]
#[cfg_attr(
    not(samtale_test_postgres),
    ignore = "needs PostgreSQL: set SAMTALE_TEST_POSTGRES_URL"
)]
async fn a_server_killed_during_an_upload_leaves_no_half_announced_file_on_postgres() {
    let postgres = samtale_testkit::required_postgres_test_database().await;
    scenario(&postgres).await;
    postgres.drop_schema().await;
}
