//! A ticket's timeline entries in words: who did what, the details an
//! action's event keeps (a routing rule, a department, a deadline moved).

use super::labels::{self, beijing};
use super::ticket::Entry;
use super::ticket_names::Names;
use super::{fill, lang_of, say};
use crate::http::views::ticket::EventView;

/// Why a filing went where it did, in the reader's language. The event
/// keeps the router's own words (`rule 3 “name”`, or the default); the
/// rule's name is the administrators' text and is kept as written.
fn routing_why(why: &str, rule: Option<i64>, en: bool) -> String {
    let name = why
        .split_once('“')
        .and_then(|(_, rest)| rest.rsplit_once('”'))
        .map(|(name, _)| name);
    let lang = lang_of(en);
    match (rule, name) {
        (Some(id), Some(name)) => fill(lang, "timeline.rule", &[("id", &id), ("name", &name)]),
        (Some(id), None) => fill(lang, "timeline.rule_unnamed", &[("id", &id)]),
        (None, _) => say(lang, "timeline.no_rule"),
    }
}

pub(in crate::http::pages) fn entry(e: &EventView, names: &Names, staff: bool, en: bool) -> Entry {
    let dept = |id: i64| {
        names
            .departments
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("#{id}"))
    };
    let who = match (e.actor_id, e.actor_department_id) {
        (_, Some(d)) if !staff => dept(d),
        (Some(u), Some(d)) => format!(
            "{} · {}",
            names.users.get(&u).cloned().unwrap_or_default(),
            dept(d)
        ),
        (Some(u), None) => names.users.get(&u).cloned().unwrap_or_default(),
        (None, Some(d)) => dept(d),
        (None, None) => say(lang_of(en), "timeline.the_system"),
    };
    let mut detail = Vec::new();
    if let Some(d) = &e.detail {
        let id_of = |k: &str| d.get(k).and_then(serde_json::Value::as_i64);
        let lang = lang_of(en);
        let line = |key: &str, value: &dyn std::fmt::Display| fill(lang, key, &[("value", value)]);
        for (key, text) in [
            ("routed_to", "timeline.routed_to"),
            ("target", "timeline.target"),
            ("department", "timeline.department"),
            ("notified_department", "timeline.notified_department"),
        ] {
            if let Some(id) = id_of(key) {
                detail.push(line(text, &dept(id)));
            }
        }
        if let Some(why) = d.get("why").and_then(|w| w.as_str()).filter(|_| staff) {
            let rule = id_of("rule_id");
            detail.push(line("timeline.why", &routing_why(why, rule, en)));
        }
        if let Some(a) = id_of("assignee") {
            let name = names
                .users
                .get(&a)
                .cloned()
                .unwrap_or_else(|| format!("#{a}"));
            detail.push(line("timeline.assignee", &name));
        }
        if let Some(n) = id_of("working_days") {
            detail.push(line("timeline.working_days", &n));
        }
        if let Some(a) = d.get("approve").and_then(serde_json::Value::as_bool) {
            detail.push(say(
                lang,
                if a {
                    "timeline.approved"
                } else {
                    "timeline.refused"
                },
            ));
        }
        if let Some(s) = d.get("satisfaction").and_then(|s| s.as_str()) {
            detail.push(labels::satisfaction(s, en));
        }
        if let Some(s) = d.get("solved").and_then(serde_json::Value::as_bool) {
            detail.push(say(
                lang,
                if s {
                    "timeline.solved"
                } else {
                    "timeline.not_solved"
                },
            ));
        }
        for (key, text) in [
            ("sign_due", "timeline.sign_due"),
            ("resolve_due", "timeline.resolve_due"),
        ] {
            let at = |k: &str| {
                d.get(key)
                    .and_then(|c| c.get(k))
                    .and_then(|s| s.as_str())
                    .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                    .map(|at| beijing(at.naive_utc()))
            };
            if let (Some(from), Some(to)) = (at("from"), at("to")) {
                detail.push(fill(lang, text, &[("from", &from), ("to", &to)]));
            }
        }
        if let Some(due) = d.get("due_at").and_then(|s| s.as_str()) {
            if let Ok(at) = chrono::DateTime::parse_from_rfc3339(due) {
                detail.push(line("timeline.due_at", &beijing(at.naive_utc())));
            }
        }
    }
    Entry {
        files: Vec::new(),
        at: beijing(e.at.naive_utc()),
        action: labels::action(&e.action, en),
        who,
        note: e.note.clone(),
        detail,
        internal: e.internal,
        sla: e.seq.is_none(),
    }
}
