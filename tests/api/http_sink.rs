//! A local HTTP server that plays WeCom's, DingTalk's and Feishu's group
//! robots and Tencent Cloud's SendSms, for the channel tests. It checks
//! each request as the services document it, with its own code (the
//! signatures are recomputed here with `hmac`/`sha2`, not with yizhan's
//! signers): the path and key, DingTalk's `timestamp`/`sign` query
//! (HMAC-SHA256 keyed by the secret over "timestamp\nsecret", Base64,
//! URL-encoded), Feishu's `timestamp`/`sign` in the body (HMAC-SHA256 keyed
//! by "timestamp\nsecret" over nothing), Tencent's TC3-HMAC-SHA256
//! Authorization over the Host and Content-Type headers and the body, and
//! the shape of each payload. A request that fails a check is kept in
//! `bad` and answered the way the service answers a bad signature.
//!
//! Each service can be told to answer 500, to drop the connection
//! without an answer, or to hang.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const WECOM_KEY: &str = "693a91f6-7aoc-4bc4-97a0-0ec2sifa5aaa";
pub const DING_TOKEN: &str = "98975521a1b23c02cdd1a9a08c69511d";
pub const DING_SECRET: &str = "SEC19dd84be8c7f3cf71761974f1ed3ef77c1451906ae8ba18acf56103ee";
pub const FEISHU_TOKEN: &str = "5e3d587e-d78e-4a07-bd07-265f269f86fd";
pub const FEISHU_SECRET: &str = "nIMtb7r3N9pkXyXdtAbx6e";
pub const TENCENT_ID: &str = "AKIDtestsecretid0123456789";
pub const TENCENT_KEY: &str = "tencent-test-secret-key-0123456789";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Wecom,
    Dingtalk,
    Feishu,
    Sms,
}

/// How a service behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Up,
    /// HTTP 500 with an HTML page.
    Error500,
    /// Reads the request, then closes the connection without an answer.
    Drop,
    /// Reads the request and never answers.
    Hang,
}

/// A request the sink accepted: the service, the JSON body, and the
/// request's query (DingTalk) or headers (SMS) where they matter.
#[derive(Debug, Clone)]
pub struct Received {
    pub service: Service,
    pub body: Value,
    pub headers: HashMap<String, String>,
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    bad: Vec<String>,
    modes: HashMap<Service, Mode>,
    /// Requests that reached a service that was not up.
    refused: usize,
}

#[derive(Clone)]
pub struct HttpSink {
    pub port: u16,
    shared: Arc<Mutex<Shared>>,
}

impl HttpSink {
    pub async fn start() -> HttpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let s = shared.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, s, port).await;
                });
            }
        });
        HttpSink { port, shared }
    }

    pub fn set(&self, service: Service, mode: Mode) {
        self.shared.lock().unwrap().modes.insert(service, mode);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().unwrap().received.clone()
    }

    pub fn of(&self, service: Service) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.service == service)
            .collect()
    }

    /// Requests that failed a check, with why.
    pub fn bad(&self) -> Vec<String> {
        self.shared.lock().unwrap().bad.clone()
    }

    pub fn refused(&self) -> usize {
        self.shared.lock().unwrap().refused
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn wecom_webhook(&self) -> String {
        self.url(&format!("/cgi-bin/webhook/send?key={WECOM_KEY}"))
    }

    pub fn dingtalk_webhook(&self) -> String {
        self.url(&format!("/robot/send?access_token={DING_TOKEN}"))
    }

    pub fn feishu_webhook(&self) -> String {
        self.url(&format!("/open-apis/bot/v2/hook/{FEISHU_TOKEN}"))
    }

    /// The settings that send SMS to this sink.
    pub fn sms_settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("YIZHAN__SMS__PROVIDER", "tencent".into()),
            ("YIZHAN__SMS__ENDPOINT", self.url("/")),
            ("YIZHAN__SMS__SECRET_ID", TENCENT_ID.into()),
            ("YIZHAN__SMS__SECRET_KEY", TENCENT_KEY.into()),
            ("YIZHAN__SMS__SDK_APP_ID", "1400006666".into()),
            ("YIZHAN__SMS__SIGN_NAME", "一站服务平台".into()),
            ("YIZHAN__SMS__TEMPLATE_SIGNED_FOR", "2001".into()),
            ("YIZHAN__SMS__TEMPLATE_INFO_REQUESTED", "2002".into()),
            ("YIZHAN__SMS__TEMPLATE_RESOLVED", "2003".into()),
        ]
    }
}

