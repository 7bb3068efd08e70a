//! SLA policies and the work calendar: targets per policy, the marked
//! days of a year, and loading a calendar file.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Datelike;
use serde::Deserialize;

use super::super::AppState;
use super::admin;
use crate::http::pages::labels;
use crate::http::pages::session::{check_csrf, page_lang, Viewer};
use crate::http::pages::{
    failed, fill, lang_of, page, say, see_other, Chrome, FormErrors, PageError,
};
use crate::http::problem::ApiError;
use crate::services::calendar;
use crate::services::sla_policies::{self, PolicyView, TargetView};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/sla", web::get().to(show))
        .route("/admin/sla/policies", web::post().to(put_policy))
        .route("/admin/sla/calendar", web::post().to(load_calendar));
}

/// A policy as its form holds it.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct PolicyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub sign_value: String,
    #[serde(default)]
    pub sign_unit: String,
    #[serde(default)]
    pub resolve_value: String,
    #[serde(default)]
    pub resolve_unit: String,
    #[serde(default)]
    pub warning_percent: String,
    #[serde(default)]
    pub escalation_working_days: String,
}

pub struct PolicyShown {
    pub f: PolicyForm,
    /// The policy's name and units as people read them.
    pub label: String,
    pub sign_unit: String,
    pub resolve_unit: String,
    pub errors: FormErrors,
    pub open: bool,
    pub is_new: bool,
}

pub struct DayShown {
    pub date: String,
    pub kind: &'static str,
    pub note: String,
}

