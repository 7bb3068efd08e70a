//! SMS through Tencent Cloud SMS (`SendSms`, API version 2021-01-11): the
//! request, its TC3-HMAC-SHA256 signature (签名方法 v3), and how the answer
//! reads. Pure; the published example of the signature is its test.
//!
//! The request carries `SessionContext` = the outbox row's id. Tencent
//! echoes it in the answer and in the delivery receipt (状态回执), so an
//! SMS can be traced to its row; it does not make a repeated request a
//! no-op. Tencent offers no idempotency key for `SendSms`: a request whose
//! answer is lost after Tencent accepted it (a timeout) is sent again on
//! the retry, and the enterprise gets the SMS twice. A refused request
//! (an error answer, a 5xx, a refused connection) was not sent.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{excerpt, Verdict};

pub const SERVICE: &str = "sms";
pub const ACTION: &str = "SendSms";
pub const VERSION: &str = "2021-01-11";
pub const CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// A signed API 3.0 request: its headers (besides Content-Type and Host,
/// which the HTTP client sets from the same values) and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

/// What the signature needs to know of a request.
pub struct Tc3<'a> {
    pub secret_id: &'a str,
    pub secret_key: &'a str,
    /// The Host header, e.g. `sms.tencentcloudapi.com`.
    pub host: &'a str,
    pub service: &'a str,
    pub action: &'a str,
    pub version: &'a str,
    /// Empty for services that take no region.
    pub region: &'a str,
    pub timestamp: i64,
}

fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

impl Tc3<'_> {
    /// The UTC date of the timestamp (never the local one: at 00:44 in
    /// Beijing it is still the day before).
    pub fn date(&self) -> String {
        DateTime::<Utc>::from_timestamp(self.timestamp, 0)
            .unwrap_or_default()
            .format("%Y-%m-%d")
            .to_string()
    }

    /// Step 1: the canonical request of a POST with a JSON body, signing
    /// `content-type` and `host`.
    pub fn canonical_request(&self, payload: &str) -> String {
        format!(
            "POST\n/\n\ncontent-type:{CONTENT_TYPE}\nhost:{}\n\ncontent-type;host\n{}",
            self.host.to_ascii_lowercase(),
            sha256_hex(payload.as_bytes())
        )
    }

    pub fn credential_scope(&self) -> String {
        format!("{}/{}/tc3_request", self.date(), self.service)
    }

    /// Step 2.
    pub fn string_to_sign(&self, payload: &str) -> String {
        format!(
            "TC3-HMAC-SHA256\n{}\n{}\n{}",
            self.timestamp,
            self.credential_scope(),
            sha256_hex(self.canonical_request(payload).as_bytes())
        )
    }

    /// Step 3: the key derived from the secret, date and service, then the
    /// signature of the string to sign, in lower-case hex.
    pub fn signature(&self, payload: &str) -> String {
        let date = hmac(format!("TC3{}", self.secret_key).as_bytes(), &self.date());
        let service = hmac(&date, self.service);
        let signing = hmac(&service, "tc3_request");
        hex(&hmac(&signing, &self.string_to_sign(payload)))
    }

    /// Step 4: the Authorization header.
    pub fn authorization(&self, payload: &str) -> String {
        format!(
            "TC3-HMAC-SHA256 Credential={}/{}, SignedHeaders=content-type;host, Signature={}",
            self.secret_id,
            self.credential_scope(),
            self.signature(payload)
        )
    }

    /// The request with every header the API wants.
    pub fn sign(&self, payload: String) -> SignedRequest {
        let mut headers = vec![
            ("Authorization", self.authorization(&payload)),
            ("X-TC-Action", self.action.to_string()),
            ("X-TC-Timestamp", self.timestamp.to_string()),
            ("X-TC-Version", self.version.to_string()),
        ];
        if !self.region.is_empty() {
            headers.push(("X-TC-Region", self.region.to_string()));
        }
        SignedRequest {
            headers,
            body: payload,
        }
    }
}

/// One SMS: a mainland number, an approved template and its parameters.
pub struct Sms<'a> {
    /// The 11 digits; sent as E.164 (`+86...`).
    pub mobile: &'a str,
    pub sdk_app_id: &'a str,
    pub sign_name: &'a str,
    pub template_id: &'a str,
    pub params: &'a [String],
    /// Echoed back in the answer and the receipt: the outbox row.
    pub session_context: &'a str,
}

/// The JSON body of `SendSms`.
pub fn send_sms_payload(sms: &Sms<'_>) -> String {
    json!({
        "PhoneNumberSet": [format!("+86{}", sms.mobile)],
        "SmsSdkAppId": sms.sdk_app_id,
        "SignName": sms.sign_name,
        "TemplateId": sms.template_id,
        "TemplateParamSet": sms.params,
        "SessionContext": sms.session_context,
    })
    .to_string()
}

/// The request's timestamp: whole seconds.
pub fn timestamp(now: DateTime<Utc>) -> i64 {
    now.timestamp()
}

