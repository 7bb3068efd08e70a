//! 日报: the enterprise's daily report on a phone-sized page. Today's
//! form starts from the last report; a refused form comes back with what
//! was typed and why; a saved blocker becomes a ticket in one step, and
//! the page shows that ticket's status.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Datelike, NaiveDate};

use serde::Deserialize;

use super::labels;
use super::session::{check_csrf, Viewer};
use super::{failed, fill, page, say, see_other, AppState, Chrome, FormErrors, PageError};
use crate::domain::monitoring::{
    beijing_date, BlockerInput, OperatingStatus, ReportInput, MAX_BLOCKERS,
};
use crate::http::problem::ApiError;
use crate::services::monitoring::blockers::{self, title_of, BlockerFiling};
use crate::services::monitoring::reports::{self, as_input, FormState};
use crate::services::monitoring::{MonitoringError, Rules};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/daily", web::get().to(today))
        .route("/daily/{date}", web::get().to(show))
        .route("/daily/{date}", web::post().to(save))
        .route(
            "/daily/{date}/blockers/{id}/ticket",
            web::post().to(to_ticket),
        );
}

/// A blank or filled row of the blockers' part of the form.
pub struct Slot {
    pub n: usize,
    pub category: String,
    pub text: String,
}

/// A saved blocker: what it says, and its ticket or the form to file one.
pub struct Saved {
    pub id: i64,
    pub category: String,
    pub text: String,
    /// (ticket id, number, status in words).
    pub ticket: Option<(i64, String, String)>,
    pub title: String,
}

#[derive(Template)]
#[template(path = "daily.html")]
struct DailyPage {
    c: Chrome,
    day: String,
    day_label: String,
    previous_day: String,
    next_day: Option<String>,
    state_line: String,
    late: bool,
    filed: bool,
    can_edit: bool,
    prefilled_from: Option<String>,
    f: ReportInput,
    errors: FormErrors,
    statuses: Vec<(&'static str, &'static str)>,
    categories: Vec<(String, String)>,
    slots: Vec<Slot>,
    saved: Vec<Saved>,
    urgencies: Vec<(&'static str, String)>,
    recent: Vec<(String, String, String, bool)>,
    done: Option<String>,
}

fn rules(state: &AppState) -> Rules {
    Rules::of(&state.settings.monitoring)
}

fn day_of(req: &HttpRequest, text: &str) -> Result<NaiveDate, actix_web::Error> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| PageError::not_found(req).into())
}

/// 2022年4月28日 星期四 / Thursday 2022-04-28.
fn day_label(c: &Chrome, day: NaiveDate) -> String {
    let weekday = c.t(match day.weekday() {
        chrono::Weekday::Mon => "daily.weekday_mon",
        chrono::Weekday::Tue => "daily.weekday_tue",
        chrono::Weekday::Wed => "daily.weekday_wed",
        chrono::Weekday::Thu => "daily.weekday_thu",
        chrono::Weekday::Fri => "daily.weekday_fri",
        chrono::Weekday::Sat => "daily.weekday_sat",
        chrono::Weekday::Sun => "daily.weekday_sun",
    });
    fill(
        c.lang(),
        "daily.day_label",
        &[
            ("y", &day.year()),
            ("m", &day.month()),
            ("d", &day.day()),
            ("weekday", &weekday),
        ],
    )
}

fn refusal(req: &HttpRequest, e: MonitoringError) -> actix_web::Error {
    match e {
        MonitoringError::NotFound => PageError::not_found(req).into(),
        e => failed(req, ApiError::from(e)),
    }
}

async fn today(state: web::Data<AppState>) -> HttpResponse {
    see_other(&format!("/daily/{}", beijing_date(state.sla.now())))
}

#[derive(Debug, Deserialize)]
struct ShowQuery {
    done: Option<String>,
}

