//! What a template sees: the stored parameters of a message turned into
//! labelled, formatted values (deadlines in Beijing time, links to pages).
//! Every kind always gets all of its variables, so a template may use any
//! of them and an override naming one that does not exist is refused.

use chrono::{DateTime, Utc};
use chrono_tz::Asia::Shanghai;
use serde_json::{json, Map, Value};

use super::{Locale, MailKind};
use crate::domain::notify::Notice;

/// The variables each kind offers, for the admin API and error messages.
pub fn variables(kind: MailKind) -> Vec<&'static str> {
    let mut v = vec!["link"];
    match kind {
        MailKind::Notice(Notice::Digest) => v.extend([
            "department",
            "new",
            "overdue",
            "resolved",
            "since",
            "until",
            "tickets",
        ]),
        MailKind::Notice(Notice::DailyReportMissing) => {
            v.extend(["enterprise", "day", "lists", "urged", "department"])
        }
        MailKind::Notice(_) => v.extend([
            "number",
            "title",
            "status",
            "urgency",
            "sign_deadline",
            "resolve_deadline",
            "deadline",
            "note",
            "step",
            "days_overdue",
            "overdue_by",
            "time_left",
            "escalation_level",
            "fyi",
            "approved",
        ]),
        MailKind::Activation => v.extend(["enterprise", "credit_code", "expires"]),
        MailKind::PasswordReset => v.push("expires"),
        MailKind::ContactChanged => v.extend([
            "enterprise",
            "credit_code",
            "new_email",
            "changed_by",
            "changed_at",
        ]),
        MailKind::JoinRequested => v.extend(["enterprise", "name", "email", "requested_at"]),
        MailKind::JoinDecided => v.extend(["enterprise", "approved"]),
    }
    v
}

/// How far past its deadline an overdue notice's window is, as pages
/// say it; empty at overdue day 1 (the deadline itself). Overdue days
/// follow working days for every unit.
fn overdue_by(level: i64, locale: Locale) -> String {
    let days = (level - 1).max(0);
    if days == 0 {
        return String::new();
    }
    let past = crate::domain::sla::TimeLeft {
        measure: crate::domain::sla::Measure::Working,
        overdue: true,
        days,
        hours: 0,
        minutes: 0,
    };
    crate::words::time_left(lang(locale), &past)
}

/// A warning's stored time left (`notify::left_params`) in words.
fn time_left(left: &Value, locale: Locale) -> String {
    use crate::domain::sla::{Measure, TimeLeft};
    let clock = left.get("clock").and_then(Value::as_bool).unwrap_or(false);
    let left = TimeLeft {
        measure: if clock {
            Measure::Clock
        } else {
            Measure::Working
        },
        overdue: left
            .get("overdue")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        days: number(left, "days"),
        hours: number(left, "hours"),
        minutes: number(left, "minutes"),
    };
    crate::words::time_left(lang(locale), &left)
}

/// Beijing time, the way each language writes it.
pub fn beijing(at: DateTime<Utc>, locale: Locale) -> String {
    let local = at.with_timezone(&Shanghai);
    match locale {
        Locale::Zh => local.format("%Y年%-m月%-d日 %H:%M").to_string(),
        Locale::En => local.format("%Y-%m-%d %H:%M").to_string(),
    }
}

fn instant(params: &Value, key: &str) -> Option<DateTime<Utc>> {
    params.get(key)?.as_str()?.parse::<DateTime<Utc>>().ok()
}

fn text(params: &Value, key: &str) -> String {
    match params.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// The catalogue's language for a mail locale.
pub(crate) fn lang(locale: Locale) -> crate::words::Lang {
    match locale {
        Locale::Zh => crate::words::Lang::Zh,
        Locale::En => crate::words::Lang::En,
    }
}

/// Why a digest lists a ticket, in words.
fn digest_reason(why: &str, locale: Locale) -> &'static str {
    let key = match why {
        "overdue" => "mail_text.digest_overdue",
        "near" => "mail_text.digest_near",
        "new" => "mail_text.digest_new",
        "resolved" => "mail_text.digest_resolved",
        _ => "mail_text.digest_other",
    };
    crate::words::text(lang(locale), key)
}

