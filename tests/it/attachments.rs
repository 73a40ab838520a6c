//! Files in the chat: both ways, told apart by their bytes, stored under the chat's key, served
//! only as sandboxed downloads to those who may see the chat, once per client id, and erased
//! with the chat. Every refusal leaves nothing stored.

use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, Response, StatusCode};
use samtale_testkit::app::{slug, TestApp};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A real 1×1 PNG.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x04\0\0\0\xb5\x1c\x0c\x02\0\0\0\x0bIDATx\xdacd`\0\0\0\x06\0\x020\x81\xd0/\0\0\0\0IEND\xaeB`\x82";
const PDF: &[u8] =
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

fn form(name: &str, claimed_type: &str, bytes: &[u8]) -> Form {
    let part = Part::bytes(bytes.to_vec())
        .file_name(name.to_string())
        .mime_str(claimed_type)
        .unwrap();
    Form::new().part("file", part)
}

async fn upload(app: &TestApp, path: &str, token: &str, form: Form, key: Option<&str>) -> Response {
    let mut request = app.request(Method::POST, path, token).multipart(form);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.unwrap()
}

async fn stored_rows(app: &TestApp) -> (i64, i64, i64) {
    let db = app.app.state.db.any();
    let count = |table: &'static str| async move {
        sqlx::query_scalar::<_, i64>(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(db)
            .await
            .unwrap()
    };
    (
        count("attachment_uploads").await,
        count("attachment_chunks").await,
        count("attachments").await,
    )
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[tokio::test]
async fn a_screenshot_goes_to_the_agent_and_a_pdf_comes_back() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let kari = &centre.kari.token;
        let (chat, customer) = app.picked_up_chat(&centre.billing, "Nora", kari).await;
        let mut agent_stream = app.stream("/events", kari, None).await;
        let mut customer_stream = app
            .stream(&format!("/customer/chats/{chat}/events"), &customer, None)
            .await;

        // The customer's client calls it a JPEG; its bytes are a PNG, and that is what it is.
        let sent = upload(
            &app,
            &format!("/customer/chats/{chat}/attachments"),
            &customer,
            form("skjermbilde.jpg", "image/jpeg", PNG),
            None,
        )
        .await;
        assert_eq!(sent.status(), StatusCode::CREATED, "{}", app.backend);
        let line: Value = sent.json().await.unwrap();
        assert_eq!(line["file_type"], "image/png", "{line}");
        assert_eq!(line["file_name"], "skjermbilde.jpg");
        assert_eq!(line["file_size"], PNG.len());
        assert_eq!(line["file_sha256"], sha256(PNG));
        assert_eq!(line["author_kind"], "customer");
        let screenshot = line["attachment_id"].as_str().unwrap().to_string();

        // It travels like a message, to the agent.
        let mut heard = false;
        while let Some(event) = agent_stream.next(Duration::from_millis(1500)).await {
            heard |=
                event.event == "AttachmentSent" && event.data.to_string().contains(&screenshot);
        }
        assert!(heard, "{}: the agent is told of the file", app.backend);
        let view = app.get_ok(&format!("/chats/{chat}"), kari).await;
        assert!(view.to_string().contains(&screenshot), "{view}");

        // The agent downloads it: the same bytes, as a sandboxed download of the decided type.
        let got = app
            .get(&format!("/chats/{chat}/attachments/{screenshot}"), kari)
            .await;
        assert_eq!(got.status(), StatusCode::OK);
        let headers = got.headers().clone();
        assert_eq!(headers[CONTENT_TYPE], "image/png");
        assert!(headers[CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"skjermbilde.jpg\""));
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(headers["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("sandbox"));
        assert_eq!(got.bytes().await.unwrap().as_ref(), PNG);

        // Its thumbnail, drawn by the server anew, is the one thing shown in place.
        let thumbnail = app
            .get(
                &format!("/chats/{chat}/attachments/{screenshot}?thumbnail=true"),
                kari,
            )
            .await;
        assert_eq!(thumbnail.status(), StatusCode::OK, "{}", app.backend);
        assert_eq!(thumbnail.headers()[CONTENT_TYPE], "image/png");
        assert_eq!(thumbnail.headers()[CONTENT_DISPOSITION], "inline");
        assert!(thumbnail.bytes().await.unwrap().starts_with(b"\x89PNG"));

        // And sends a PDF back, which the customer hears of and downloads.
        let back = upload(
            &app,
            &format!("/chats/{chat}/attachments"),
            kari,
            form("Faktura mai.pdf", "application/octet-stream", PDF),
            None,
        )
        .await;
        assert_eq!(back.status(), StatusCode::CREATED);
        let pdf: Value = back.json().await.unwrap();
        assert_eq!(pdf["file_type"], "application/pdf");
        assert_eq!(pdf["author_kind"], "agent");
        let pdf_id = pdf["attachment_id"].as_str().unwrap();
        let mut told = false;
        while let Some(event) = customer_stream.next(Duration::from_millis(1500)).await {
            told |= event.event == "AttachmentSent" && event.data.to_string().contains(pdf_id);
        }
        assert!(told, "{}: the customer is told of the PDF", app.backend);
        let got = app
            .get(
                &format!("/customer/chats/{chat}/attachments/{pdf_id}"),
                &customer,
            )
            .await;
        assert_eq!(got.status(), StatusCode::OK);
        assert_eq!(got.headers()[CONTENT_TYPE], "application/pdf");
        assert_eq!(got.bytes().await.unwrap().as_ref(), PDF);
        let no_picture = app
            .get(
                &format!("/customer/chats/{chat}/attachments/{pdf_id}?thumbnail=true"),
                &customer,
            )
            .await;
        assert_eq!(
            no_picture.status(),
            StatusCode::NOT_FOUND,
            "a PDF has no thumbnail"
        );

        // A replay of the chat shows the files by name, type and size.
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let replayed = app
            .get_ok(&format!("/chats/{chat}?at={now}"), &app.admin)
            .await;
        let files: Vec<&Value> = replayed["transcript"]
            .as_array()
            .map(|lines| {
                lines
                    .iter()
                    .filter_map(|l| l.get("file").filter(|f| !f.is_null()))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(files.len(), 2, "{replayed}");
        assert_eq!(files[0]["name"], "skjermbilde.jpg");
        assert_eq!(files[0]["media_type"], "image/png");
        assert_eq!(files[0]["size"], PNG.len());

        // The reports count the files and their bytes, never their content.
        let period = "from=2020-01-01T00:00:00Z&to=2100-01-01T00:00:00Z";
        let report = app
            .get_ok(&format!("/reports/chats?{period}"), &app.admin)
            .await;
        let row = report
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["chat_id"] == chat.as_str()))
            .cloned()
            .unwrap_or_default();
        assert_eq!(row["files"], 2, "{row}");
        assert_eq!(row["file_bytes"], PNG.len() + PDF.len());
        assert!(!report.to_string().contains("skjermbilde"));
        app.finish().await;
    }
}

#[tokio::test]
async fn what_a_browser_could_run_or_unpack_is_refused_and_nothing_is_stored() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (chat, customer) = app.start_chat(&centre.billing, "Nora").await;
        let path = format!("/customer/chats/{chat}/attachments");
        let events = app.event_count().await;
        let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
        let html = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>";
        // A zip bomb's first bytes are a zip's: it is never opened, it is refused as a zip.
        let zip = b"PK\x03\x04\x14\0\0\0\x08\0\0\0!\0\xff\xff\xff\xff";
        for (name, claimed, bytes, status, problem) in [
            (
                "bilde.svg",
                "image/svg+xml",
                &svg[..],
                415,
                "unsupported-file-type",
            ),
            (
                "bilde.png",
                "image/png",
                &html[..],
                415,
                "unsupported-file-type",
            ),
            (
                "bomb.zip",
                "application/zip",
                &zip[..],
                415,
                "unsupported-file-type",
            ),
            (
                "program.png",
                "image/png",
                b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0",
                415,
                "unsupported-file-type",
            ),
            ("tom.png", "image/png", b"", 422, "invalid-input"),
            (
                "binary.txt",
                "text/plain",
                b"looks like text\0\x01\x02\x03 until it does not",
                415,
                "unsupported-file-type",
            ),
            ("\u{202e}gnp.exe", "image/png", PNG, 422, "invalid-input"),
        ] {
            let response = upload(&app, &path, &customer, form(name, claimed, bytes), None).await;
            assert_eq!(
                response.status().as_u16(),
                status,
                "{}: {name}",
                app.backend
            );
            let body: Value = response.json().await.unwrap();
            assert_eq!(slug(&body), problem, "{name}: {body}");
        }
        // No part named `file`, and a body that is not multipart at all.
        let other = Form::new().text("note", "hei");
        let response = upload(&app, &path, &customer, other, None).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let response = app.post(&path, &customer, json!({"file": "x"})).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        // And a part after the file: the file it followed is not kept.
        let trailing = form("a.png", "image/png", PNG).text("note", "hei");
        let response = upload(&app, &path, &customer, trailing, None).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

        assert_eq!(
            app.event_count().await,
            events,
            "{}: nothing announced",
            app.backend
        );
        assert_eq!(
            stored_rows(&app).await,
            (0, 0, 0),
            "{}: nothing stored",
            app.backend
        );

        // A PNG with a page behind it is a PNG, served only as a sandboxed download.
        let polyglot = [PNG, b"<html><script>alert(1)</script></html>".as_slice()].concat();
        let response = upload(
            &app,
            &path,
            &customer,
            form("../../etc/passwd", "text/html", &polyglot),
            None,
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let line: Value = response.json().await.unwrap();
        assert_eq!(line["file_name"], "passwd", "the name is never a path");
        let got = app
            .get(
                &format!("{path}/{}", line["attachment_id"].as_str().unwrap()),
                &customer,
            )
            .await;
        assert_eq!(got.headers()[CONTENT_TYPE], "image/png");
        assert!(got.headers()[CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment;"));
        assert!(got.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox"));
        app.finish().await;
    }
}

#[tokio::test]
async fn a_file_over_the_limit_is_413_and_leaves_nothing() {
    let limited = |config: &mut samtale_api::config::ServeConfig| {
        config.attachments.max_bytes = 64 * 1024;
    };
    for app in TestApp::each_backend_with(limited).await {
        let centre = app.centre().await;
        let (chat, customer) = app.start_chat(&centre.billing, "Nora").await;
        let path = format!("/customer/chats/{chat}/attachments");
        let big = [PNG, &vec![0u8; 300 * 1024]].concat();
        let response = upload(
            &app,
            &path,
            &customer,
            form("stor.png", "image/png", &big),
            None,
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "{}",
            app.backend
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(slug(&body), "payload-too-large", "{body}");
        assert_eq!(stored_rows(&app).await, (0, 0, 0), "{}", app.backend);
        let fits = [PNG, &vec![0u8; 60 * 1024]].concat();
        let response = upload(
            &app,
            &path,
            &customer,
            form("liten.png", "image/png", &fits),
            None,
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED, "{}", app.backend);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_retried_upload_is_one_file() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (chat, customer) = app.start_chat(&centre.billing, "Nora").await;
        let path = format!("/customer/chats/{chat}/attachments");
        // Larger than a chunk, so a retry has several chunks to store and give back.
        let file = [PNG, &vec![7u8; 600 * 1024]].concat();
        let send = || {
            upload(
                &app,
                &path,
                &customer,
                form("skjerm.png", "image/png", &file),
                Some("opplasting-1"),
            )
        };
        let first: Value = send().await.json().await.unwrap();
        let again = send().await;
        assert_eq!(again.status(), StatusCode::CREATED);
        let again: Value = again.json().await.unwrap();
        assert_eq!(
            again["attachment_id"], first["attachment_id"],
            "{}",
            app.backend
        );
        assert_eq!(again["number"], first["number"]);
        let view = app
            .get_ok(&format!("/customer/chats/{chat}"), &customer)
            .await;
        let files = view["transcript"].as_array().map(|lines| {
            lines
                .iter()
                .filter(|l| !l["attachment_id"].is_null())
                .count()
        });
        assert_eq!(files, Some(1), "{view}");
        let (uploads, chunks, accepted) = stored_rows(&app).await;
        // One upload: three chunks of the file and its thumbnail.
        assert_eq!(
            (uploads, chunks, accepted),
            (1, 4, 1),
            "{}: one file's chunks",
            app.backend
        );
        let got = app
            .get(
                &format!("{path}/{}", first["attachment_id"].as_str().unwrap()),
                &customer,
            )
            .await;
        assert_eq!(got.bytes().await.unwrap().as_ref(), file.as_slice());
        app.finish().await;
    }
}

#[tokio::test]
async fn only_those_who_may_see_the_chat_get_its_files_and_everyone_else_the_same_404() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let kari = &centre.kari.token;
        let (chat, customer) = app.picked_up_chat(&centre.billing, "Nora", kari).await;
        let (other_chat, other_customer) = app.start_chat(&centre.billing, "Per").await;
        let line: Value = upload(
            &app,
            &format!("/customer/chats/{chat}/attachments"),
            &customer,
            form("faktura.pdf", "application/pdf", PDF),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
        let file = line["attachment_id"].as_str().unwrap();
        for (path, token) in [
            // Another customer, with their own token, by this chat's path or their own.
            (
                format!("/customer/chats/{chat}/attachments/{file}"),
                other_customer.as_str(),
            ),
            (
                format!("/customer/chats/{other_chat}/attachments/{file}"),
                other_customer.as_str(),
            ),
            // An agent of another queue.
            (
                format!("/chats/{chat}/attachments/{file}"),
                centre.ola.token.as_str(),
            ),
            // A file id that is no file of the chat.
            (
                format!("/chats/{chat}/attachments/{}", uuid::Uuid::new_v4()),
                kari.as_str(),
            ),
        ] {
            let response = app.get(&path, token).await;
            assert_eq!(
                response.status(),
                StatusCode::NOT_FOUND,
                "{}: {path}",
                app.backend
            );
            let body = response.text().await.unwrap();
            assert!(!body.contains("PDF-1.7"), "{body}");
        }
        // Nor may they upload into it: nothing is stored for them.
        let before = stored_rows(&app).await;
        let response = upload(
            &app,
            &format!("/chats/{chat}/attachments"),
            &centre.ola.token,
            form("x.pdf", "application/pdf", PDF),
            None,
        )
        .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let response = upload(
            &app,
            &format!("/customer/chats/{chat}/attachments"),
            &other_customer,
            form("x.pdf", "application/pdf", PDF),
            None,
        )
        .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(stored_rows(&app).await, before, "{}", app.backend);
        app.finish().await;
    }
}

#[tokio::test]
async fn the_scanner_decides_and_its_refusal_stores_nothing() {
    // A scanner that refuses any file with a line reading EICAR, as a virus scanner refuses
    // its test file.
    let scanned = |config: &mut samtale_api::config::ServeConfig| {
        config.attachments.scan_command = Some("grep -qvx EICAR".into());
    };
    for app in TestApp::each_backend_with(scanned).await {
        let centre = app.centre().await;
        let (chat, customer) = app.start_chat(&centre.billing, "Nora").await;
        let path = format!("/customer/chats/{chat}/attachments");
        let response = upload(
            &app,
            &path,
            &customer,
            form("virus.txt", "text/plain", b"EICAR\n"),
            None,
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            app.backend
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(slug(&body), "file-refused", "{body}");
        assert_eq!(stored_rows(&app).await, (0, 0, 0));
        let response = upload(
            &app,
            &path,
            &customer,
            form("notat.txt", "text/plain", b"Hei\nEICAR\n"),
            None,
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED, "{}", app.backend);
        app.finish().await;
    }
}

#[tokio::test]
async fn an_upload_cut_off_midway_leaves_nothing() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (chat, customer) = app.start_chat(&centre.billing, "Nora").await;
        let events = app.event_count().await;
        let boundary = "samtale-boundary";
        let head = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\
             Content-Type: image/png\r\n\r\n"
        );
        let mut body = head.into_bytes();
        body.extend_from_slice(PNG);
        body.extend_from_slice(&vec![1u8; 400 * 1024]);
        let mut stream = tokio::net::TcpStream::connect(app.app.address)
            .await
            .unwrap();
        let request = format!(
            "POST /api/v1/customer/chats/{chat}/attachments HTTP/1.1\r\nHost: x\r\n\
             Authorization: Bearer {customer}\r\n\
             Content-Type: multipart/form-data; boundary={boundary}\r\n\
             Content-Length: {}\r\n\r\n",
            body.len() + 1024 * 1024
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        stream.write_all(&body).await.unwrap();
        // The client goes away with most of the file unsent.
        stream.shutdown().await.unwrap();
        let mut answer = Vec::new();
        let _ =
            tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while stored_rows(&app).await != (0, 0, 0) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(
            stored_rows(&app).await,
            (0, 0, 0),
            "{}: the cut-off upload is deleted",
            app.backend
        );
        assert_eq!(
            app.event_count().await,
            events,
            "{}: nothing announced",
            app.backend
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn erasing_the_chat_erases_its_files_and_the_line_keeps_only_size_and_hash() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let kari = &centre.kari.token;
        let (chat, customer) = app.picked_up_chat(&centre.billing, "Nora", kari).await;
        let line: Value = upload(
            &app,
            &format!("/customer/chats/{chat}/attachments"),
            &customer,
            form("pass-Nora.png", "image/png", PNG),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
        let file = line["attachment_id"].as_str().unwrap();
        app.post_ok(&format!("/chats/{chat}/end"), kari, json!({}))
            .await;
        app.post_ok(&format!("/chats/{chat}/erase"), &app.admin, json!({}))
            .await;

        let got = app
            .get(&format!("/chats/{chat}/attachments/{file}"), &app.admin)
            .await;
        assert_eq!(got.status(), StatusCode::NOT_FOUND, "{}", app.backend);
        assert_eq!(
            stored_rows(&app).await,
            (0, 0, 0),
            "{}: the bytes are gone",
            app.backend
        );
        let view = app.get_ok(&format!("/chats/{chat}"), &app.admin).await;
        let kept = view["transcript"]
            .as_array()
            .and_then(|lines| lines.iter().find(|l| l["attachment_id"] == file))
            .cloned()
            .unwrap_or_default();
        assert!(kept["file_name"].is_null(), "{kept}");
        assert_eq!(kept["file_size"], PNG.len());
        assert_eq!(kept["file_sha256"], sha256(PNG));
        assert!(!view.to_string().contains("pass-Nora"), "{view}");
        app.finish().await;
    }
}

#[tokio::test]
async fn uploads_never_announced_are_pruned_after_an_hour_and_announced_files_stay() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (chat, customer) = app.start_chat(&centre.billing, "Nora").await;
        let path = format!("/customer/chats/{chat}/attachments");
        let kept: Value = upload(
            &app,
            &path,
            &customer,
            form("a.png", "image/png", PNG),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
        // What a killed process leaves: an upload nobody accepted, and a file accepted whose
        // announcement never came.
        let db = app.app.state.db.any();
        let now = chrono::Utc::now();
        for (upload, accepted) in [
            ("u-abandoned", None),
            ("u-unannounced", Some("f-unannounced")),
        ] {
            sqlx::query("INSERT INTO attachment_uploads (upload_id, chat_id, started_at) VALUES ($1, $2, $3)")
                .bind(upload)
                .bind(chat.clone())
                .bind(samtale_projections::timestamp(now))
                .execute(db)
                .await
                .unwrap();
            sqlx::query("INSERT INTO attachment_chunks (upload_id, part, seq, data) VALUES ($1, 'file', 0, $2)")
                .bind(upload)
                .bind(vec![0u8; 64])
                .execute(db)
                .await
                .unwrap();
            if let Some(file) = accepted {
                sqlx::query("INSERT INTO attachments (attachment_id, chat_id, upload_id, accepted_at) VALUES ($1, $2, $3, $4)")
                    .bind(file)
                    .bind(chat.clone())
                    .bind(upload)
                    .bind(samtale_projections::timestamp(now))
                    .execute(db)
                    .await
                    .unwrap();
            }
        }
        let node = &app.app.state.node;
        let before = stored_rows(&app).await;
        samtale_service::attachments::prune(node, now)
            .await
            .unwrap();
        assert_eq!(
            stored_rows(&app).await,
            before,
            "{}: nothing young is pruned",
            app.backend
        );

        let pruned = samtale_service::attachments::prune(node, now + chrono::Duration::hours(2))
            .await
            .unwrap();
        assert_eq!(pruned, 2, "{}", app.backend);
        // The announced file: its upload (with file and thumbnail chunks) and acceptance.
        assert_eq!(stored_rows(&app).await, (1, 2, 1), "{}", app.backend);
        let got = app
            .get(
                &format!("{path}/{}", kept["attachment_id"].as_str().unwrap()),
                &customer,
            )
            .await;
        assert_eq!(got.bytes().await.unwrap().as_ref(), PNG);
        app.finish().await;
    }
}
