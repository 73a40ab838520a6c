//! One file embedded in the binary, ready to send: its gzip encoding made once, when the file
//! is first asked for, and a strong ETag per encoding, so a browser revalidating its copy of the
//! console (the files are `no-cache`: a new release is never mixed with an old one's modules)
//! gets a bodiless `304 Not Modified` instead of the whole file again.

use axum::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_NONE_MATCH, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use flate2::write::GzEncoder;
use flate2::Compression;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::sync::OnceLock;

pub struct Embedded {
    content_type: &'static str,
    body: &'static str,
    prepared: OnceLock<Prepared>,
}

/// What is worked out from a file once: its gzip bytes and both encodings' validators.
struct Prepared {
    gzip: Vec<u8>,
    /// A strong ETag names one representation, so the gzipped one has a tag of its own
    /// (RFC 9110 §8.8.3.3): a cache must not hand identity bytes to a client that asked for
    /// the gzip's tag, or the other way round.
    identity_tag: HeaderValue,
    gzip_tag: HeaderValue,
}

impl Embedded {
    pub const fn new(content_type: &'static str, body: &'static str) -> Self {
        Embedded {
            content_type,
            body,
            prepared: OnceLock::new(),
        }
    }

    fn prepared(&self) -> &Prepared {
        self.prepared.get_or_init(|| {
            let digest = hex::encode(&Sha256::digest(self.body.as_bytes())[..16]);
            let tag = |suffix: &str| {
                HeaderValue::from_str(&format!("\"{digest}{suffix}\""))
                    .expect("hex digits are a valid header value")
            };
            Prepared {
                gzip: gzip(self.body.as_bytes()),
                identity_tag: tag(""),
                gzip_tag: tag("-gzip"),
            }
        })
    }

    /// The file as the request asks for it: gzipped if the client accepts gzip, `304` if the
    /// client's copy (by either encoding's tag) is this file.
    pub fn respond(&self, request: &HeaderMap) -> Response {
        let prepared = self.prepared();
        let gzipped = accepts_gzip(request);
        let tag = if gzipped {
            &prepared.gzip_tag
        } else {
            &prepared.identity_tag
        };
        let headers = [
            (CONTENT_TYPE, HeaderValue::from_static(self.content_type)),
            (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (VARY, HeaderValue::from_static("accept-encoding")),
            (ETAG, tag.clone()),
        ];
        let known = [&prepared.identity_tag, &prepared.gzip_tag];
        if matches_any(request, &known) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        if gzipped {
            let encoding = [(CONTENT_ENCODING, HeaderValue::from_static("gzip"))];
            (headers, encoding, prepared.gzip.clone()).into_response()
        } else {
            (headers, self.body).into_response()
        }
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 3), Compression::best());
    // Writing to a Vec cannot fail.
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .expect("gzip into memory")
}

/// Whether `Accept-Encoding` lists `gzip` (or `*`) with a weight above zero.
fn accepts_gzip(request: &HeaderMap) -> bool {
    request
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let weight = parts
                .find_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")))
                .map_or(Some(1.0), |q| q.parse::<f32>().ok());
            (name.eq_ignore_ascii_case("gzip") || name == "*") && weight.is_some_and(|q| q > 0.0)
        })
}

/// Whether `If-None-Match` names one of `tags` (or is `*`). Weak comparison, as RFC 9110
/// §13.1.2 asks for this header: a `W/` prefix is ignored.
fn matches_any(request: &HeaderMap, tags: &[&HeaderValue]) -> bool {
    request
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|candidate| candidate.trim())
        .any(|candidate| {
            candidate == "*"
                || tags.iter().any(|tag| {
                    candidate.strip_prefix("W/").unwrap_or(candidate).as_bytes() == tag.as_bytes()
                })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;
    use flate2::read::GzDecoder;
    use std::io::Read;

    static FILE: Embedded = Embedded::new("text/javascript; charset=utf-8", "export const a = 1;");

    fn request(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_static(value));
        }
        headers
    }

    async fn body(response: Response) -> Vec<u8> {
        to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("an in-memory body")
            .to_vec()
    }

    #[tokio::test]
    async fn a_client_that_accepts_gzip_gets_the_gzipped_file_under_its_own_tag() {
        let answer = FILE.respond(&request(&[("accept-encoding", "br, gzip;q=0.8")]));
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(answer.headers()[CONTENT_ENCODING], "gzip");
        assert_eq!(answer.headers()[VARY], "accept-encoding");
        let tag = answer.headers()[ETAG].to_str().expect("ascii").to_string();
        assert!(tag.starts_with('"') && tag.ends_with("-gzip\""), "{tag}");
        let mut plain = String::new();
        GzDecoder::new(&body(answer).await[..])
            .read_to_string(&mut plain)
            .expect("valid gzip");
        assert_eq!(plain, "export const a = 1;");
    }

    #[tokio::test]
    async fn a_client_that_refuses_gzip_gets_the_file_as_it_is() {
        for refusal in [&[][..], &[("accept-encoding", "gzip;q=0, identity")][..]] {
            let answer = FILE.respond(&request(refusal));
            assert!(answer.headers().get(CONTENT_ENCODING).is_none());
            assert_ne!(answer.headers()[ETAG], FILE.prepared().gzip_tag);
            assert_eq!(body(answer).await, b"export const a = 1;");
        }
    }

    #[tokio::test]
    async fn a_copy_that_is_current_is_not_sent_again() {
        let first = FILE.respond(&request(&[("accept-encoding", "gzip")]));
        let tag = first.headers()[ETAG].clone();
        let mut again = request(&[("accept-encoding", "gzip")]);
        again.append(IF_NONE_MATCH, tag.clone());
        let answer = FILE.respond(&again);
        assert_eq!(answer.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(answer.headers()[ETAG], tag);
        assert!(body(answer).await.is_empty());
    }

    #[tokio::test]
    async fn a_copy_of_another_version_gets_the_file() {
        let answer = FILE.respond(&request(&[("if-none-match", "\"0123\", W/\"4567\"")]));
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(body(answer).await, b"export const a = 1;");
    }

    #[test]
    fn the_tag_is_the_same_for_the_same_bytes() {
        let twin = Embedded::new("text/css", "export const a = 1;");
        assert_eq!(twin.prepared().identity_tag, FILE.prepared().identity_tag);
    }
}
