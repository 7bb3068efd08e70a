//! SLA over HTTP: the clocks shown with a ticket, the supervision list, and
//! the administrators' work calendar and policies.

use actix_web::{get, post, put, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::caller::{Admin, Authenticated, Body};
use super::problem::{ApiError, Message, Problem};
use super::tickets::TicketView;
use super::AppState;
use crate::domain::calendar::{DayKind, MarkedDay};
use crate::services::calendar::{self, Loaded};
use crate::services::sla::{ClockState, WindowState};
use crate::services::sla_policies::{self, PolicyView};
use crate::services::supervision;

/// One SLA window of a ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct WindowView {
    /// 1 for the first window; a transfer opens sign-for round 2, a reopen resolve round 2.
    pub round: i32,
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// When the warning (临期预警) falls.
    pub warn_at: DateTime<Utc>,
    /// `running`, `warning`, `overdue`, `paused` (awaiting information) or `stopped`.
    pub state: String,
    /// Working minutes left; negative when overdue. Frozen while paused.
    pub remaining_working_minutes: i64,
    /// Wall-clock minutes left; negative when overdue.
    pub remaining_minutes: i64,
    /// The deadline falls in a year whose work calendar is not loaded yet:
    /// it counts that year's holidays as working days and will move when
    /// the year is loaded.
    pub provisional: bool,
}

impl From<WindowState> for WindowView {
    fn from(w: WindowState) -> Self {
        WindowView {
            round: w.round,
            started_at: w.started_at,
            due_at: w.due_at,
            warn_at: w.warn_at,
            state: w.state.into(),
            remaining_working_minutes: w.remaining_working_minutes,
            remaining_minutes: w.remaining_minutes,
            provisional: w.provisional,
        }
    }
}

/// The sign-for and the resolve clock of a ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClocksView {
    /// The SLA policy the ticket runs under.
    pub policy: String,
    pub sign: WindowView,
    pub resolve: WindowView,
    /// The department overdue escalation has reached.
    pub supervising_department_id: Option<i64>,
    /// A bounced ticket's supervising department.
    pub bounce_department_id: Option<i64>,
}

