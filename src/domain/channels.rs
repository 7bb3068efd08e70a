//! The channels a notice leaves by besides e-mail, as values that parse:
//! departments' group robots (WeCom, DingTalk, Feishu) and SMS to an
//! enterprise's mobile. Which notices go where, and what a person may type
//! for a robot or a mobile number. Pure.

use super::enterprise::{issue, issue_with, FieldIssue};
use super::notify::Notice;

/// How an outbox row leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    Email,
    Wecom,
    Dingtalk,
    Feishu,
    Sms,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::Email,
        Channel::Wecom,
        Channel::Dingtalk,
        Channel::Feishu,
        Channel::Sms,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Wecom => "wecom",
            Channel::Dingtalk => "dingtalk",
            Channel::Feishu => "feishu",
            Channel::Sms => "sms",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The robot service a robot channel posts to.
    pub fn robot(self) -> Option<RobotService> {
        match self {
            Channel::Wecom => Some(RobotService::Wecom),
            Channel::Dingtalk => Some(RobotService::Dingtalk),
            Channel::Feishu => Some(RobotService::Feishu),
            Channel::Email | Channel::Sms => None,
        }
    }
}

/// A group-robot service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RobotService {
    /// 企业微信.
    Wecom,
    /// 钉钉.
    Dingtalk,
    /// 飞书.
    Feishu,
}

impl RobotService {
    pub const ALL: [RobotService; 3] = [
        RobotService::Wecom,
        RobotService::Dingtalk,
        RobotService::Feishu,
    ];

    pub fn as_str(self) -> &'static str {
        self.channel().as_str()
    }

    pub fn parse(s: &str) -> Option<RobotService> {
        RobotService::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn channel(self) -> Channel {
        match self {
            RobotService::Wecom => Channel::Wecom,
            RobotService::Dingtalk => Channel::Dingtalk,
            RobotService::Feishu => Channel::Feishu,
        }
    }

    /// Whether the service signs requests with a secret (加签 / 签名校验).
    pub fn signs(self) -> bool {
        self != RobotService::Wecom
    }

    /// The hosts its webhooks live on, and the path before the token.
    fn home(self) -> (&'static [&'static str], &'static str) {
        match self {
            RobotService::Wecom => (&["qyapi.weixin.qq.com"], "/cgi-bin/webhook/send?key="),
            RobotService::Dingtalk => (&["oapi.dingtalk.com"], "/robot/send?access_token="),
            RobotService::Feishu => (
                &["open.feishu.cn", "open.larksuite.com"],
                "/open-apis/bot/v2/hook/",
            ),
        }
    }
}

/// The notices a robot may post: what a department's group acts on.
pub const ROBOT_NOTICES: [Notice; 5] = [
    Notice::NewTicket,
    Notice::SlaWarning,
    Notice::Overdue,
    Notice::Urged,
    Notice::ExtensionRequested,
];

/// The notices an enterprise also hears by SMS: 受理, 要求补充, 办结.
pub const SMS_NOTICES: [Notice; 3] = [Notice::SignedFor, Notice::InfoRequested, Notice::Resolved];

/// A robot's settings as checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RobotSettings {
    pub service: RobotService,
    pub name: String,
    pub webhook_url: String,
    pub notices: Vec<Notice>,
}

/// What a person typed for a robot; `secret` is `None` when the form
/// leaves it as it is.
#[derive(Debug, Clone, Default)]
pub struct RobotInput {
    pub service: String,
    pub name: String,
    pub webhook_url: String,
    pub secret: Option<String>,
    pub notices: Vec<String>,
}

const MAX_NAME_CHARS: usize = 40;
const MAX_URL_CHARS: usize = 500;

