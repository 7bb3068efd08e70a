//! Group-robot messages: a notice as a department's group reads it, in
//! each service's documented format, and each service's signing.
//!
//! - WeCom: `{"msgtype": "markdown", "markdown": {"content": ...}}`, at most
//!   4096 bytes; no signing (the key in the webhook is the credential).
//! - DingTalk: `{"msgtype": "markdown", "markdown": {"title", "text"}}`;
//!   with 加签, `&timestamp=<ms>&sign=<s>` on the webhook, where `s` is
//!   Base64(HMAC-SHA256(key = secret, "timestamp\nsecret")), URL-encoded.
//! - Feishu: an interactive card, with 签名校验 `"timestamp": "<s>"` and
//!   `"sign"` in the body: Base64(HMAC-SHA256(key = "timestamp\nsecret",
//!   empty message)).
//!
//! What people typed (a ticket's title, a note) is put into the markdown
//! with the markup characters replaced by their full-width forms, so that
//! a title cannot add a link or break the card.

use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::Sha256;

use super::{excerpt, Verdict};
use crate::domain::channels::RobotService;
use crate::domain::notify::Notice;
use crate::words::{fill, text, Lang};

/// How urgent a message looks (the Feishu card's colour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Warning,
    Alert,
}

/// A notice as a group reads it: a title, a few lines, a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RobotMessage {
    pub title: String,
    pub lines: Vec<String>,
    pub link: String,
    pub link_text: String,
    pub tone: Tone,
}

/// The most of a note a robot message quotes.
const NOTE_CHARS: usize = 200;

/// Text people typed, safe inside the services' markdown: one line, its
/// markup characters in full-width form.
pub fn plain(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\r' | '\n' | '\t' => ' ',
            '[' => '［',
            ']' => '］',
            '(' => '（',
            ')' => '）',
            '<' => '＜',
            '>' => '＞',
            '*' => '＊',
            '_' => '＿',
            '`' => '｀',
            '#' => '＃',
            '~' => '～',
            '|' => '｜',
            other => other,
        })
        .collect()
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

fn ctx_text(ctx: &Map<String, Value>, key: &str) -> String {
    match ctx.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// A notice of `notice` as a group reads it. `subject` is the e-mail's
/// subject for the same notice (the template in force), `ctx` the
/// e-mail's template context: the robot says what the e-mail says.
pub fn compose(
    notice: Notice,
    subject: &str,
    ctx: &Map<String, Value>,
    lang: Lang,
) -> RobotMessage {
    let v = |k: &str| plain(&ctx_text(ctx, k));
    let mut lines = vec![
        fill(lang, "robots_sms.line_number", &[("number", &v("number"))]),
        fill(lang, "robots_sms.line_title", &[("title", &v("title"))]),
        fill(
            lang,
            "robots_sms.line_urgency",
            &[("urgency", &v("urgency"))],
        ),
    ];
    let at = |key: &str, at: String| fill(lang, key, &[("at", &at)]);
    let note = cut(&v("note"), NOTE_CHARS);
    let step = v("step");
    let tone = match notice {
        Notice::SlaWarning => Tone::Warning,
        Notice::Overdue | Notice::Urged => Tone::Alert,
        _ => Tone::Info,
    };
    match notice {
        Notice::NewTicket => {
            if ctx.get("fyi").and_then(Value::as_bool).unwrap_or(false) {
                lines.push(text(lang, "robots_sms.line_fyi").to_string());
            }
            for (key, line) in [
                ("sign_deadline", "robots_sms.line_sign_deadline"),
                ("resolve_deadline", "robots_sms.line_resolve_deadline"),
            ] {
                if !v(key).is_empty() {
                    lines.push(at(line, v(key)));
                }
            }
        }
        Notice::SlaWarning | Notice::Overdue => {
            if notice == Notice::Overdue {
                let by = v("overdue_by");
                lines.push(if by.is_empty() {
                    fill(lang, "robots_sms.line_overdue", &[("step", &step)])
                } else {
                    fill(
                        lang,
                        "robots_sms.line_overdue_by",
                        &[("step", &step), ("by", &by)],
                    )
                });
            }
            if !v("deadline").is_empty() {
                lines.push(fill(
                    lang,
                    "robots_sms.line_step_deadline",
                    &[("step", &step), ("at", &v("deadline"))],
                ));
            }
            let level = ctx
                .get("escalation_level")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            if notice == Notice::Overdue && level > 0 {
                lines.push(fill(
                    lang,
                    "robots_sms.line_escalated",
                    &[("level", &level.to_string())],
                ));
            }
        }
        Notice::Urged | Notice::ExtensionRequested => {
            let key = if notice == Notice::Urged {
                "robots_sms.line_urge_note"
            } else {
                "robots_sms.line_extension_reason"
            };
            if !note.is_empty() {
                lines.push(fill(lang, key, &[("note", &note)]));
            }
            if !v("resolve_deadline").is_empty() {
                lines.push(at(
                    "robots_sms.line_resolve_deadline",
                    v("resolve_deadline"),
                ));
            }
        }
        _ => {
            if !note.is_empty() {
                lines.push(note);
            }
        }
    }
    RobotMessage {
        title: plain(subject),
        lines,
        link: ctx_text(ctx, "link"),
        link_text: text(lang, "robots_sms.open_ticket").to_string(),
        tone,
    }
}

/// What the robot pages and the test message call a notice a robot posts.
pub fn notice_label(notice: Notice, lang: Lang) -> &'static str {
    text(
        lang,
        match notice {
            Notice::NewTicket => "robots_sms.notice_new_ticket",
            Notice::SlaWarning => "robots_sms.notice_sla_warning",
            Notice::Overdue => "robots_sms.notice_overdue",
            Notice::Urged => "robots_sms.notice_urged",
            _ => "robots_sms.notice_extension_requested",
        },
    )
}

