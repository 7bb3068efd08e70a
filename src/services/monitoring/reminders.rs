//! Missing reports: at `[monitoring] reminder_time` on each working day the
//! enterprises of any list that have not reported for the day get a
//! notice (daily_report_missing) through the outbox, once each however
//! many instances run the job; and a list's readers urge (催报) the
//! enterprises of its missing list (缺报名单), once each a day.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::{readable, write, MonitoringError};
use crate::domain::access::{may_urge_reports, Caller, MonitoringView};
use crate::domain::monitoring::beijing_date;
use crate::domain::notify::{Audience, Notice};
use crate::services::sla::Sla;
use crate::storage::missing_reports;
use crate::storage::monitoring_days::{record_reminders, NewReminder};
use crate::storage::outbox::{self, NewMessage};
use crate::storage::schema::{enterprises, monitoring_lists, monitoring_members};
use crate::storage::{AnyConnection, Database};

/// Enterprises noticed per transaction.
const BATCH: i64 = 500;

/// Queues the notices of `kind` (`auto` or `urge`) for the enterprises
/// whose reminder was recorded now; returns the e-mails written.
fn queue(
    conn: &mut AnyConnection,
    enterprise_ids: &[i64],
    day: NaiveDate,
    urged_by: Option<&str>,
    at: chrono::NaiveDateTime,
) -> diesel::QueryResult<usize> {
    use diesel::prelude::*;
    if enterprise_ids.is_empty() {
        return Ok(0);
    }
    let names: HashMap<i64, String> = enterprises::table
        .filter(enterprises::id.eq_any(enterprise_ids))
        .select((enterprises::id, enterprises::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let mut lists: HashMap<i64, Vec<String>> = HashMap::new();
    for (e, name) in monitoring_members::table
        .inner_join(monitoring_lists::table)
        .filter(monitoring_members::enterprise_id.eq_any(enterprise_ids))
        .order(monitoring_lists::name.asc())
        .select((monitoring_members::enterprise_id, monitoring_lists::name))
        .load::<(i64, String)>(conn)?
    {
        lists.entry(e).or_default().push(name);
    }
    let audiences: Vec<Audience> = enterprise_ids
        .iter()
        .map(|e| Audience::Enterprise(*e))
        .collect();
    let people = outbox::reachable(conn, &audiences)?;
    let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
    let off = outbox::turned_off(conn, &ids)?;
    let kind = Notice::DailyReportMissing.as_str();
    let mut rows = Vec::new();
    for e in enterprise_ids {
        let params = serde_json::json!({
            "enterprise_id": e,
            "enterprise": names.get(e).cloned().unwrap_or_default(),
            "day": day.to_string(),
            "lists": lists.get(e).cloned().unwrap_or_default(),
            "urged": urged_by.is_some(),
            "department": urged_by.unwrap_or_default(),
        })
        .to_string();
        for p in people.iter().filter(|p| p.is_in(&Audience::Enterprise(*e))) {
            if off.contains(&(p.id, kind.to_string())) {
                continue;
            }
            rows.push(NewMessage {
                notice: kind.into(),
                ticket_id: None,
                recipient_user_id: Some(p.id),
                to_address: p.email.clone(),
                locale: p.locale.clone(),
                params: params.clone(),
                status: "pending".into(),
                next_attempt_at: at,
                created_at: at,
            });
        }
    }
    outbox::insert_all(conn, &rows)?;
    Ok(rows.len())
}

/// Sends the notices of the day due at `now`: on a working day (the work
/// calendar decides), from `at` (Beijing) on. Returns the enterprises
/// noticed now.
pub async fn send_due(
    db: &Database,
    sla: &Sla,
    now: DateTime<Utc>,
    at: NaiveTime,
) -> Result<usize, MonitoringError> {
    let local = now.with_timezone(&chrono_tz::Asia::Shanghai);
    if local.time() < at {
        return Ok(0);
    }
    let day = local.date_naive();
    let working = {
        let sla = sla.clone();
        super::read(db, move |conn| {
            Ok(sla.snapshot(conn)?.calendar.is_working_day(day))
        })
        .await?
    };
    if !working {
        return Ok(0);
    }
    let mut noticed = 0;
    loop {
        let n = write(db, move |conn| {
            let ids = missing_reports::unreminded(conn, day, BATCH)?;
            if ids.is_empty() {
                return Ok(None);
            }
            let rows: Vec<NewReminder> = ids
                .iter()
                .map(|e| NewReminder {
                    enterprise_id: *e,
                    day,
                    kind: "auto".into(),
                    list_id: None,
                    sent_by: None,
                    created_at: now.naive_utc(),
                })
                .collect();
            // Another instance may have recorded some meanwhile: only the
            // ones recorded now are noticed here.
            let fresh = record_reminders(conn, &rows)?;
            queue(conn, &fresh, day, None, now.naive_utc())?;
            Ok(Some(fresh.len()))
        })
        .await?;
        match n {
            None => return Ok(noticed),
            Some(k) => noticed += k,
        }
    }
}

/// What an urging did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Urged {
    /// Enterprises urged now.
    pub urged: usize,
    /// Missing enterprises urged before, that day.
    pub already: usize,
}

/// Urges the list's missing enterprises of `day` the caller sees (only
/// `only` when given), each once a day.
pub async fn urge(
    db: &Database,
    caller: &Caller,
    list_id: i64,
    day: NaiveDate,
    only: Option<Vec<i64>>,
    now: DateTime<Utc>,
) -> Result<Urged, MonitoringError> {
    if day > beijing_date(now) {
        return Err(MonitoringError::FutureDay);
    }
    let caller = caller.clone();
    write(db, move |conn| {
        let r = readable(conn, &caller, list_id)?;
        if !may_urge_reports(&caller, Some(&r.view)) {
            return Err(MonitoringError::NotPermitted(
                "daily_problem.only_readers_urge",
            ));
        }
        let (prefix, chain) = match &r.view {
            MonitoringView::Whole => (None, None),
            MonitoringView::Region(code, _) => (Some(code.subtree_prefix().to_string()), None),
            MonitoringView::Chain(c) => (None, Some(c.clone())),
        };
        let missing = missing_reports::missing(
            conn,
            list_id,
            day,
            prefix.as_deref(),
            chain.as_deref(),
            0,
            100_000,
        )?;
        let targets: Vec<i64> = missing
            .iter()
            .map(|m| m.enterprise_id)
            .filter(|id| only.as_ref().is_none_or(|o| o.contains(id)))
            .collect();
        if only
            .as_ref()
            .is_some_and(|o| o.iter().any(|id| !targets.contains(id)))
        {
            return Err(MonitoringError::Invalid(vec![
                crate::domain::enterprise::issue("enterprise_ids", "daily_field.not_missing"),
            ]));
        }
        let rows: Vec<NewReminder> = targets
            .iter()
            .map(|e| NewReminder {
                enterprise_id: *e,
                day,
                kind: "urge".into(),
                list_id: Some(list_id),
                sent_by: Some(caller.user_id),
                created_at: now.naive_utc(),
            })
            .collect();
        let fresh = record_reminders(conn, &rows)?;
        let department = match caller.department.as_ref() {
            Some(d) => crate::storage::departments::Department::find(conn, d.id)?
                .map(|d| d.name)
                .unwrap_or_default(),
            None => String::new(),
        };
        queue(conn, &fresh, day, Some(&department), now.naive_utc())?;
        Ok(Urged {
            urged: fresh.len(),
            already: targets.len() - fresh.len(),
        })
    })
    .await
}