/// Checks a robot; every problem at once. The secret comes back as
/// `Some(Some(s))` to set, `Some(None)` to clear, `None` to keep.
/// `any_host` lets a private deployment (or a test) post to its own relay
/// over plain HTTP; otherwise only HTTPS to the service's own host.
#[allow(clippy::type_complexity)]
pub fn parse_robot(
    input: &RobotInput,
    any_host: bool,
) -> Result<(RobotSettings, Option<Option<String>>), Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let service = RobotService::parse(input.service.trim());
    if service.is_none() {
        issues.push(issue("service", "robots_sms.unknown_service"));
    }
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        issues.push(issue_with(
            "name",
            "robots_sms.name_length",
            [("max", MAX_NAME_CHARS.to_string())],
        ));
    }
    let webhook_url = input.webhook_url.trim().to_string();
    if let Some(s) = service {
        if let Err(i) = check_webhook(s, &webhook_url, any_host) {
            issues.push(i);
        }
    }
    let secret = match (&input.secret, service) {
        (None, _) => None,
        (Some(raw), Some(s)) => match check_secret(s, raw.trim()) {
            Ok(found) => Some(found),
            Err(i) => {
                issues.push(i);
                None
            }
        },
        (Some(raw), None) => Some(Some(raw.trim().to_string())),
    };
    let mut notices = Vec::new();
    for n in &input.notices {
        match Notice::parse(n.trim()).filter(|n| ROBOT_NOTICES.contains(n)) {
            Some(n) if !notices.contains(&n) => notices.push(n),
            Some(_) => {}
            None => issues.push(issue_with(
                "notices",
                "robots_sms.notice_not_for_robots",
                [("name", n.trim().to_string())],
            )),
        }
    }
    if input.notices.is_empty() {
        issues.push(issue("notices", "robots_sms.no_notice_chosen"));
    }
    match service {
        Some(service) if issues.is_empty() => {
            notices.sort();
            Ok((
                RobotSettings {
                    service,
                    name,
                    webhook_url,
                    notices,
                },
                secret,
            ))
        }
        _ => Err(issues),
    }
}

/// The scheme, host (lower case, port included) and the rest of a URL.
fn split_url(url: &str) -> Option<(&str, String, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (host, tail) = rest.split_at(end);
    Some((scheme, host.to_ascii_lowercase(), tail))
}

fn check_webhook(service: RobotService, url: &str, any_host: bool) -> Result<(), FieldIssue> {
    let bad = |key| Err(issue("webhook_url", key));
    let not_https = || {
        Err(issue_with(
            "webhook_url",
            "robots_sms.webhook_not_https",
            [("scheme", "https://".to_string())],
        ))
    };
    if url.is_empty() {
        return bad("robots_sms.webhook_missing");
    }
    if url.chars().count() > MAX_URL_CHARS
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return bad("robots_sms.webhook_malformed");
    }
    let Some((scheme, host, tail)) = split_url(url) else {
        return bad("robots_sms.webhook_malformed");
    };
    // No user name or password in front of the host: `https://x@evil/`.
    if host.is_empty() || host.contains('@') {
        return bad("robots_sms.webhook_malformed");
    }
    if any_host {
        return match scheme {
            "https" | "http" => Ok(()),
            _ => not_https(),
        };
    }
    if scheme != "https" {
        return not_https();
    }
    let (hosts, path) = service.home();
    if !hosts.contains(&host.as_str()) {
        return Err(issue_with(
            "webhook_url",
            "robots_sms.webhook_wrong_host",
            [("host", hosts[0].to_string())],
        ));
    }
    match tail.strip_prefix(path) {
        Some(token) if !token.is_empty() && !token.contains(['/', '?', '#', '&']) => Ok(()),
        _ => Err(issue_with(
            "webhook_url",
            "robots_sms.webhook_wrong_path",
            [("example", format!("https://{}{path}…", hosts[0]))],
        )),
    }
}

/// An empty secret clears it; WeCom robots do not sign.
fn check_secret(service: RobotService, s: &str) -> Result<Option<String>, FieldIssue> {
    if s.is_empty() {
        return Ok(None);
    }
    if !service.signs() {
        return Err(issue("secret", "robots_sms.wecom_no_secret"));
    }
    let printable = s.chars().all(|c| c.is_ascii_graphic());
    let ok = match service {
        RobotService::Dingtalk => {
            s.starts_with("SEC") && s.len() <= 200 && s.chars().all(|c| c.is_ascii_alphanumeric())
        }
        _ => printable && (8..=200).contains(&s.len()),
    };
    if ok {
        Ok(Some(s.to_string()))
    } else if service == RobotService::Dingtalk {
        Err(issue_with(
            "secret",
            "robots_sms.dingtalk_secret_form",
            [("prefix", "SEC".to_string())],
        ))
    } else {
        Err(issue("secret", "robots_sms.secret_form"))
    }
}