/// The message a robot's test sends: which notices it will post here.
pub fn test_message(robot: &str, notices: &[Notice], link: &str, lang: Lang) -> RobotMessage {
    let names: Vec<&str> = notices.iter().map(|n| notice_label(*n, lang)).collect();
    let sep = text(lang, "robots_sms.list_separator");
    RobotMessage {
        title: text(lang, "robots_sms.test_title").to_string(),
        lines: vec![fill(
            lang,
            "robots_sms.test_line",
            &[("name", &plain(robot)), ("notices", &names.join(sep))],
        )],
        link: link.to_string(),
        link_text: text(lang, "robots_sms.open_platform").to_string(),
        tone: Tone::Info,
    }
}

/// A signature of one request: DingTalk's timestamp is in milliseconds,
/// Feishu's in seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub timestamp: i64,
    pub sign: String,
}

/// DingTalk's 加签: Base64(HMAC-SHA256(key = secret, "timestamp\nsecret"))
/// (URL-encoding it is the caller's part, in [`webhook_url`]).
pub fn dingtalk_sign(timestamp_ms: i64, secret: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{timestamp_ms}\n{secret}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Feishu's 签名校验: Base64(HMAC-SHA256(key = "timestamp\nsecret", "")).
pub fn feishu_sign(timestamp_s: i64, secret: &str) -> String {
    let key = format!("{timestamp_s}\n{secret}");
    let mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The signature a request to `service` carries at `now`, if it signs.
pub fn sign(service: RobotService, secret: Option<&str>, now: DateTime<Utc>) -> Option<Signature> {
    let secret = secret.filter(|s| !s.is_empty())?;
    match service {
        RobotService::Wecom => None,
        RobotService::Dingtalk => {
            let ts = now.timestamp_millis();
            Some(Signature {
                timestamp: ts,
                sign: dingtalk_sign(ts, secret),
            })
        }
        RobotService::Feishu => {
            let ts = now.timestamp();
            Some(Signature {
                timestamp: ts,
                sign: feishu_sign(ts, secret),
            })
        }
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Where the request goes: DingTalk's signature rides on the webhook.
pub fn webhook_url(service: RobotService, webhook: &str, signature: Option<&Signature>) -> String {
    match (service, signature) {
        (RobotService::Dingtalk, Some(s)) => {
            let join = if webhook.contains('?') { '&' } else { '?' };
            format!(
                "{webhook}{join}timestamp={}&sign={}",
                s.timestamp,
                url_encode(&s.sign)
            )
        }
        _ => webhook.to_string(),
    }
}

/// WeCom's markdown content may hold at most this many bytes.
const WECOM_MAX_BYTES: usize = 4096;

/// The JSON body of a message to `service`.
pub fn body(service: RobotService, m: &RobotMessage, signature: Option<&Signature>) -> Value {
    let link = format!("[{}]({})", m.link_text, m.link.replace(')', "%29"));
    match service {
        RobotService::Wecom => {
            let mut content = format!("### {}\n", m.title);
            for line in &m.lines {
                let next = format!("> {line}\n");
                if content.len() + next.len() + link.len() > WECOM_MAX_BYTES {
                    break;
                }
                content.push_str(&next);
            }
            content.push_str(&link);
            json!({"msgtype": "markdown", "markdown": {"content": content}})
        }
        RobotService::Dingtalk => {
            // DingTalk's markdown breaks lines only at blank lines.
            let mut text = format!("#### {}\n\n", m.title);
            for line in &m.lines {
                text.push_str(&format!("{line}\n\n"));
            }
            text.push_str(&link);
            json!({"msgtype": "markdown", "markdown": {"title": m.title, "text": text}})
        }
        RobotService::Feishu => {
            let template = match m.tone {
                Tone::Info => "blue",
                Tone::Warning => "orange",
                Tone::Alert => "red",
            };
            let mut card = json!({
                "msg_type": "interactive",
                "card": {
                    "config": {"wide_screen_mode": true},
                    "header": {
                        "title": {"tag": "plain_text", "content": m.title},
                        "template": template,
                    },
                    "elements": [
                        {"tag": "div", "text": {"tag": "lark_md", "content": m.lines.join("\n")}},
                        {"tag": "action", "actions": [{
                            "tag": "button",
                            "text": {"tag": "plain_text", "content": m.link_text},
                            "type": "primary",
                            "url": m.link,
                        }]},
                    ],
                },
            });
            if let (Some(s), Some(obj)) = (signature, card.as_object_mut()) {
                obj.insert("timestamp".into(), Value::String(s.timestamp.to_string()));
                obj.insert("sign".into(), Value::String(s.sign.clone()));
            }
            card
        }
    }
}

/// Answers that mean "too fast": wait at least a minute (every service
/// allows about 20 messages a minute per robot).
const RATE_LIMIT_WAIT_SECS: i64 = 60;

/// Reads a service's answer: its JSON `errcode` (WeCom, DingTalk) or
/// `code` (Feishu; older robots `StatusCode`) is 0 on success. Codes that
/// say the key, the signature, the keyword or the robot itself is wrong
/// are permanent; rate limits wait; anything else is tried again.
pub fn interpret(service: RobotService, status: u16, answer: &str) -> Verdict {
    let said = excerpt(answer);
    if status == 429 {
        return Verdict::rate_limited(format!("HTTP 429 {said}"), RATE_LIMIT_WAIT_SECS);
    }
    if status >= 500 {
        return Verdict::retry(format!("HTTP {status} {said}"));
    }
    let json: Option<Value> = serde_json::from_str(answer).ok();
    let code = json.as_ref().and_then(|j| match service {
        RobotService::Feishu => j.get("code").or_else(|| j.get("StatusCode")),
        _ => j.get("errcode"),
    });
    let Some(code) = code.and_then(Value::as_i64) else {
        // A 4xx without the service's JSON (a wrong path, a gateway): the
        // address is wrong, and stays wrong.
        return if (400..500).contains(&status) {
            Verdict::Permanent(format!("HTTP {status} {said}"))
        } else {
            Verdict::retry(format!("HTTP {status}, not the service's answer: {said}"))
        };
    };
    if code == 0 && status < 300 {
        return Verdict::Delivered;
    }
    let (rate, permanent): (&[i64], &[i64]) = match service {
        // 45009: api freq out of limit. 93000: invalid webhook url (the
        // key); 93004: the robot is disabled; 93008: not in the group;
        // 40008 / 44004 / 40058: the message itself is refused.
        RobotService::Wecom => (&[45009, 45033], &[93000, 93004, 93008, 40008, 44004, 40058]),
        // 130101 / 410100: sending too fast. 300001 / 300005 / 400101:
        // no such token; 310000: signature, keyword or IP check failed;
        // 400013: the group was dissolved; 400102: the robot is stopped;
        // 400105 / 400106: unsupported message, no such robot; 430101-4:
        // content refused.
        RobotService::Dingtalk => (
            &[130101, 410100],
            &[
                300001, 300005, 310000, 400013, 400101, 400102, 400105, 400106, 430101, 430102,
                430103, 430104,
            ],
        ),
        // 9499 / 11232: too many requests. 19001: the webhook token is
        // invalid; 19002: bad request; 19007: the bot is not enabled;
        // 19021: the signature does not match (or the clock is off by an
        // hour); 19022: IP not allowed; 19024: keyword not found.
        RobotService::Feishu => (&[9499, 11232], &[19001, 19002, 19007, 19021, 19022, 19024]),
    };
    let error = format!("{} {code}: {said}", service.as_str());
    if rate.contains(&code) {
        Verdict::rate_limited(error, RATE_LIMIT_WAIT_SECS)
    } else if permanent.contains(&code) {
        Verdict::Permanent(error)
    } else {
        Verdict::retry(error)
    }
}

#[cfg(test)]
mod tests;
