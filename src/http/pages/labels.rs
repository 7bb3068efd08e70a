//! The words pages show for codes: urgencies, statuses, actions, roles of
//! a department on a ticket. Categories and chains are data
//! ([`crate::domain::catalogue`]), named from the database.

use crate::domain::ticket::Status;

pub const URGENCIES: [(&str, &str, &str); 3] = [
    ("normal", "一般", "Normal"),
    ("urgent", "紧急", "Urgent"),
    ("critical", "特急", "Critical"),
];

pub fn urgency(code: &str, en: bool) -> String {
    URGENCIES.iter().find(|(c, _, _)| *c == code).map_or_else(
        || code.to_string(),
        |(_, zh, e)| if en { e } else { zh }.to_string(),
    )
}

/// A time-limit policy's name: the three built-in ones are named after
/// the urgency they serve; others are the administrators' own names.
pub fn policy_name(name: &str, en: bool) -> String {
    if URGENCIES.iter().any(|(c, _, _)| *c == name) {
        urgency(name, en)
    } else {
        name.to_string()
    }
}

/// Units of a time limit: (code, 中文, English).
pub const SLA_UNITS: [(&str, &str, &str); 3] = [
    ("working_minutes", "分钟（工作时间）", "working minutes"),
    ("working_days", "工作日", "working days"),
    ("clock_minutes", "分钟（自然时间）", "clock minutes"),
];

pub fn sla_unit(code: &str, en: bool) -> String {
    SLA_UNITS.iter().find(|(c, _, _)| *c == code).map_or_else(
        || code.to_string(),
        |(_, zh, e)| if en { e } else { zh }.to_string(),
    )
}

pub fn status(code: &str, en: bool) -> String {
    match Status::parse(code) {
        None => code.to_string(),
        Some(s) if !en => s.name_zh().to_string(),
        Some(s) => match s {
            Status::PendingSign => "To sign for",
            Status::Handling => "Handling",
            Status::AwaitingInfo => "Awaiting information",
            Status::Resolved => "Resolved",
            Status::Closed => "Closed",
            Status::Rejected => "Rejected",
            Status::Withdrawn => "Withdrawn",
        }
        .to_string(),
    }
}

/// Every status: (code, label).
pub fn statuses(en: bool) -> Vec<(&'static str, String)> {
    Status::ALL
        .iter()
        .map(|s| (s.as_str(), status(s.as_str(), en)))
        .collect()
}

/// An action as a button or timeline entry says it: (name, 中文, English).
const ACTIONS: [(&str, &str, &str); 30] = [
    ("file", "提交诉求", "Filed"),
    ("sign_for", "签收", "Sign for"),
    ("assign", "指派经办人", "Assign"),
    ("transfer", "转办", "Transfer"),
    ("escalate", "上报", "Escalate"),
    ("take_over", "提级办理", "Take over"),
    ("return", "退回", "Return"),
    ("add_cohandler", "添加协办部门", "Add a co-handler"),
    ("post_opinion", "提交协办意见", "Post an opinion"),
    ("release_cohandler", "免除协办", "Release a co-handler"),
    ("request_info", "要求补充材料", "Ask for information"),
    ("provide_info", "补充材料", "Provide information"),
    ("request_extension", "申请延期", "Ask for more time"),
    ("decide_extension", "审批延期", "Decide on more time"),
    ("urge", "督办", "Urge"),
    ("resolve", "办结", "Resolve"),
    ("rate", "评价", "Rate"),
    ("reopen", "重办", "Reopen"),
    ("reject", "不予受理", "Reject"),
    ("withdraw", "撤回", "Withdraw"),
    ("comment", "留言", "Comment"),
    ("auto_close", "自动关闭", "Closed automatically"),
    (
        "deadline_recomputed",
        "按新日历调整时限",
        "Deadline moved with the new calendar",
    ),
    (
        "cohandle_warning",
        "协办意见即将到期",
        "Co-handling opinion due soon",
    ),
    (
        "cohandle_overdue",
        "协办意见超时",
        "Co-handling opinion overdue",
    ),
    ("auto_assign", "自动指派", "Assigned automatically"),
    ("sign_warning", "签收即将超时", "Sign-for deadline near"),
    ("sign_overdue", "签收超时", "Sign-for overdue"),
    (
        "resolve_warning",
        "办结即将超时",
        "Resolution deadline near",
    ),
    ("resolve_overdue", "办结超时", "Resolution overdue"),
];