struct Request {
    path: String,
    query: HashMap<String, String>,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let target = lines.next()?.split(' ').nth(1)?.to_string();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers.get("content-length")?.parse().ok()?;
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let (path, q) = target.split_once('?').unwrap_or((&target, ""));
    let query = q
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Some(Request {
        path: path.to_string(),
        query,
        headers,
        body,
    })
}

async fn answer(stream: &mut TcpStream, status: &str, body: &str) {
    let reply = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
}

async fn serve(mut stream: TcpStream, shared: Arc<Mutex<Shared>>, port: u16) -> Option<()> {
    let req = read_request(&mut stream).await?;
    let service = if req.path == "/cgi-bin/webhook/send" {
        Service::Wecom
    } else if req.path == "/robot/send" {
        Service::Dingtalk
    } else if req.path.starts_with("/open-apis/bot/v2/hook/") {
        Service::Feishu
    } else if req.path == "/" {
        Service::Sms
    } else {
        answer(&mut stream, "404 Not Found", "not found").await;
        return Some(());
    };
    let mode = shared
        .lock()
        .unwrap()
        .modes
        .get(&service)
        .copied()
        .unwrap_or(Mode::Up);
    if mode != Mode::Up {
        shared.lock().unwrap().refused += 1;
    }
    match mode {
        Mode::Up => {}
        Mode::Error500 => {
            answer(
                &mut stream,
                "500 Internal Server Error",
                "<html>busy</html>",
            )
            .await;
            return Some(());
        }
        Mode::Drop => return Some(()),
        Mode::Hang => {
            tokio::time::sleep(Duration::from_secs(600)).await;
            return Some(());
        }
    }
    let body: Value = match serde_json::from_slice(&req.body) {
        Ok(v) => v,
        Err(e) => {
            shared
                .lock()
                .unwrap()
                .bad
                .push(format!("{service:?}: not JSON: {e}"));
            answer(&mut stream, "400 Bad Request", "{}").await;
            return Some(());
        }
    };
    let problems = check(service, &req, &body, port);
    let (ok, refusal) = match service {
        Service::Wecom => (
            r#"{"errcode":0,"errmsg":"ok"}"#,
            r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#,
        ),
        Service::Dingtalk => (
            r#"{"errcode":0,"errmsg":"ok"}"#,
            r#"{"errcode":310000,"errmsg":"sign not match"}"#,
        ),
        Service::Feishu => (
            r#"{"code":0,"msg":"success","data":{}}"#,
            r#"{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time","data":{}}"#,
        ),
        Service::Sms => (
            "",
            r#"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"The provided credentials could not be validated."},"RequestId":"sink"}}"#,
        ),
    };
    if !problems.is_empty() {
        shared
            .lock()
            .unwrap()
            .bad
            .extend(problems.into_iter().map(|p| format!("{service:?}: {p}")));
        answer(&mut stream, "200 OK", refusal).await;
        return Some(());
    }
    let reply = if service == Service::Sms {
        json!({"Response": {"SendStatusSet": [{
            "SerialNo": "5000:1045710669157053657849499619",
            "PhoneNumber": body["PhoneNumberSet"][0],
            "Fee": 1,
            "SessionContext": body["SessionContext"],
            "Code": "Ok",
            "Message": "send success",
            "IsoCode": "CN"
        }], "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279"}})
        .to_string()
    } else {
        ok.to_string()
    };
    shared.lock().unwrap().received.push(Received {
        service,
        body,
        headers: req.headers.clone(),
    });
    answer(&mut stream, "200 OK", &reply).await;
    Some(())
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn within_an_hour(ts_secs: i64) -> bool {
    (chrono::Utc::now().timestamp() - ts_secs).abs() < 3600
}

/// Everything wrong with a request, as the service would see it.
fn check(service: Service, req: &Request, body: &Value, port: u16) -> Vec<String> {
    let mut bad = Vec::new();
    let mut need = |ok: bool, what: &str| {
        if !ok {
            bad.push(what.to_string());
        }
    };
    let ct = req.headers.get("content-type").cloned().unwrap_or_default();
    need(
        ct.starts_with("application/json"),
        "content-type is not JSON",
    );
    match service {
        Service::Wecom => {
            need(
                req.query.get("key").map(String::as_str) == Some(WECOM_KEY),
                "wrong key",
            );
            need(body["msgtype"] == "markdown", "msgtype is not markdown");
            let content = body["markdown"]["content"].as_str().unwrap_or_default();
            need(
                !content.is_empty() && content.len() <= 4096,
                "markdown.content empty or over 4096 bytes",
            );
            need(content.contains("](http"), "no link");
        }
        Service::Dingtalk => {
            need(
                req.query.get("access_token").map(String::as_str) == Some(DING_TOKEN),
                "wrong access_token",
            );
            let ts: i64 = req
                .query
                .get("timestamp")
                .and_then(|t| t.parse().ok())
                .unwrap_or(0);
            need(
                within_an_hour(ts / 1000),
                "timestamp (ms) not within an hour",
            );
            let expected = b64(&hmac(
                DING_SECRET.as_bytes(),
                format!("{ts}\n{DING_SECRET}").as_bytes(),
            ));
            let sign = req
                .query
                .get("sign")
                .map(|s| percent_decode(s))
                .unwrap_or_default();
            need(sign == expected, "sign not match");
            need(body["msgtype"] == "markdown", "msgtype is not markdown");
            need(
                body["markdown"]["title"]
                    .as_str()
                    .is_some_and(|t| !t.is_empty()),
                "no markdown.title",
            );
            let text = body["markdown"]["text"].as_str().unwrap_or_default();
            need(text.contains("](http"), "no link in markdown.text");
        }
        Service::Feishu => {
            let ts: i64 = body["timestamp"]
                .as_str()
                .and_then(|t| t.parse().ok())
                .unwrap_or(0);
            need(within_an_hour(ts), "timestamp (s) not within an hour");
            let expected = b64(&hmac(format!("{ts}\n{FEISHU_SECRET}").as_bytes(), b""));
            need(
                body["sign"].as_str() == Some(expected.as_str()),
                "sign match fail",
            );
            need(
                body["msg_type"] == "interactive",
                "msg_type is not interactive",
            );
            need(
                body["card"]["header"]["title"]["content"]
                    .as_str()
                    .is_some_and(|t| !t.is_empty()),
                "no card title",
            );
            let url = &body["card"]["elements"][1]["actions"][0]["url"];
            need(
                url.as_str().is_some_and(|u| u.starts_with("http")),
                "no button link",
            );
        }
        Service::Sms => {
            let h = |k: &str| req.headers.get(k).cloned().unwrap_or_default();
            need(h("x-tc-action") == "SendSms", "X-TC-Action");
            need(h("x-tc-version") == "2021-01-11", "X-TC-Version");
            need(!h("x-tc-region").is_empty(), "X-TC-Region");
            let ts: i64 = h("x-tc-timestamp").parse().unwrap_or(0);
            need(within_an_hour(ts), "X-TC-Timestamp");
            // TC3-HMAC-SHA256, step by step as Tencent's documentation says.
            let host = h("host");
            need(host == format!("127.0.0.1:{port}"), "Host");
            let canonical = format!(
                "POST\n/\n\ncontent-type:{}\nhost:{}\n\ncontent-type;host\n{}",
                ct.to_ascii_lowercase(),
                host,
                hex(&Sha256::digest(&req.body))
            );
            let date = chrono::DateTime::from_timestamp(ts, 0)
                .unwrap()
                .format("%Y-%m-%d")
                .to_string();
            let to_sign = format!(
                "TC3-HMAC-SHA256\n{ts}\n{date}/sms/tc3_request\n{}",
                hex(&Sha256::digest(canonical.as_bytes()))
            );
            let k = hmac(
                &hmac(
                    &hmac(format!("TC3{TENCENT_KEY}").as_bytes(), date.as_bytes()),
                    b"sms",
                ),
                b"tc3_request",
            );
            let expected = format!(
                "TC3-HMAC-SHA256 Credential={TENCENT_ID}/{date}/sms/tc3_request, SignedHeaders=content-type;host, Signature={}",
                hex(&hmac(&k, to_sign.as_bytes()))
            );
            need(
                h("authorization") == expected,
                "Authorization does not match",
            );
            let phones = body["PhoneNumberSet"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            need(
                phones.len() == 1
                    && phones[0]
                        .as_str()
                        .is_some_and(|p| p.starts_with("+86") && p.len() == 14),
                "PhoneNumberSet",
            );
            need(body["SmsSdkAppId"] == "1400006666", "SmsSdkAppId");
            need(body["SignName"] == "一站服务平台", "SignName");
            need(
                body["TemplateId"]
                    .as_str()
                    .is_some_and(|t| ["2001", "2002", "2003"].contains(&t)),
                "TemplateId",
            );
            need(
                body["TemplateParamSet"]
                    .as_array()
                    .is_some_and(|p| p.len() == 2),
                "TemplateParamSet",
            );
            need(
                body["SessionContext"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("yizhan-outbox-")),
                "SessionContext",
            );
        }
    }
    bad
}
