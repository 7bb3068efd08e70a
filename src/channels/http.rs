//! The one HTTP call a robot message or an SMS costs: a JSON POST with a
//! bounded connect and total timeout, no redirects followed (a webhook
//! that redirects is not the service's), and at most 64 KiB of the answer
//! read.

use std::time::Duration;

use futures_util::StreamExt;

/// How a POST ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    /// The service answered (any status).
    Answer { status: u16, body: String },
    /// No answer: refused, reset, timed out. The request may or may not
    /// have reached the service.
    NoAnswer(String),
}

const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// A client for one channel, with its timeout.
#[derive(Debug, Clone)]
pub struct Poster {
    client: reqwest::Client,
}

impl Poster {
    pub fn new(timeout_secs: u64) -> Result<Poster, String> {
        let timeout = Duration::from_secs(timeout_secs.max(1));
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("yizhan/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Poster { client })
    }

    /// POSTs `body` as JSON (UTF-8) with extra headers.
    pub async fn post_json(&self, url: &str, headers: &[(&str, String)], body: String) -> Posted {
        let mut request = self
            .client
            .post(url)
            .header("Content-Type", super::tencent::CONTENT_TYPE)
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return Posted::NoAnswer(describe(&e)),
        };
        let status = response.status().as_u16();
        let mut bytes = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(c) => {
                    let room = MAX_ANSWER_BYTES - bytes.len();
                    bytes.extend_from_slice(&c[..c.len().min(room)]);
                    if bytes.len() >= MAX_ANSWER_BYTES {
                        break;
                    }
                }
                Err(e) => return Posted::NoAnswer(describe(&e)),
            }
        }
        Posted::Answer {
            status,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }
}

/// reqwest's error with its causes, without the URL (a webhook's URL
/// carries its token).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        causes.push(s.to_string());
        source = s.source();
    }
    if causes.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {}", causes.join(": "))
    }
}