pub fn action(name: &str, en: bool) -> String {
    ACTIONS.iter().find(|(n, _, _)| *n == name).map_or_else(
        || name.to_string(),
        |(_, zh, e)| if en { e } else { zh }.to_string(),
    )
}

pub fn satisfaction(code: &str, en: bool) -> String {
    match (code, en) {
        ("satisfied", false) => "满意",
        ("basically_satisfied", false) => "基本满意",
        ("dissatisfied", false) => "不满意",
        ("satisfied", true) => "Satisfied",
        ("basically_satisfied", true) => "Basically satisfied",
        ("dissatisfied", true) => "Dissatisfied",
        (other, _) => other,
    }
    .to_string()
}

/// An instant (kept in UTC) as Beijing time, to the minute.
pub fn beijing(at: chrono::NaiveDateTime) -> String {
    at.and_utc()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A span of (working) minutes: `3 小时 20 分`, `3 h 20 min`.
pub fn duration(minutes: i64, en: bool) -> String {
    let m = minutes.abs();
    let (d, h, min) = (m / (24 * 60), (m / 60) % 24, m % 60);
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(if en {
            format!("{d} d")
        } else {
            format!("{d} 天")
        });
    }
    if h > 0 {
        parts.push(if en {
            format!("{h} h")
        } else {
            format!("{h} 小时")
        });
    }
    if min > 0 || parts.is_empty() {
        parts.push(if en {
            format!("{min} min")
        } else {
            format!("{min} 分")
        });
    }
    parts.join(" ")
}

/// Working time left before a deadline, or how far past it.
pub fn remaining(minutes: i64, en: bool) -> String {
    let span = duration(minutes, en);
    match (minutes < 0, en) {
        (false, false) => format!("剩余 {span}（工作时间）"),
        (false, true) => format!("{span} of working time left"),
        (true, false) => format!("已超时 {span}（工作时间）"),
        (true, true) => format!("overdue by {span} of working time"),
    }
}

/// A kind of e-mail, as a person calls it.
pub fn mail_kind(kind: &str, en: bool) -> String {
    let (zh, english) = match kind {
        "new_ticket" => ("新诉求（待签收或抄送）", "New ticket (or a copy)"),
        "assigned" => ("指派", "Assigned"),
        "info_requested" => ("要求补充材料", "Information requested"),
        "info_provided" => ("企业已补充材料", "Information provided"),
        "resolved" => ("已办结", "Resolved"),
        "rejected" => ("不予受理", "Rejected"),
        "sla_warning" => ("即将超时", "Deadline near"),
        "overdue" => ("已超时", "Overdue"),
        "urged" => ("督办", "Urged"),
        "cohandling_requested" => ("协办请求", "Co-handling requested"),
        "digest" => ("每日摘要", "Daily digest"),
        "comment" => ("留言", "Comment"),
        "extension_requested" => ("延期申请待审批", "Extension requested"),
        "extension_decided" => ("延期审批结果", "Extension decided"),
        "reopened" => ("工单重办", "Ticket reopened"),
        "activation" => ("激活账号", "Account activation"),
        "password_reset" => ("重设密码", "Password reset"),
        "contact_changed" => ("联系邮箱被修改", "Contact e-mail changed"),
        "join_requested" => ("加入企业申请", "Request to join"),
        "join_decided" => ("加入申请结果", "Join request decided"),
        _ => ("其他邮件", "Other e-mail"),
    };
    if en { english } else { zh }.to_string()
}