#[derive(Template)]
#[template(path = "admin_sla.html")]
struct SlaPage {
    c: Chrome,
    policies: Vec<PolicyShown>,
    year: i32,
    days: Vec<DayShown>,
    calendar_text: String,
    calendar_errors: FormErrors,
    units: Vec<(&'static str, String)>,
    done: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SlaQuery {
    year: Option<i32>,
    done: Option<String>,
    /// Deadlines a calendar load moved.
    moved: Option<usize>,
}

enum Failed {
    Policy(PolicyForm, FormErrors),
    Calendar(String, FormErrors),
}

async fn render(
    state: &AppState,
    req: &HttpRequest,
    v: &Viewer,
    year: Option<i32>,
    failed_form: Option<Failed>,
    status: StatusCode,
    done: Option<String>,
) -> Result<HttpResponse, actix_web::Error> {
    let c = Chrome::for_viewer(req, v);
    let en = c.en;
    let year = year
        .unwrap_or_else(|| state.sla.now().year())
        .clamp(1949, 2200);
    let policies = calendar::policies(&state.db)
        .await
        .map_err(|e| failed(req, ApiError::from(e)))?;
    let days = calendar::year(&state.db, year)
        .await
        .map_err(|e| failed(req, ApiError::from(e)))?;
    let (mut policy_failure, calendar_failure) = match failed_form {
        Some(Failed::Policy(f, e)) => (Some((f, e)), None),
        Some(Failed::Calendar(t, e)) => (None, Some((t, e))),
        None => (None, None),
    };
    let mut shown: Vec<PolicyShown> = policies
        .into_iter()
        .map(|p| {
            let view = PolicyView::from(p);
            let f = PolicyForm {
                csrf: String::new(),
                name: view.name.clone(),
                sign_value: view.sign_for.value.to_string(),
                sign_unit: view.sign_for.unit.clone(),
                resolve_value: view.resolve.value.to_string(),
                resolve_unit: view.resolve.unit.clone(),
                warning_percent: view.warning_percent.to_string(),
                escalation_working_days: view.escalation_working_days.to_string(),
            };
            let label = labels::policy_name(&f.name, en);
            let sign_unit = labels::sla_unit(&f.sign_unit, en);
            let resolve_unit = labels::sla_unit(&f.resolve_unit, en);
            let (f, errors, open) = match policy_failure.take_if(|(ff, _)| ff.name == f.name) {
                Some((ff, errors)) => (ff, errors, true),
                None => (f, FormErrors::default(), false),
            };
            PolicyShown {
                f,
                label,
                sign_unit,
                resolve_unit,
                errors,
                open,
                is_new: false,
            }
        })
        .collect();
    shown.push(match policy_failure {
        Some((f, errors)) => PolicyShown {
            f,
            label: String::new(),
            sign_unit: String::new(),
            resolve_unit: String::new(),
            errors,
            open: true,
            is_new: true,
        },
        None => PolicyShown {
            label: String::new(),
            sign_unit: String::new(),
            resolve_unit: String::new(),
            f: PolicyForm {
                sign_unit: "working_minutes".into(),
                resolve_unit: "working_days".into(),
                warning_percent: "80".into(),
                escalation_working_days: "1".into(),
                ..PolicyForm::default()
            },
            errors: FormErrors::default(),
            open: false,
            is_new: true,
        },
    });
    let (calendar_text, calendar_errors) = calendar_failure.unwrap_or_default();
    let p = SlaPage {
        policies: shown,
        year,
        days: days
            .into_iter()
            .map(|d| DayShown {
                date: d.date.to_string(),
                kind: crate::words::text(
                    lang_of(en),
                    if d.kind.as_str() == "holiday" {
                        "admin_sla.day_holiday"
                    } else {
                        "admin_sla.day_workday"
                    },
                ),
                note: d.note,
            })
            .collect(),
        calendar_text,
        calendar_errors,
        units: labels::SLA_UNITS
            .iter()
            .map(|code| (*code, labels::sla_unit(code, en)))
            .collect(),
        done,
        c,
    };
    Ok(page(status, p.render()))
}

async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    q: web::Query<SlaQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    let v = admin(&req, v)?;
    let done = q.done.as_deref().map(|d| {
        let lang = page_lang(&req);
        match d {
            "calendar" => {
                let n = q.moved.unwrap_or(0);
                if n > 0 {
                    fill(lang, "admin_sla.calendar_loaded_moved", &[("n", &n)])
                } else {
                    say(lang, "admin_sla.calendar_loaded_no_open_ticket")
                }
            }
            _ => say(lang, "admin_sla.policy_saved"),
        }
    });
    render(&state, &req, &v, q.year, None, StatusCode::OK, done).await
}

fn number<T: std::str::FromStr + Default>(
    errors: &mut FormErrors,
    field: &str,
    s: &str,
    lang: crate::http::lang::Lang,
) -> T {
    s.trim().parse().unwrap_or_else(|_| {
        errors
            .fields
            .insert(field.to_string(), say(lang, "common.enter_whole_number"));
        T::default()
    })
}

async fn put_policy(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    f: web::Form<PolicyForm>,
) -> Result<HttpResponse, actix_web::Error> {
    let v = admin(&req, v)?;
    let f = f.into_inner();
    check_csrf(&req, &f.csrf)?;
    let lang = page_lang(&req);
    let mut errors = FormErrors::default();
    let name = f.name.trim().to_string();
    if name.is_empty() {
        errors
            .fields
            .insert("name".into(), say(lang, "admin_sla.name_policy"));
    }
    let view = PolicyView {
        name: name.clone(),
        sign_for: TargetView {
            value: number(&mut errors, "sign_value", &f.sign_value, lang),
            unit: f.sign_unit.clone(),
        },
        resolve: TargetView {
            value: number(&mut errors, "resolve_value", &f.resolve_value, lang),
            unit: f.resolve_unit.clone(),
        },
        warning_percent: number(&mut errors, "warning_percent", &f.warning_percent, lang),
        escalation_working_days: number(
            &mut errors,
            "escalation_working_days",
            &f.escalation_working_days,
            lang,
        ),
    };
    if errors.is_empty() {
        match sla_policies::save(&state.db, &state.sla, name, view)
            .await
            .map_err(ApiError::from)
        {
            Ok(_) => return Ok(see_other("/admin/sla?done=policy")),
            Err(e) if e.kind.status().is_server_error() => {
                return Err(PageError::from_api(&req, e).into())
            }
            Err(e) => {
                errors = FormErrors::of(e, lang);
                // The API's field names, as this form names them.
                for (api, form) in [
                    ("sign_for.value", "sign_value"),
                    ("sign_for.unit", "sign_value"),
                    ("resolve.value", "resolve_value"),
                    ("resolve.unit", "resolve_value"),
                ] {
                    if let Some(m) = errors.fields.remove(api) {
                        errors.fields.insert(form.into(), m);
                    }
                }
            }
        }
    }
    render(
        &state,
        &req,
        &v,
        None,
        Some(Failed::Policy(f, errors)),
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
    )
    .await
}

#[derive(Debug, Deserialize)]
struct CalendarForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

async fn load_calendar(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    f: web::Form<CalendarForm>,
) -> Result<HttpResponse, actix_web::Error> {
    let v = admin(&req, v)?;
    let f = f.into_inner();
    check_csrf(&req, &f.csrf)?;
    let lang = page_lang(&req);
    match calendar::import(&state.db, &state.sla, &f.text).await {
        Ok(loaded) => {
            let year = loaded.years.keys().next().copied();
            let moved = loaded.deadlines_moved;
            let to = match year {
                Some(y) => format!("/admin/sla?done=calendar&year={y}&moved={moved}"),
                None => format!("/admin/sla?done=calendar&moved={moved}"),
            };
            Ok(see_other(&to))
        }
        Err(e) => {
            let e = ApiError::from(e);
            if e.kind.status().is_server_error() {
                return Err(PageError::from_api(&req, e).into());
            }
            let problem = e.to_problem(lang);
            let mut errors = FormErrors::default();
            errors.general.extend(problem.detail);
            errors.general.extend(problem.errors.into_iter().map(|fe| {
                match fe.field.strip_prefix("line ") {
                    // The API names a line of the file `line N`.
                    Some(line) => fill(
                        lang,
                        "admin_sla.calendar_line_problem",
                        &[("line", &line), ("problem", &fe.message)],
                    ),
                    None => fill(
                        lang,
                        "admin_sla.calendar_problem",
                        &[("field", &fe.field), ("problem", &fe.message)],
                    ),
                }
            }));
            render(
                &state,
                &req,
                &v,
                None,
                Some(Failed::Calendar(f.text, errors)),
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            )
            .await
        }
    }
}