/// A webhook as pages show it after saving: the service's address with
/// all but the last four characters of the token starred.
pub fn mask_webhook(url: &str) -> String {
    let cut = url
        .rfind(['=', '/'])
        .map(|i| i + 1)
        .filter(|i| *i < url.len())
        .unwrap_or(url.len());
    let (head, token) = url.split_at(cut);
    format!("{head}{}", mask_tail(token))
}

/// A secret as pages show it: only its last four characters.
pub fn mask_secret(secret: &str) -> String {
    mask_tail(secret)
}

fn mask_tail(s: &str) -> String {
    let n = s.chars().count();
    let keep: String = s.chars().skip(n.saturating_sub(4)).collect();
    if n <= 4 {
        "****".into()
    } else {
        format!("****{keep}")
    }
}

/// A mainland mobile number as typed (`138 1234 5678`, `+86 138-1234-5678`)
/// in its 11 digits; blank is `None` (no SMS).
pub fn parse_mobile(raw: &str) -> Result<Option<String>, FieldIssue> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let bad = || Err(issue("mobile", "robots_sms.mobile_invalid"));
    if !t.chars().all(|c| c.is_ascii_digit() || " -+()".contains(c)) {
        return bad();
    }
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    let national = if t.starts_with('+') || digits.len() > 11 {
        match digits
            .strip_prefix("0086")
            .or_else(|| digits.strip_prefix("86"))
        {
            Some(rest) => rest.to_string(),
            None => return bad(),
        }
    } else {
        digits
    };
    if is_mainland_mobile(&national) {
        Ok(Some(national))
    } else {
        bad()
    }
}

/// 11 digits, `1` then `3` to `9`.
pub fn is_mainland_mobile(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11
        && b.iter().all(u8::is_ascii_digit)
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
}

/// A mobile number for people who may not call it: `138****5678`.
pub fn mask_mobile(mobile: &str) -> String {
    super::enterprise::mask_phone(mobile)
}