/// A template's language, as a person calls it.
pub fn locale_name(locale: &str, en: bool) -> &'static str {
    match (locale, en) {
        ("en", false) => "英文",
        ("en", true) => "English",
        (_, false) => "中文",
        (_, true) => "Chinese",
    }
}

/// A kind of department, as a person calls it.
pub fn department_kind(kind: &str, en: bool) -> &'static str {
    match (kind, en) {
        ("ministry", false) => "部委",
        ("ministry", true) => "Ministry",
        ("province", false) => "省级",
        ("province", true) => "Province",
        ("city", false) => "市级",
        ("city", true) => "City",
        ("county", false) => "县级",
        ("county", true) => "County",
        ("chain_platform", false) => "产业链协调平台",
        ("chain_platform", true) => "Chain platform",
        (_, false) => "其他",
        (_, true) => "Other",
    }
}

/// A routing rule's white-list condition.
pub fn listed(code: &str, en: bool) -> String {
    match (code, en) {
        ("any", false) => "任一白名单",
        ("any", true) => "any list",
        ("national", false) => "全国白名单",
        ("national", true) => "national list",
        ("provincial", false) => "省级白名单",
        ("provincial", true) => "provincial list",
        (other, _) => other,
    }
    .to_string()
}

/// A routing rule's reach condition.
pub fn reach(code: &str, en: bool) -> String {
    match (code, en) {
        ("outside_city", false) => "跨地市",
        ("outside_city", true) => "beyond the city",
        ("outside_province", false) => "跨省",
        ("outside_province", true) => "beyond the province",
        (other, _) => other,
    }
    .to_string()
}

/// The level a routing rule sends to.
pub fn target_level(code: &str, en: bool) -> String {
    match (code, en) {
        ("county", false) => "县级",
        ("county", true) => "County",
        ("city", false) => "市级",
        ("city", true) => "City",
        ("province", false) => "省级",
        ("province", true) => "Province",
        ("ministry", false) => "工业和信息化部",
        ("ministry", true) => "Ministry",
        (other, _) => other,
    }
    .to_string()
}

/// An outbox message's state, as a person calls it.
pub fn outbox_status(status: &str, en: bool) -> String {
    let (zh, english) = match status {
        "pending" => ("待发送", "waiting"),
        "sending" => ("发送中", "sending"),
        "sent" => ("已发送", "sent"),
        "dead" => ("发送失败", "undelivered"),
        _ => ("其他", "other"),
    };
    if en { english } else { zh }.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_people_say_them() {
        let at = chrono::NaiveDate::from_ymd_opt(2022, 4, 28)
            .unwrap()
            .and_hms_opt(1, 30, 0)
            .unwrap();
        assert_eq!(beijing(at), "2022-04-28 09:30");
        assert_eq!(remaining(200, false), "剩余 3 小时 20 分（工作时间）");
        assert_eq!(remaining(-61, true), "overdue by 1 h 1 min of working time");
        assert_eq!(duration(0, false), "0 分");
        assert_eq!(duration(60 * 24 + 5, true), "1 d 5 min");
    }

    #[test]
    fn every_action_has_both_labels() {
        for a in crate::domain::access::TicketAction::ALL {
            let name = a.name();
            assert_ne!(action(name, false), name, "{name}");
            assert_ne!(action(name, true), name, "{name}");
        }
        assert_eq!(status("pending_sign", false), "待签收");
    }

    #[test]
    fn every_mail_kind_has_a_name_in_both_languages() {
        for kind in crate::mail::MailKind::all() {
            let (zh, en) = (
                mail_kind(kind.as_str(), false),
                mail_kind(kind.as_str(), true),
            );
            assert_ne!(zh, "其他邮件", "{}", kind.as_str());
            assert!(!zh.chars().any(|c| c.is_ascii_alphabetic()), "{zh}");
            assert_ne!(en, "Other e-mail");
        }
    }
}