fn number(params: &Value, key: &str) -> i64 {
    params.get(key).and_then(Value::as_i64).unwrap_or(0)
}

/// A status or urgency code in words (the catalogue's `status.*`,
/// `urgency.*`); an unknown code as it is.
fn code_label(area: &str, code: &str, locale: Locale) -> String {
    crate::words::lookup(lang(locale), &format!("{area}.{code}"))
        .map_or_else(|| code.to_string(), str::to_string)
}

fn status_label(status: &str, locale: Locale) -> String {
    code_label("status", status, locale)
}

fn urgency_label(urgency: &str, locale: Locale) -> String {
    code_label("urgency", urgency, locale)
}

/// The template context of a message of `kind` with its stored `params`.
pub fn context(
    kind: MailKind,
    params: &Value,
    locale: Locale,
    base_url: &str,
) -> Map<String, Value> {
    let base = base_url.trim_end_matches('/');
    let when = |key: &str| {
        instant(params, key)
            .map(|t| beijing(t, locale))
            .unwrap_or_default()
    };
    let value = match kind {
        MailKind::Notice(Notice::Digest) => json!({
            "link": format!("{base}/supervision"),
            "department": text(params, "department"),
            "new": number(params, "new"),
            "overdue": number(params, "overdue"),
            "resolved": number(params, "resolved"),
            "since": when("since"),
            "until": when("until"),
            // Each listed ticket with its link, why it is listed and, for
            // overdue and near-due ones, the deadline in Beijing time.
            "tickets": params
                .get("tickets")
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .map(|t| {
                            let why = t.get("why").and_then(Value::as_str).unwrap_or_default();
                            json!({
                                "number": text(t, "number"),
                                "title": text(t, "title"),
                                "link": format!("{base}/tickets/{}", number(t, "id")),
                                "why": digest_reason(why, locale),
                                "due": instant(t, "due_at").map(|d| beijing(d, locale)).unwrap_or_default(),
                            })
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default(),
        }),
        MailKind::Notice(Notice::DailyReportMissing) => json!({
            "link": format!("{base}/daily/{}", text(params, "day")),
            "enterprise": text(params, "enterprise"),
            "day": params
                .get("day")
                .and_then(Value::as_str)
                .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
                .map(|d| match locale {
                    Locale::Zh => d.format("%Y年%-m月%-d日").to_string(),
                    Locale::En => d.format("%Y-%m-%d").to_string(),
                })
                .unwrap_or_default(),
            "lists": params
                .get("lists")
                .and_then(Value::as_array)
                .map(|l| l.iter().filter_map(Value::as_str).map(String::from).collect::<Vec<_>>())
                .unwrap_or_default(),
            // A department urged (催报), not the daily job.
            "urged": params.get("urged").and_then(Value::as_bool).unwrap_or(false),
            "department": text(params, "department"),
        }),
        MailKind::Notice(_) => {
            let sla_kind = text(params, "kind");
            let sign_step = sla_kind.starts_with("sign")
                || (sla_kind.is_empty() && text(params, "status") == "pending_sign");
            let cohandling = sla_kind.starts_with("cohandle");
            let step = crate::words::text(
                lang(locale),
                match (cohandling, sign_step) {
                    (true, _) => "mail_text.step_cohandling",
                    (false, true) => "mail_text.step_sign",
                    (false, false) => "mail_text.step_resolve",
                },
            );
            let deadline = [
                "due_at",
                if sign_step {
                    "sign_due_at"
                } else {
                    "resolve_due_at"
                },
            ]
            .into_iter()
            .map(&when)
            .find(|s| !s.is_empty())
            .unwrap_or_default();
            json!({
                "link": format!("{base}/tickets/{}", number(params, "ticket_id")),
                "number": text(params, "number"),
                "title": text(params, "title"),
                "status": status_label(&text(params, "status"), locale),
                "urgency": urgency_label(&text(params, "urgency"), locale),
                "sign_deadline": when("sign_due_at"),
                "resolve_deadline": when("resolve_due_at"),
                "deadline": deadline,
                "note": text(params, "note"),
                "step": step,
                // Overdue day 1 fires at the deadline itself: whole working
                // days past it are one fewer.
                "days_overdue": (number(params, "level") - 1).max(0),
                // The same words as the pages: "已超时 3 个工作日".
                "overdue_by": overdue_by(number(params, "level"), locale),
                // A warning's time left when it was queued: "剩余 2 个工作日 3 小时".
                "time_left": params.get("left").map(|l| time_left(l, locale)).unwrap_or_default(),
                "escalation_level": number(params, "escalation_level"),
                // A copy for information (a chain platform), not a task.
                "fyi": params.get("fyi").and_then(Value::as_bool).unwrap_or(false),
                // An extension's decision.
                "approved": params.get("approve").and_then(Value::as_bool).unwrap_or(false),
            })
        }
        MailKind::Activation => json!({
            "link": format!("{base}/account/activate?token={}", text(params, "token")),
            "enterprise": text(params, "enterprise"),
            "credit_code": text(params, "credit_code"),
            "expires": when("expires_at"),
        }),
        MailKind::PasswordReset => json!({
            "link": format!("{base}/account/reset-password?token={}", text(params, "token")),
            "expires": when("expires_at"),
        }),
        MailKind::ContactChanged => json!({
            "link": format!("{base}/"),
            "enterprise": text(params, "enterprise"),
            "credit_code": text(params, "credit_code"),
            "new_email": text(params, "new_email"),
            "changed_by": text(params, "changed_by"),
            "changed_at": when("changed_at"),
        }),
        MailKind::JoinRequested => json!({
            "link": format!("{base}/join-requests"),
            "enterprise": text(params, "enterprise"),
            "name": text(params, "name"),
            "email": text(params, "email"),
            "requested_at": when("requested_at"),
        }),
        MailKind::JoinDecided => json!({
            "link": format!("{base}/login"),
            "enterprise": text(params, "enterprise"),
            "approved": params.get("approved").and_then(Value::as_bool).unwrap_or(false),
        }),
    };
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Parameters like real ones, to try a template out before it is saved.
pub fn sample_params(kind: MailKind) -> Value {
    match kind {
        MailKind::Notice(Notice::Digest) => json!({
            "department": "上海市浦东新区经济和信息化委员会",
            "new": 12, "overdue": 2, "resolved": 9,
            "since": "2022-04-18T00:00:00Z", "until": "2022-04-19T00:00:00Z",
            "tickets": [
                {"id": 7, "number": "310115-20220415-0003", "title": "物流车辆通行证办理", "why": "overdue", "due_at": "2022-04-18T09:30:00Z"},
                {"id": 9, "number": "310115-20220418-0001", "title": "复工复产人员返岗受阻", "why": "new", "due_at": null},
            ],
        }),
        MailKind::Notice(Notice::DailyReportMissing) => json!({
            "enterprise": "上海汽车集团股份有限公司",
            "day": "2022-04-28",
            "lists": ["上海市首批白名单企业", "15家重点汽车企业集团"],
            "urged": true,
            "department": "上海市经济和信息化委员会",
        }),
        MailKind::Notice(n) => json!({
            "ticket_id": 1,
            "number": "310115-20220418-0001",
            "title": "复工复产人员返岗受阻",
            "status": "handling",
            "urgency": "urgent",
            "sign_due_at": "2022-04-18T02:00:00Z",
            "resolve_due_at": "2022-04-25T09:30:00Z",
            "note": "请补充返岗人员名单。",
            "kind": if n == Notice::SlaWarning { "resolve_warning" } else { "resolve_overdue" },
            "level": 2,
            "escalation_level": 2,
            "due_at": "2022-04-25T09:30:00Z",
        }),
        MailKind::Activation => json!({
            "token": "sample", "enterprise": "上海汽车集团股份有限公司",
            "credit_code": "91310000132260250X", "expires_at": "2022-04-20T09:30:00Z",
        }),
        MailKind::PasswordReset => json!({"token": "sample", "expires_at": "2022-04-18T09:30:00Z"}),
        MailKind::ContactChanged => json!({
            "enterprise": "上海汽车集团股份有限公司", "credit_code": "91310000132260250X",
            "new_email": "contact@saic.example.cn", "changed_by": "上海市嘉定区经济委员会",
            "changed_at": "2022-04-18T02:00:00Z",
        }),
        MailKind::JoinRequested => json!({
            "enterprise": "上海汽车集团股份有限公司", "name": "王经理",
            "email": "wang@saic.example.cn", "requested_at": "2022-04-18T02:00:00Z",
        }),
        MailKind::JoinDecided => {
            json!({"enterprise": "上海汽车集团股份有限公司", "approved": true})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_read_in_beijing_time() {
        let at: DateTime<Utc> = "2026-04-03T09:30:00Z".parse().unwrap();
        assert_eq!(beijing(at, Locale::Zh), "2026年4月3日 17:30");
        assert_eq!(beijing(at, Locale::En), "2026-04-03 17:30");
    }

    #[test]
    fn every_kind_offers_exactly_its_variables() {
        for kind in MailKind::all() {
            let ctx = context(
                kind,
                &sample_params(kind),
                Locale::Zh,
                "https://yz.example.gov.cn/",
            );
            let mut keys: Vec<&str> = ctx.keys().map(String::as_str).collect();
            keys.sort();
            let mut expected = variables(kind);
            expected.sort();
            assert_eq!(keys, expected, "{kind:?}");
            assert!(ctx["link"]
                .as_str()
                .unwrap()
                .starts_with("https://yz.example.gov.cn/"));
        }
    }

    #[test]
    fn an_sla_notice_names_its_step_and_deadline() {
        let kind = MailKind::Notice(Notice::SlaWarning);
        let params = json!({"ticket_id": 9, "kind": "sign_warning", "due_at": "2026-04-03T01:00:00Z",
            "resolve_due_at": "2026-04-20T09:30:00Z", "status": "pending_sign", "urgency": "critical"});
        let ctx = context(kind, &params, Locale::Zh, "http://h");
        assert_eq!(ctx["step"], "签收");
        assert_eq!(ctx["deadline"], "2026年4月3日 09:00");
        assert_eq!(ctx["urgency"], "特急");
        assert_eq!(ctx["status"], "待签收");
        assert_eq!(ctx["link"], "http://h/tickets/9");
        assert_eq!(ctx["note"], "");
    }

    #[test]
    fn overdue_day_one_is_the_deadline_itself() {
        let kind = MailKind::Notice(Notice::Overdue);
        let at = |level: i64| {
            let params = json!({"ticket_id": 9, "kind": "sign_overdue", "level": level, "due_at": "2026-04-03T01:00:00Z"});
            context(kind, &params, Locale::Zh, "http://h")["days_overdue"].clone()
        };
        assert_eq!((at(1), at(2), at(5)), (json!(0), json!(1), json!(4)));
        let by = |level: i64| {
            let params = json!({"ticket_id": 9, "kind": "sign_overdue", "level": level, "due_at": "2026-04-03T01:00:00Z"});
            context(kind, &params, Locale::Zh, "http://h")["overdue_by"].clone()
        };
        assert_eq!((by(1), by(5)), (json!(""), json!("已超时 4 个工作日")));
    }
}