impl From<ClockState> for ClocksView {
    fn from(c: ClockState) -> Self {
        ClocksView {
            policy: c.policy,
            sign: c.sign.into(),
            resolve: c.resolve.into(),
            supervising_department_id: c.supervising_department_id,
            bounce_department_id: c.bounce_department_id,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SupervisionQuery {
    /// The last ticket id of the previous page.
    pub cursor: Option<i64>,
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SupervisionItem {
    #[serde(flatten)]
    pub ticket: TicketView,
    /// Why it is listed: `overdue`, `bounced`, or both.
    pub reasons: Vec<String>,
    pub supervising_department_id: Option<i64>,
    pub bounce_department_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SupervisionPage {
    pub items: Vec<SupervisionItem>,
    pub next_cursor: Option<i64>,
}

/// The caller's department's supervision list (督办清单): open tickets in
/// its jurisdiction that overdue escalation has brought to it or above, and
/// bounced tickets (sent on more than three times) it supervises; oldest
/// first. Urge one with `POST /api/v1/tickets/{id}/actions/urge`.
#[utoipa::path(
    tag = "tickets",
    security(("bearer" = [])),
    params(SupervisionQuery),
    responses(
        (status = 200, body = SupervisionPage),
        (status = 404, description = "The caller is not department staff", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/supervision")]
pub async fn supervision_list(
    state: web::Data<AppState>,
    who: Authenticated,
    query: web::Query<SupervisionQuery>,
) -> Result<web::Json<SupervisionPage>, ApiError> {
    let limit = super::views::paging::limit(query.limit)?;
    let mut found = supervision::list(&state.db, &who.caller, query.cursor, limit + 1)
        .await
        .map_err(|e| match e {
            crate::services::tickets::TicketError::NotFound => {
                ApiError::not_found("problem.supervision_for_staff_only")
            }
            other => other.into(),
        })?;
    let next_cursor = super::views::paging::next_cursor(&mut found, limit, |(t, _)| t.id);
    Ok(web::Json(SupervisionPage {
        items: found
            .into_iter()
            .map(|(t, c)| {
                let mut reasons = Vec::new();
                if c.supervising_department_id.is_some() || t.overdue {
                    reasons.push("overdue".to_string());
                }
                if c.bounce_department_id.is_some() {
                    reasons.push("bounced".to_string());
                }
                SupervisionItem {
                    ticket: TicketView::from(&t),
                    reasons,
                    supervising_department_id: c.supervising_department_id,
                    bounce_department_id: c.bounce_department_id,
                }
            })
            .collect(),
        next_cursor,
    }))
}

/// A date marked in the work calendar.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CalendarDayView {
    pub date: NaiveDate,
    /// `holiday` (a day off) or `workday` (a weekend day that is worked, 调休).
    pub kind: String,
    /// The festival, e.g. 春节.
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarYearView {
    pub year: i32,
    pub days: Vec<CalendarDayView>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CalendarYearBody {
    pub days: Vec<CalendarDayView>,
}

/// Years a calendar load replaced, with their counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarLoadReport {
    pub years: Vec<CalendarYearCount>,
    /// Open tickets whose deadlines moved: each is measured again on the
    /// new calendar and gets a `deadline_recomputed` event.
    pub deadlines_moved: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarYearCount {
    pub year: i32,
    pub holidays: usize,
    pub workdays: usize,
}

fn report(loaded: Loaded) -> CalendarLoadReport {
    CalendarLoadReport {
        deadlines_moved: loaded.deadlines_moved,
        years: loaded
            .years
            .into_iter()
            .map(|(year, (holidays, workdays))| CalendarYearCount {
                year,
                holidays,
                workdays,
            })
            .collect(),
    }
}

fn check_year(year: i32) -> Result<i32, ApiError> {
    if (1949..=2200).contains(&year) {
        Ok(year)
    } else {
        Err(ApiError::invalid_fields(vec![(
            "year".into(),
            Message::new("problem.year_out_of_range"),
        )]))
    }
}

/// The days marked in one year of the work calendar (unmarked days are
/// working days Monday to Friday).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("year" = i32, Path)),
    responses((status = 200, body = CalendarYearView), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[get("/admin/calendar/{year}")]
pub async fn calendar_year(
    state: web::Data<AppState>,
    _admin: Admin,
    path: web::Path<i32>,
) -> Result<web::Json<CalendarYearView>, ApiError> {
    let year = check_year(path.into_inner())?;
    let days = calendar::year(&state.db, year).await?;
    Ok(web::Json(CalendarYearView {
        year,
        days: days
            .into_iter()
            .map(|d| CalendarDayView {
                date: d.date,
                kind: d.kind.as_str().into(),
                note: d.note,
            })
            .collect(),
    }))
}

/// Replaces one year's marked days. The open tickets whose windows reach
/// into the year get their deadlines measured again on the new calendar.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("year" = i32, Path)),
    request_body = CalendarYearBody,
    responses((status = 200, body = CalendarLoadReport), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[put("/admin/calendar/{year}")]
pub async fn put_calendar_year(
    state: web::Data<AppState>,
    _admin: Admin,
    path: web::Path<i32>,
    body: Body<CalendarYearBody>,
) -> Result<web::Json<CalendarLoadReport>, actix_web::Error> {
    let year = check_year(path.into_inner())?;
    let body = body?.into_inner();
    let mut days = Vec::new();
    let mut bad = Vec::new();
    for (i, d) in body.days.into_iter().enumerate() {
        match DayKind::parse(&d.kind) {
            Some(kind) => days.push(MarkedDay {
                date: d.date,
                kind,
                note: d.note.chars().take(100).collect(),
            }),
            None => bad.push((
                format!("days[{i}].kind"),
                Message::new("problem.calendar_day_kind"),
            )),
        }
    }
    if !bad.is_empty() {
        return Err(ApiError::invalid_fields(bad).into());
    }
    let counts = calendar::replace_year(&state.db, &state.sla, year, days)
        .await
        .map_err(ApiError::from)?;
    Ok(web::Json(report(counts)))
}

/// Loads a calendar file (CSV `date,kind,festival`, as `yizhan calendar
/// import` reads): every year it mentions is replaced as a whole, or
/// nothing changes.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    request_body(content = String, description = "CSV with the header date,kind,festival", content_type = "text/csv"),
    responses((status = 200, body = CalendarLoadReport), (status = 422, description = "Every bad line; nothing changed", body = Problem, content_type = "application/problem+json"))
)]
#[post("/admin/calendar/import")]
pub async fn import_calendar(
    state: web::Data<AppState>,
    _admin: Admin,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<web::Json<CalendarLoadReport>, actix_web::Error> {
    let body = body?;
    let text = std::str::from_utf8(&body).map_err(|_| {
        ApiError::invalid_fields(vec![(
            "body".into(),
            Message::new("problem.calendar_file_encoding"),
        )])
    })?;
    let counts = calendar::import(&state.db, &state.sla, text)
        .await
        .map_err(ApiError::from)?;
    Ok(web::Json(report(counts)))
}

/// Every SLA policy.
#[utoipa::path(tag = "admin", security(("bearer" = [])), responses((status = 200, body = Vec<PolicyView>)))]
#[get("/admin/sla-policies")]
pub async fn list_policies(
    state: web::Data<AppState>,
    _admin: Admin,
) -> Result<web::Json<Vec<PolicyView>>, ApiError> {
    Ok(web::Json(
        calendar::policies(&state.db)
            .await?
            .into_iter()
            .map(PolicyView::from)
            .collect(),
    ))
}

/// Creates or replaces a policy (201 when created). Deadlines already set
/// stay; windows opened from now on use the new targets.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("name" = String, Path)),
    request_body = PolicyView,
    responses(
        (status = 200, body = PolicyView),
        (status = 201, body = PolicyView),
        (status = 422, description = "Every invalid field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/admin/sla-policies/{name}")]
pub async fn put_policy(
    state: web::Data<AppState>,
    _admin: Admin,
    path: web::Path<String>,
    body: Body<PolicyView>,
) -> Result<HttpResponse, actix_web::Error> {
    let name = path.into_inner();
    let b = body?.into_inner();
    let (created, policy) = sla_policies::save(&state.db, &state.sla, name, b)
        .await
        .map_err(ApiError::from)?;
    let view = PolicyView::from(policy);
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}
