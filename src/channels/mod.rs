//! Notices on the channels besides e-mail: a department's WeCom (企业微信),
//! DingTalk (钉钉) and Feishu (飞书) group robots, and SMS to enterprises
//! through Tencent Cloud SMS. What each message says in the service's own
//! format and how it is signed (`robots`, `tencent`: pure, with the
//! services' published test vectors), how a service's answer reads, and
//! the one HTTP call each message costs, with bounded timeouts (`http`).

pub mod http;
pub mod robots;
pub mod tencent;

/// How a service answered one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// Trying again may help (the service is down, busy, or rate-limits
    /// us); `after_secs` is the least wait the service asks for.
    Retry {
        error: String,
        after_secs: Option<i64>,
    },
    /// The service refused the message itself (a wrong key, a bad
    /// signature, a blocked number): trying again would fail again.
    Permanent(String),
}

impl Verdict {
    fn retry(error: impl Into<String>) -> Verdict {
        Verdict::Retry {
            error: error.into(),
            after_secs: None,
        }
    }

    fn rate_limited(error: impl Into<String>, secs: i64) -> Verdict {
        Verdict::Retry {
            error: error.into(),
            after_secs: Some(secs),
        }
    }
}

/// An answer's body, cut short for the outbox's `last_error`.
fn excerpt(body: &str) -> String {
    let one_line: String = body
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect();
    one_line.trim().to_string()
}
