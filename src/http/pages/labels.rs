//! The words pages show for codes: urgencies, statuses, actions, roles of
//! a department on a ticket, units, kinds. The words are in the page
//! catalogue (`locales/*.toml`), one area per kind of code, keyed by the
//! code; a code the catalogue does not know shows as itself. Categories
//! and chains are data ([`crate::domain::catalogue`]), named from the
//! database.

use crate::domain::ticket::Status;
use crate::words::{fill, lookup};

use crate::words::lang_of as lang;

/// The catalogue's word for a code of a kind (`status`, `pending_sign`).
pub fn word(area: &str, code: &str, en: bool) -> String {
    lookup(lang(en), &format!("{area}.{code}")).map_or_else(|| code.to_string(), str::to_string)
}

/// The catalogue areas whose keys are codes, looked up with [`word`]
/// (the catalogue test does not expect their keys in the sources).
#[cfg(test)]
pub const CODE_AREAS: [&str; 15] = [
    "clock_state",
    "role",
    "urgency",
    "sla_unit",
    "status",
    "action",
    "satisfaction",
    "mail_kind",
    "locale",
    "department_kind",
    "listed",
    "reach",
    "target_level",
    "outbox_status",
    "duration",
];

pub const URGENCIES: [&str; 3] = ["normal", "urgent", "critical"];

pub fn urgency(code: &str, en: bool) -> String {
    word("urgency", code, en)
}

/// Every urgency: (code, label).
pub fn urgencies(en: bool) -> Vec<(&'static str, String)> {
    URGENCIES.iter().map(|c| (*c, urgency(c, en))).collect()
}

/// A time-limit policy's name: the three built-in ones are named after
/// the urgency they serve; others are the administrators' own names.
pub fn policy_name(name: &str, en: bool) -> String {
    if URGENCIES.contains(&name) {
        urgency(name, en)
    } else {
        name.to_string()
    }
}

/// Units of a time limit.
pub const SLA_UNITS: [&str; 3] = ["working_minutes", "working_days", "clock_minutes"];

pub fn sla_unit(code: &str, en: bool) -> String {
    word("sla_unit", code, en)
}

pub fn status(code: &str, en: bool) -> String {
    word("status", code, en)
}

/// Every status: (code, label).
pub fn statuses(en: bool) -> Vec<(&'static str, String)> {
    Status::ALL
        .iter()
        .map(|s| (s.as_str(), status(s.as_str(), en)))
        .collect()
}

/// An action as a button or timeline entry says it.
pub fn action(name: &str, en: bool) -> String {
    word("action", name, en)
}

pub fn satisfaction(code: &str, en: bool) -> String {
    word("satisfaction", code, en)
}