/// Reads `SendSms`'s answer. A request error (`Response.Error.Code`) or the
/// number's own status (`SendStatusSet[0].Code`, `Ok` when accepted):
/// credentials, signature, template, sign name and number problems are
/// permanent; rate limits and Tencent's internal errors are tried again.
pub fn interpret(status: u16, answer: &str) -> Verdict {
    let said = excerpt(answer);
    if status >= 500 {
        return Verdict::retry(format!("HTTP {status} {said}"));
    }
    let Ok(json) = serde_json::from_str::<Value>(answer) else {
        return if (400..500).contains(&status) {
            Verdict::Permanent(format!("HTTP {status} {said}"))
        } else {
            Verdict::retry(format!("HTTP {status}, not Tencent's answer: {said}"))
        };
    };
    let response = &json["Response"];
    if let Some(code) = response["Error"]["Code"].as_str() {
        return by_code(code, &said);
    }
    match response["SendStatusSet"][0]["Code"].as_str() {
        Some("Ok") => Verdict::Delivered,
        Some(code) => by_code(code, &said),
        None => Verdict::retry(format!("no send status: {said}")),
    }
}

fn by_code(code: &str, said: &str) -> Verdict {
    let error = format!("tencent {code}: {said}");
    match code {
        "RequestLimitExceeded"
        | "LimitExceeded.DeliveryFrequencyLimit"
        | "LimitExceeded.PhoneNumberThirtySecondLimit" => Verdict::rate_limited(error, 60),
        "LimitExceeded.PhoneNumberOneHourLimit" => Verdict::rate_limited(error, 3600),
        c if c.starts_with("RequestLimitExceeded") => Verdict::rate_limited(error, 60),
        c if c.starts_with("InternalError") || c == "FailedOperation" => Verdict::retry(error),
        // AuthFailure.*, FailedOperation.* (template, sign name, blocked
        // number, no balance), InvalidParameter*, UnauthorizedOperation.*,
        // the daily limits: the same request fails the same way.
        _ => Verdict::Permanent(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of Tencent Cloud's 签名方法 v3 (CVM
    /// DescribeInstances, 2019-02-25): every intermediate value it
    /// publishes, and its final Authorization header.
    #[test]
    fn signs_tencent_s_published_example() {
        let t = Tc3 {
            secret_id: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******",
            secret_key: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
            host: "cvm.tencentcloudapi.com",
            service: "cvm",
            action: "DescribeInstances",
            version: "2017-03-12",
            region: "ap-guangzhou",
            timestamp: 1551113065,
        };
        let payload = r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
        assert_eq!(
            sha256_hex(payload.as_bytes()),
            "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        assert_eq!(
            t.canonical_request(payload),
            "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        assert_eq!(
            t.string_to_sign(payload),
            "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
        );
        assert_eq!(
            t.signature(payload),
            "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
        let signed = t.sign(payload.to_string());
        assert_eq!(
            signed.headers[0].1,
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
        assert!(signed
            .headers
            .contains(&("X-TC-Region", "ap-guangzhou".into())));
        // 1551113065 is 00:44 on the 26th in Beijing: the date is UTC's.
        assert_eq!(t.date(), "2019-02-25");
    }

    #[test]
    fn the_payload_is_send_sms_s() {
        let params = [
            "310115-20220418-0001".to_string(),
            "货车无法通行".to_string(),
        ];
        let body: Value = serde_json::from_str(&send_sms_payload(&Sms {
            mobile: "13812345678",
            sdk_app_id: "1400006666",
            sign_name: "一站服务平台",
            template_id: "1110",
            params: &params,
            session_context: "yizhan-outbox-7",
        }))
        .unwrap();
        assert_eq!(body["PhoneNumberSet"], json!(["+8613812345678"]));
        assert_eq!(body["TemplateParamSet"], json!(params));
        assert_eq!(body["SessionContext"], "yizhan-outbox-7");
    }

    #[test]
    fn answers_read_as_tencent_documents_them() {
        let ok = r#"{"Response":{"SendStatusSet":[{"SerialNo":"5000:1045710669157053657849499619","PhoneNumber":"+8618511122233","Fee":1,"SessionContext":"test","Code":"Ok","Message":"send success","IsoCode":"CN"}],"RequestId":"a0aabda6-cf91-4f3e-a81f-9198114a2279"}}"#;
        assert_eq!(interpret(200, ok), Verdict::Delivered);
        let auth = r#"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"The provided credentials could not be validated."},"RequestId":"ed93f3cb"}}"#;
        assert!(
            matches!(interpret(200, auth), Verdict::Permanent(e) if e.contains("AuthFailure.SignatureFailure"))
        );
        let number = r#"{"Response":{"SendStatusSet":[{"Code":"InvalidParameterValue.IncorrectPhoneNumber","Message":"incorrect number"}],"RequestId":"x"}}"#;
        assert!(matches!(interpret(200, number), Verdict::Permanent(_)));
        let busy = r#"{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"too fast"},"RequestId":"x"}}"#;
        assert!(matches!(
            interpret(200, busy),
            Verdict::Retry {
                after_secs: Some(60),
                ..
            }
        ));
        let inner = r#"{"Response":{"Error":{"Code":"InternalError.Timeout","Message":"timeout"},"RequestId":"x"}}"#;
        assert!(matches!(
            interpret(200, inner),
            Verdict::Retry {
                after_secs: None,
                ..
            }
        ));
        assert!(matches!(interpret(503, "busy"), Verdict::Retry { .. }));
    }
}