async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<String>,
    q: web::Query<ShowQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    let day = day_of(&req, &path)?;
    let done = q.done.as_deref().and_then(|d| match d {
        "saved" => Some("daily.saved"),
        "unchanged" => Some("daily.unchanged"),
        "ticket" => Some("daily.ticket_filed"),
        _ => None,
    });
    render(
        &state,
        &req,
        &v,
        day,
        None,
        FormErrors::default(),
        done,
        StatusCode::OK,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppState,
    req: &HttpRequest,
    v: &Viewer,
    day: NaiveDate,
    returned: Option<ReportInput>,
    errors: FormErrors,
    done: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, actix_web::Error> {
    let c = Chrome::for_viewer(req, v);
    let en = c.en;
    let today = beijing_date(state.sla.now());
    if day > today {
        return Err(PageError::not_found(req).into());
    }
    let s: FormState = reports::form_state(&state.db, &state.sla, rules(state), &v.caller, day)
        .await
        .map_err(|e| refusal(req, e))?;
    let stored_input = s.stored.as_ref().map(|r| as_input(&r.report()));
    let prefilled_from = match (&s.stored, &s.previous, &returned) {
        (None, Some((d, _)), None) => Some(fill(
            c.lang(),
            "daily.prefilled_from",
            &[("day", &day_label(&c, *d))],
        )),
        _ => None,
    };
    let mut f = match returned {
        Some(r) => r,
        None => stored_input
            .or_else(|| s.previous.as_ref().map(|(_, r)| as_input(r)))
            .unwrap_or_default(),
    };
    // Saved blockers are listed below the form with their tickets; the
    // form's rows are for new ones (and the others, to change them).
    let saved: Vec<Saved> = s
        .stored
        .iter()
        .flat_map(|r| r.blockers.iter())
        .map(|b| Saved {
            id: b.row.id,
            category: s.categories.label(&b.row.category, en),
            text: b.row.text.clone(),
            ticket: b
                .ticket
                .as_ref()
                .map(|(id, n, st)| (*id, n.clone(), labels::status(st, en))),
            title: title_of(&b.row.text),
        })
        .collect();
    let ticketed: Vec<(String, String)> = s
        .stored
        .iter()
        .flat_map(|r| r.blockers.iter())
        .filter(|b| b.ticket.is_some())
        .map(|b| (b.row.category.clone(), b.row.text.clone()))
        .collect();
    f.blockers
        .retain(|b| !ticketed.contains(&(b.category.clone(), b.text.clone())));
    let mut slots: Vec<Slot> = f
        .blockers
        .iter()
        .enumerate()
        .map(|(i, b)| Slot {
            n: i + 1,
            category: b.category.clone(),
            text: b.text.clone(),
        })
        .collect();
    let room = MAX_BLOCKERS.saturating_sub(ticketed.len());
    // Two blank rows after the typed ones, within the five a report holds.
    let rows = (slots.len() + 2).min(room);
    while slots.len() < rows {
        slots.push(Slot {
            n: slots.len() + 1,
            category: String::new(),
            text: String::new(),
        });
    }
    let filed = s.stored.is_some();
    let late = s.stored.as_ref().is_some_and(|r| r.row.late);
    let can_edit = s.stored.as_ref().is_none_or(|r| r.correctable);
    let until = crate::mail::context::beijing(
        s.deadline,
        if en {
            crate::mail::Locale::En
        } else {
            crate::mail::Locale::Zh
        },
    );
    let state_line = match &s.stored {
        None if state.sla.now() > s.deadline => say(c.lang(), "daily.state_missing_late"),
        None => fill(c.lang(), "daily.state_missing", &[("until", &until)]),
        Some(r) if r.row.late => say(c.lang(), "daily.state_late"),
        Some(r) if r.correctable => fill(
            c.lang(),
            "daily.state_filed",
            &[("until", &until), ("n", &r.row.revision)],
        ),
        Some(_) => say(c.lang(), "daily.state_closed"),
    };
    let statuses = OperatingStatus::ALL
        .iter()
        .map(|st| (st.as_str(), c.t(st.key())))
        .collect();
    let recent = s
        .recent
        .iter()
        .map(|(d, st, late)| {
            let label =
                OperatingStatus::parse(st).map_or_else(|| st.clone(), |x| c.t(x.key()).to_string());
            (d.to_string(), day_label(&c, *d), label, *late)
        })
        .collect();
    let p = DailyPage {
        day: day.to_string(),
        day_label: day_label(&c, day),
        previous_day: (day - chrono::Days::new(1)).to_string(),
        next_day: (day < today).then(|| (day + chrono::Days::new(1)).to_string()),
        state_line,
        late,
        filed,
        can_edit,
        prefilled_from,
        f,
        errors,
        statuses,
        categories: s.categories.offered(en),
        slots,
        saved,
        urgencies: labels::urgencies(en),
        recent,
        done: done.map(|k| say(c.lang(), k)),
        c,
    };
    Ok(page(status, p.render()))
}

/// The form's fields, read from its text (the blockers' rows are numbered).
fn input_of(form: &HashMap<String, String>) -> ReportInput {
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    ReportInput {
        status: get("status"),
        staff_on_duty: get("staff_on_duty"),
        staff_usual: get("staff_usual"),
        capacity_percent: get("capacity_percent"),
        output_quantity: get("output_quantity"),
        output_unit: get("output_unit"),
        inventory_days: get("inventory_days"),
        blockers: (1..=MAX_BLOCKERS + 1)
            .map(|n| BlockerInput {
                category: get(&format!("b{n}_category")),
                text: get(&format!("b{n}_text")),
            })
            .collect(),
    }
}

async fn save(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<String>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, actix_web::Error> {
    let day = day_of(&req, &path)?;
    check_csrf(&req, form.get("csrf").map_or("", String::as_str))?;
    let mut input = input_of(&form);
    // Blockers that became tickets stay on the report (the service keeps
    // them); the form sends only the others.
    if let Ok(Some(stored)) =
        reports::get(&state.db, &state.sla, rules(&state), &v.caller, day).await
    {
        for b in stored.blockers.iter().filter(|b| b.ticket.is_some()) {
            input.blockers.push(BlockerInput {
                category: b.row.category.clone(),
                text: b.row.text.clone(),
            });
        }
    }
    match reports::file(
        &state.db,
        &state.sla,
        rules(&state),
        &v.caller,
        day,
        input.clone(),
    )
    .await
    {
        Ok((_, reports::Outcome::Unchanged)) => {
            Ok(see_other(&format!("/daily/{day}?done=unchanged")))
        }
        Ok(_) => Ok(see_other(&format!("/daily/{day}?done=saved"))),
        Err(MonitoringError::Invalid(issues)) => {
            let lang = Chrome::for_viewer(&req, &v).lang();
            let errors = FormErrors::of(crate::http::problem::invalid(issues), lang);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render(
                &state,
                &req,
                &v,
                day,
                Some(input_of(&form)),
                errors,
                None,
                status,
            )
            .await
        }
        Err(e @ (MonitoringError::CorrectionClosed | MonitoringError::FutureDay)) => {
            let lang = Chrome::for_viewer(&req, &v).lang();
            let errors = FormErrors::of(ApiError::from(e), lang);
            render(
                &state,
                &req,
                &v,
                day,
                Some(input_of(&form)),
                errors,
                None,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(refusal(&req, e)),
    }
}

#[derive(Debug, Default, Deserialize)]
struct TicketForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    title: String,
}

async fn to_ticket(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<(String, i64)>,
    form: web::Form<TicketForm>,
) -> Result<HttpResponse, actix_web::Error> {
    let (date, id) = path.into_inner();
    let day = day_of(&req, &date)?;
    check_csrf(&req, &form.csrf)?;
    let choice = BlockerFiling {
        urgency: form.urgency.clone(),
        title: form.title.clone(),
        ..Default::default()
    };
    match blockers::to_ticket(&state.db, &state.sla, &state.filing, &v.caller, id, choice).await {
        Ok(_) => Ok(see_other(&format!("/daily/{day}?done=ticket"))),
        Err(MonitoringError::Ticket(t)) => {
            // The filing's refusal, said above the page (the blocker's
            // own form holds only the urgency and title).
            let lang = Chrome::for_viewer(&req, &v).lang();
            let e = FormErrors::of(ApiError::from(t), lang);
            let mut general = e.general;
            general.extend(e.fields.into_values());
            let errors = FormErrors {
                general,
                ..FormErrors::default()
            };
            render(
                &state,
                &req,
                &v,
                day,
                None,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(refusal(&req, e)),
    }
}
