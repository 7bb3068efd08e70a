//! 监测名单: the lists a department keeps (by hand, or every enterprise on
//! a white list) and their enterprises, with their industry codes; the
//! keepers add, take off and code enterprises here.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::session::{check_csrf, Viewer};
use super::{failed, page, say, see_other, AppState, Chrome, FormErrors, PageError};
use crate::domain::access::{may_keep_monitoring_list, MonitoringView};
use crate::domain::industry;
use crate::http::problem::ApiError;
use crate::services::monitoring::lists::{self, ListInput};
use crate::services::monitoring::MonitoringError;
use crate::storage::monitoring::BY_HAND;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/monitoring/lists", web::get().to(index))
        .route("/monitoring/lists", web::post().to(create))
        .route("/monitoring/lists/{id}", web::get().to(show))
        .route("/monitoring/lists/{id}/members", web::post().to(add))
        .route(
            "/monitoring/lists/{id}/members/{enterprise}/remove",
            web::post().to(remove),
        )
        .route(
            "/monitoring/lists/{id}/members/{enterprise}/industry",
            web::post().to(set_industry),
        );
}

pub struct ListRow {
    pub id: i64,
    pub name: String,
    pub department: String,
    pub source: String,
    pub members: i64,
    pub part: bool,
}

#[derive(Template)]
#[template(path = "monitoring_lists.html")]
struct ListsPage {
    c: Chrome,
    lists: Vec<ListRow>,
    may_create: bool,
    f: ListForm,
    errors: FormErrors,
}

#[derive(Debug, Default, Deserialize)]
struct ListForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    whitelist_scope: String,
    #[serde(default)]
    whitelist_batch: String,
}

fn source_label(
    c: &Chrome,
    source: &str,
    scope: Option<&str>,
    scope_name: Option<&str>,
    batch: Option<i32>,
) -> String {
    if source == BY_HAND {
        return c.t("daily.source_members").to_string();
    }
    let scope = match (scope, scope_name) {
        (Some("national") | None, _) => c.t("daily.national_list").to_string(),
        (_, Some(name)) => name.to_string(),
        (Some(code), None) => code.to_string(),
    };
    match batch {
        Some(b) => super::fill(
            c.lang(),
            "daily.source_whitelist_batch",
            &[("scope", &scope), ("batch", &b)],
        ),
        None => super::fill(c.lang(), "daily.source_whitelist", &[("scope", &scope)]),
    }
}

fn refusal(req: &HttpRequest, e: MonitoringError) -> actix_web::Error {
    match e {
        MonitoringError::NotFound => PageError::not_found(req).into(),
        e => failed(req, ApiError::from(e)),
    }
}

async fn render_index(
    state: &AppState,
    req: &HttpRequest,
    v: &Viewer,
    f: ListForm,
    errors: FormErrors,
    status: StatusCode,
) -> Result<HttpResponse, actix_web::Error> {
    let c = Chrome::for_viewer(req, v);
    let found = lists::visible(&state.db, &v.caller)
        .await
        .map_err(|e| refusal(req, e))?;
    let may_create = v
        .caller
        .department
        .as_ref()
        .is_some_and(|d| may_keep_monitoring_list(&v.caller, d.id));
    let rows = found
        .iter()
        .map(|l| {
            let s = &l.summary;
            ListRow {
                id: s.list.id,
                name: s.list.name.clone(),
                department: s.department_name.clone(),
                source: source_label(
                    &c,
                    &s.list.source,
                    s.list.whitelist_scope.as_deref(),
                    l.scope_name.as_deref(),
                    s.list.whitelist_batch,
                ),
                members: s.members,
                part: l.view != MonitoringView::Whole,
            }
        })
        .collect();
    let p = ListsPage {
        c,
        lists: rows,
        may_create,
        f,
        errors,
    };
    Ok(page(status, p.render()))
}

