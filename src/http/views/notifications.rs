//! A notice inside the application as both faces show it: its kind, the
//! ticket it is about, and its headline in the reader's language (the row
//! keeps the kind and the arguments, never words).

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::services::notifications::NotificationPage;
use crate::storage::notifications::Notification;
use crate::words::{fill, text, Lang};

/// One notice of the caller's.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: i64,
    /// The same kinds as the e-mails (`new_ticket`, `assigned`, `signed_for`,
    /// `overdue`, ...; see `GET /api/v1/me/notices`).
    pub kind: String,
    /// What happened, in the caller's language.
    pub headline: String,
    pub ticket_id: i64,
    /// The ticket's number, `{county}-{yyyymmdd}-{seq}`.
    pub ticket_number: String,
    pub ticket_title: String,
    /// The ticket's page.
    pub link: String,
    pub created_at: DateTime<Utc>,
    /// When it was read; null while unread.
    pub read_at: Option<DateTime<Utc>>,
}

/// A page of the caller's notices, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    pub items: Vec<NotificationView>,
    /// All the caller's unread notices (not only this page's).
    pub unread: i64,
    /// Pass as `before` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_before: Option<i64>,
}

/// After marking all read: how many were unread, and how many are now.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadAll {
    pub marked: usize,
    pub unread: i64,
}

fn param(params: &serde_json::Value, key: &str) -> String {
    match params.get(key) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// The catalogue key of a notice's headline.
fn headline_key(kind: &str, fyi: bool, approved: bool) -> &'static str {
    match kind {
        "new_ticket" if fyi => "desk_notices.kind_copy",
        "new_ticket" => "desk_notices.kind_new_ticket",
        "assigned" => "desk_notices.kind_assigned",
        "signed_for" => "desk_notices.kind_signed_for",
        "info_requested" => "desk_notices.kind_info_requested",
        "info_provided" => "desk_notices.kind_info_provided",
        "resolved" => "desk_notices.kind_resolved",
        "rejected" => "desk_notices.kind_rejected",
        "sla_warning" => "desk_notices.kind_sla_warning",
        "overdue" => "desk_notices.kind_overdue",
        "urged" => "desk_notices.kind_urged",
        "cohandling_requested" => "desk_notices.kind_cohandling_requested",
        "comment" => "desk_notices.kind_comment",
        "extension_requested" => "desk_notices.kind_extension_requested",
        "extension_decided" if approved => "desk_notices.kind_extension_approved",
        "extension_decided" => "desk_notices.kind_extension_decided",
        "reopened" => "desk_notices.kind_reopened",
        "daily_report_missing" => "daily.notice_headline",
        _ => "desk_notices.kind_other",
    }
}

/// The headline of a notice of `kind`: an SLA notice names its step, a
/// copy for information says so.
pub fn headline(lang: Lang, kind: &str, params: &serde_json::Value) -> String {
    let flag = |key: &str| params.get(key).and_then(serde_json::Value::as_bool) == Some(true);
    let sla = param(params, "kind");
    let step = if sla.starts_with("sign") {
        "mail_text.step_sign"
    } else if sla.starts_with("cohandle") {
        "mail_text.step_cohandling"
    } else {
        "mail_text.step_resolve"
    };
    fill(
        lang,
        headline_key(kind, flag("fyi"), flag("approve")),
        &[("step", &text(lang, step))],
    )
}

impl NotificationView {
    pub fn of(n: &Notification, lang: Lang) -> NotificationView {
        let params: serde_json::Value = serde_json::from_str(&n.params).unwrap_or_default();
        NotificationView {
            id: n.id,
            kind: n.kind.clone(),
            headline: headline(lang, &n.kind, &params),
            ticket_id: n.ticket_id,
            ticket_number: param(&params, "number"),
            ticket_title: param(&params, "title"),
            link: format!("/tickets/{}", n.ticket_id),
            created_at: n.created_at.and_utc(),
            read_at: n.read_at.map(|at| at.and_utc()),
        }
    }
}

impl NotificationList {
    pub fn of(page: &NotificationPage, lang: Lang) -> NotificationList {
        NotificationList {
            items: page
                .items
                .iter()
                .map(|n| NotificationView::of(n, lang))
                .collect(),
            unread: page.unread,
            next_before: page.next_before,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::notify::Notice;

    #[test]
    fn every_ticket_notice_has_its_own_headline_in_both_languages() {
        for n in Notice::ALL.into_iter().filter(|n| *n != Notice::Digest) {
            assert_ne!(
                headline_key(n.as_str(), false, false),
                "desk_notices.kind_other",
                "{n:?}"
            );
            for lang in [Lang::Zh, Lang::En] {
                assert!(!headline(lang, n.as_str(), &serde_json::json!({})).is_empty());
            }
        }
        let sla = serde_json::json!({"kind": "sign_overdue"});
        assert_eq!(headline(Lang::Zh, "overdue", &sla), "签收已超时");
        let copy = serde_json::json!({"fyi": true});
        assert_eq!(
            headline(Lang::Zh, "new_ticket", &copy),
            "抄送知悉：企业诉求已分派"
        );
        assert_eq!(headline(Lang::En, "gossip", &copy), "News on a ticket");
    }
}