/// An instant (kept in UTC) as Beijing time, to the minute.
pub fn beijing(at: chrono::NaiveDateTime) -> String {
    at.and_utc()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A deadline as people write it beside a span: `12月9日 17:30`,
/// `9 Dec 17:30` (Beijing time).
pub fn deadline(at: chrono::NaiveDateTime, en: bool) -> String {
    let local = at.and_utc().with_timezone(&chrono_tz::Asia::Shanghai);
    if en {
        return local.format("%-d %b %H:%M").to_string();
    }
    use chrono::Datelike;
    fill(
        lang(en),
        "duration.deadline",
        &[
            ("month", &local.month()),
            ("day", &local.day()),
            ("time", &local.format("%H:%M")),
        ],
    )
}

/// Time left before a deadline, or how far past it, in the unit its
/// window counts in (working days and hours, or wall minutes for 特急).
pub fn remaining(left: &crate::domain::sla::TimeLeft, en: bool) -> String {
    crate::words::time_left(lang(en), left)
}

/// A kind of e-mail, as a person calls it.
pub fn mail_kind(kind: &str, en: bool) -> String {
    lookup(lang(en), &format!("mail_kind.{kind}"))
        .unwrap_or_else(|| crate::words::text(lang(en), "mail_kind.other"))
        .to_string()
}

/// A template's language, as a person calls it.
pub fn locale_name(locale: &str, en: bool) -> String {
    word("locale", if locale == "en" { "en" } else { "zh" }, en)
}

/// A kind of department, as a person calls it.
pub fn department_kind(kind: &str, en: bool) -> String {
    lookup(lang(en), &format!("department_kind.{kind}"))
        .unwrap_or_else(|| crate::words::text(lang(en), "department_kind.other"))
        .to_string()
}

/// A routing rule's white-list condition.
pub fn listed(code: &str, en: bool) -> String {
    word("listed", code, en)
}

/// A routing rule's reach condition.
pub fn reach(code: &str, en: bool) -> String {
    word("reach", code, en)
}

/// The level a routing rule sends to.
pub fn target_level(code: &str, en: bool) -> String {
    word("target_level", code, en)
}

/// An outbox message's state, as a person calls it.
pub fn outbox_status(status: &str, en: bool) -> String {
    lookup(lang(en), &format!("outbox_status.{status}"))
        .unwrap_or_else(|| crate::words::text(lang(en), "outbox_status.other"))
        .to_string()
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
        assert_eq!(deadline(at, false), "4月28日 09:30");
        assert_eq!(deadline(at, true), "28 Apr 09:30");
    }

    #[test]
    fn time_left_reads_in_the_unit_of_its_policy() {
        use crate::domain::sla::{time_left, Unit};
        const DAY: i64 = 450;
        let say = |unit, working, clock, en| remaining(&time_left(unit, working, clock, DAY), en);
        // The examples.
        assert_eq!(
            say(Unit::WorkingDays, 2 * DAY + 180, 0, false),
            "剩余 2 个工作日 3 小时"
        );
        assert_eq!(
            say(Unit::WorkingDays, -30 * 60, 0, false),
            "已超时 4 个工作日"
        );
        assert_eq!(
            say(Unit::WorkingDays, -24 * DAY, 0, false),
            "已超时 24 个工作日"
        );
        // 特急: clock minutes, whatever the working time.
        assert_eq!(say(Unit::ClockMinutes, 0, 25, false), "剩余 25 分钟");
        assert_eq!(say(Unit::ClockMinutes, 0, 30, false), "剩余 30 分钟");
        assert_eq!(
            say(Unit::ClockMinutes, -300, -(26 * 60 + 5), false),
            "已超时 1 天 2 小时"
        );
        assert_eq!(
            say(Unit::ClockMinutes, 0, 23 * 60 + 10, false),
            "剩余 23 小时 10 分钟"
        );
        // Working hours say they are working time.
        assert_eq!(
            say(Unit::WorkingMinutes, 100, 0, false),
            "剩余 1 小时 40 分钟（工作时间）"
        );
        assert_eq!(say(Unit::WorkingDays, DAY + 5, 0, false), "剩余 1 个工作日");
        assert_eq!(
            say(Unit::WorkingDays, 0, 0, false),
            "剩余 0 分钟（工作时间）"
        );
        assert_eq!(
            say(Unit::WorkingDays, 2 * DAY + 180, 0, true),
            "2 working days 3 h left"
        );
        assert_eq!(
            say(Unit::WorkingDays, -DAY, 0, true),
            "overdue by 1 working day"
        );
        assert_eq!(say(Unit::ClockMinutes, 0, 25, true), "25 min left");
        assert_eq!(
            say(Unit::WorkingMinutes, -61, 0, true),
            "overdue by 1 h 1 min of working time"
        );
    }

    #[test]
    fn every_action_has_both_labels() {
        for a in crate::domain::access::TicketAction::ALL {
            let name = a.name();
            assert_ne!(action(name, false), name, "{name}");
            assert_ne!(action(name, true), name, "{name}");
        }
        assert_eq!(status("pending_sign", false), "待签收");
        for role in crate::domain::role::Role::ALL {
            for en in [false, true] {
                let label = super::super::chrome::role_label(role, en);
                assert!(!label.is_empty(), "{role:?}");
            }
        }
        for s in Status::ALL {
            assert_ne!(status(s.as_str(), false), s.as_str());
            assert_ne!(status(s.as_str(), true), s.as_str());
        }
        for code in URGENCIES {
            assert_ne!(urgency(code, false), code);
        }
        for code in SLA_UNITS {
            assert_ne!(sla_unit(code, false), code);
        }
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