async fn index(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
) -> Result<HttpResponse, actix_web::Error> {
    render_index(
        &state,
        &req,
        &v,
        ListForm::default(),
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    form: web::Form<ListForm>,
) -> Result<HttpResponse, actix_web::Error> {
    check_csrf(&req, &form.csrf)?;
    let f = form.into_inner();
    let input = ListInput {
        name: f.name.clone(),
        source: f.source.clone(),
        whitelist_scope: f.whitelist_scope.clone(),
        whitelist_batch: f.whitelist_batch.clone(),
    };
    match lists::create(&state.db, &v.caller, &input, state.sla.now()).await {
        Ok(list) => Ok(see_other(&format!("/monitoring/lists/{}", list.id))),
        Err(e @ (MonitoringError::Invalid(_) | MonitoringError::NameTaken)) => {
            let lang = Chrome::for_viewer(&req, &v).lang();
            let errors = FormErrors::of(ApiError::from(e), lang);
            render_index(
                &state,
                &req,
                &v,
                f,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(refusal(&req, e)),
    }
}

pub struct MemberLine {
    pub id: i64,
    pub name: String,
    pub credit_code: String,
    pub county: String,
    pub industry_code: String,
    pub industry: String,
}

#[derive(Template)]
#[template(path = "monitoring_list.html")]
struct ListPage {
    c: Chrome,
    id: i64,
    name: String,
    department: String,
    source: String,
    part: bool,
    by_hand: bool,
    may_keep: bool,
    members: Vec<MemberLine>,
    offset: i64,
    more: bool,
    industries: Vec<(&'static str, String)>,
    enterprise: String,
    errors: FormErrors,
    done: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ShowQuery {
    offset: Option<i64>,
    done: Option<String>,
}

const PAGE: i64 = 100;

async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<i64>,
    q: web::Query<ShowQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    let done = q.done.as_deref().and_then(|d| match d {
        "added" => Some("daily.member_added"),
        "removed" => Some("daily.member_removed"),
        "coded" => Some("daily.industry_set"),
        _ => None,
    });
    render_list(
        &state,
        &req,
        &v,
        path.into_inner(),
        q.offset.unwrap_or(0).max(0),
        String::new(),
        FormErrors::default(),
        done,
        StatusCode::OK,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn render_list(
    state: &AppState,
    req: &HttpRequest,
    v: &Viewer,
    id: i64,
    offset: i64,
    enterprise: String,
    errors: FormErrors,
    done: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, actix_web::Error> {
    let c = Chrome::for_viewer(req, v);
    let (r, scope_name, rows) = lists::members(&state.db, &v.caller, id, offset, PAGE + 1)
        .await
        .map_err(|e| refusal(req, e))?;
    let more = rows.len() as i64 > PAGE;
    let members = rows
        .iter()
        .take(PAGE as usize)
        .map(|m| MemberLine {
            id: m.enterprise_id,
            name: m.name.clone(),
            credit_code: m.credit_code.clone(),
            county: m.county_code.clone(),
            industry_code: m.industry_code.clone(),
            industry: industry::find(&m.industry_code).map_or_else(
                || c.t("daily.no_industry").to_string(),
                |i| format!("{}（{}）", if c.en { i.name_en } else { i.name_zh }, i.code),
            ),
        })
        .collect();
    let p = ListPage {
        id,
        name: r.list.name.clone(),
        department: r.department_name.clone(),
        source: source_label(
            &c,
            &r.list.source,
            r.list.whitelist_scope.as_deref(),
            scope_name.as_deref(),
            r.list.whitelist_batch,
        ),
        part: r.view != MonitoringView::Whole,
        by_hand: r.list.source == BY_HAND,
        may_keep: may_keep_monitoring_list(&v.caller, r.list.department_id),
        members,
        offset,
        more,
        industries: industry::INDUSTRIES
            .iter()
            .filter(|i| i.code.len() > 1)
            .map(|i| {
                (
                    i.code,
                    format!("{}（{}）", if c.en { i.name_en } else { i.name_zh }, i.code),
                )
            })
            .collect(),
        enterprise,
        errors,
        done: done.map(|k| say(c.lang(), k)),
        c,
    };
    Ok(page(status, p.render()))
}

#[derive(Debug, Default, Deserialize)]
struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    enterprise: String,
}

async fn add(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<i64>,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, actix_web::Error> {
    check_csrf(&req, &form.csrf)?;
    let id = path.into_inner();
    let lang = Chrome::for_viewer(&req, &v).lang();
    let found =
        crate::services::pickers::enterprise_by_text(&state.db, "enterprise", &form.enterprise)
            .await
            .map_err(|e| failed(&req, ApiError::from(e)))?;
    let back = |errors: FormErrors| {
        render_list(
            &state,
            &req,
            &v,
            id,
            0,
            form.enterprise.clone(),
            errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let enterprise = match found {
        Ok(Some(e)) => e,
        Ok(None) => {
            let issue =
                crate::domain::enterprise::issue("enterprise", "daily_field.enterprise_required");
            return back(FormErrors::of(
                crate::http::problem::invalid(vec![issue]),
                lang,
            ))
            .await;
        }
        Err(issue) => {
            return back(FormErrors::of(
                crate::http::problem::invalid(vec![issue]),
                lang,
            ))
            .await
        }
    };
    match lists::add_member(&state.db, &v.caller, id, enterprise, state.sla.now()).await {
        Ok(_) => Ok(see_other(&format!("/monitoring/lists/{id}?done=added"))),
        Err(MonitoringError::NotFound) => {
            back(FormErrors::general(say(lang, "daily_problem.not_found"))).await
        }
        Err(e @ MonitoringError::OutsideJurisdiction) => {
            back(FormErrors::of(ApiError::from(e), lang)).await
        }
        Err(e) => Err(refusal(&req, e)),
    }
}

#[derive(Debug, Default, Deserialize)]
struct PlainForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

async fn remove(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<(i64, i64)>,
    form: web::Form<PlainForm>,
) -> Result<HttpResponse, actix_web::Error> {
    check_csrf(&req, &form.csrf)?;
    let (id, enterprise) = path.into_inner();
    lists::remove_member(&state.db, &v.caller, id, enterprise, state.sla.now())
        .await
        .map_err(|e| refusal(&req, e))?;
    Ok(see_other(&format!("/monitoring/lists/{id}?done=removed")))
}

async fn set_industry(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<(i64, i64)>,
    form: web::Form<PlainForm>,
) -> Result<HttpResponse, actix_web::Error> {
    check_csrf(&req, &form.csrf)?;
    let (id, enterprise) = path.into_inner();
    match lists::set_industry(
        &state.db,
        &v.caller,
        enterprise,
        &form.code,
        state.sla.now(),
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!("/monitoring/lists/{id}?done=coded"))),
        Err(e @ MonitoringError::Invalid(_)) => {
            let lang = Chrome::for_viewer(&req, &v).lang();
            render_list(
                &state,
                &req,
                &v,
                id,
                0,
                String::new(),
                FormErrors::of(ApiError::from(e), lang),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(refusal(&req, e)),
    }
}