/// A text (a provider's answer, a log line) with every mainland mobile
/// number in it masked: `+8613812345678` reads `+86138****5678`.
pub fn mask_mobiles(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        let (prefix, national) = match digits.len() {
            13 if digits.starts_with("86") => digits.split_at(2),
            15 if digits.starts_with("0086") => digits.split_at(4),
            _ => ("", digits.as_str()),
        };
        if is_mainland_mobile(national) {
            out.push_str(prefix);
            out.push_str(&mask_mobile(national));
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn robot(service: &str, url: &str, secret: Option<&str>) -> RobotInput {
        RobotInput {
            service: service.into(),
            name: "办公室群".into(),
            webhook_url: url.into(),
            secret: secret.map(str::to_string),
            notices: vec!["new_ticket".into(), "overdue".into()],
        }
    }

    fn keys(r: Result<(RobotSettings, Option<Option<String>>), Vec<FieldIssue>>) -> Vec<String> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|i| i.what.key)
            .collect()
    }

    #[test]
    fn each_service_takes_only_its_own_https_webhook() {
        let good = [
            ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa", None),
            ("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=98975521a1b23c02", Some("SEC19dd84be8c7f3cf71761974f1ed3ef77c1451906ae8ba18acf56103ee")),
            ("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/5e3d587e-d78e-4a07-bd07-265f269f86fd", Some("nIMtb7r3N9pkXyXdtAbx6e")),
        ];
        for (s, url, secret) in good {
            let (settings, sec) = parse_robot(&robot(s, url, secret), false).unwrap();
            assert_eq!(settings.notices, [Notice::NewTicket, Notice::Overdue]);
            assert_eq!(sec, secret.map(|s| Some(s.to_string())));
        }
        let wrong = |s: &str, url: &str| keys(parse_robot(&robot(s, url, None), false));
        assert_eq!(
            wrong(
                "wecom",
                "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x"
            ),
            ["robots_sms.webhook_not_https"]
        );
        assert_eq!(
            wrong(
                "dingtalk",
                "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x"
            ),
            ["robots_sms.webhook_wrong_host"]
        );
        assert_eq!(
            wrong(
                "dingtalk",
                "https://oapi.dingtalk.com/robot/send?access_token="
            ),
            ["robots_sms.webhook_wrong_path"]
        );
        assert_eq!(
            wrong(
                "feishu",
                "https://user@open.feishu.cn/open-apis/bot/v2/hook/x"
            ),
            ["robots_sms.webhook_malformed"]
        );
        assert_eq!(
            wrong(
                "feishu",
                "https://open.feishu.cn.evil.example/open-apis/bot/v2/hook/x"
            ),
            ["robots_sms.webhook_wrong_host"]
        );
        assert_eq!(wrong("wecom", ""), ["robots_sms.webhook_missing"]);
        // A private relay, when the configuration allows any host.
        assert!(parse_robot(&robot("feishu", "http://127.0.0.1:9/hook/x", None), true).is_ok());
        assert_eq!(
            keys(parse_robot(
                &robot("feishu", "ftp://127.0.0.1/x", None),
                true
            )),
            ["robots_sms.webhook_not_https"]
        );
    }

    #[test]
    fn secrets_notices_and_names_are_checked() {
        let url = "https://oapi.dingtalk.com/robot/send?access_token=abc";
        assert_eq!(
            keys(parse_robot(
                &robot("dingtalk", url, Some("not-a-ding-secret")),
                false
            )),
            ["robots_sms.dingtalk_secret_form"]
        );
        let wecom = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k";
        assert_eq!(
            keys(parse_robot(&robot("wecom", wecom, Some("SECabc")), false)),
            ["robots_sms.wecom_no_secret"]
        );
        // An empty secret clears it; none given keeps it.
        assert_eq!(
            parse_robot(&robot("dingtalk", url, Some(" ")), false)
                .unwrap()
                .1,
            Some(None)
        );
        assert_eq!(
            parse_robot(&robot("dingtalk", url, None), false).unwrap().1,
            None
        );
        let mut r = robot("dingtalk", url, None);
        r.notices = vec!["resolved".into()];
        assert_eq!(
            keys(parse_robot(&r, false)),
            ["robots_sms.notice_not_for_robots"]
        );
        r.notices.clear();
        r.name = " ".into();
        r.service = "slack".into();
        assert_eq!(
            keys(parse_robot(&r, false)),
            [
                "robots_sms.unknown_service",
                "robots_sms.name_length",
                "robots_sms.no_notice_chosen"
            ]
        );
    }

    #[test]
    fn tokens_and_secrets_show_only_their_last_four_characters() {
        assert_eq!(
            mask_webhook("https://oapi.dingtalk.com/robot/send?access_token=98975521a1b2c0de"),
            "https://oapi.dingtalk.com/robot/send?access_token=****c0de"
        );
        assert_eq!(
            mask_webhook("https://open.feishu.cn/open-apis/bot/v2/hook/5e3d587e-d78e-4a07"),
            "https://open.feishu.cn/open-apis/bot/v2/hook/****4a07"
        );
        assert_eq!(mask_secret("SEC19dd84be8c7f"), "****8c7f");
        assert_eq!(mask_secret("abc"), "****");
    }

    #[test]
    fn mobiles_are_mainland_numbers_of_eleven_digits() {
        for ok in [
            "13812345678",
            " 138 1234 5678 ",
            "+86 138-1234-5678",
            "0086 13812345678",
            "8613812345678",
        ] {
            assert_eq!(
                parse_mobile(ok).unwrap().as_deref(),
                Some("13812345678"),
                "{ok}"
            );
        }
        assert_eq!(parse_mobile("").unwrap(), None);
        for bad in [
            "12812345678",
            "1381234567",
            "138123456789",
            "021-58880000",
            "+1 415 555 0100",
            "138 1234 567a",
            "10086",
        ] {
            assert!(parse_mobile(bad).is_err(), "{bad}");
        }
        assert!(is_mainland_mobile("19912345678") && !is_mainland_mobile("11912345678"));
    }

    #[test]
    fn mobiles_in_a_text_are_masked_and_other_numbers_kept() {
        assert_eq!(
            mask_mobiles(
                r#"{"PhoneNumber":"+8613812345678","Fee":1,"SerialNo":"5000:104571066915705365"} 13912345678"#
            ),
            r#"{"PhoneNumber":"+86138****5678","Fee":1,"SerialNo":"5000:104571066915705365"} 139****5678"#
        );
        assert_eq!(mask_mobiles("310115-20220418-0001"), "310115-20220418-0001");
        assert_eq!(mask_mobile("13812345678"), "138****5678");
    }
}
