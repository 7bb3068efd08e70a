//! Departments: the tree from the ministry down (administrators), and a
//! department's settings: automatic assignment and desk phone (its lead, or
//! an administrator; the same rule as the API, in `services::departments`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::super::AppState;
use crate::http::pages::session::{check_csrf, Viewer};
use crate::http::pages::{failed, page, see_other, Chrome, PageError};
use crate::http::problem::ApiError;
use crate::services::departments::{self, DepartmentError, SettingsChange};
use crate::storage::departments::Department;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/departments", web::get().to(show))
        .route(
            "/admin/departments/{id}/auto-assign",
            web::post().to(auto_assign),
        )
        .route("/admin/departments/{id}/phone", web::post().to(phone));
}

pub struct DeptRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub region: String,
    pub active: bool,
    pub auto_assign: bool,
    pub phone: String,
}

fn row(d: Department, en: bool) -> DeptRow {
    DeptRow {
        id: d.id,
        name: d.name,
        kind: crate::http::pages::labels::department_kind(d.kind.as_str(), en).to_string(),
        region: d.region_code.unwrap_or_default(),
        active: d.active,
        auto_assign: d.auto_assign,
        phone: d.phone.unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "admin_departments.html")]
struct DepartmentsPage {
    c: Chrome,
    /// The way down to the department shown: (id, name).
    path: Vec<(i64, String)>,
    here: Option<DeptRow>,
    children: Vec<DeptRow>,
    /// A phone the admin typed that was refused, with the reason.
    phone_error: Option<(String, String)>,
    /// An administrator moves through the tree; a lead sees their own.
    browse: bool,
}

#[derive(Debug, Deserialize)]
struct DeptQuery {
    id: Option<i64>,
}

async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    q: web::Query<DeptQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    render(state, req, v, q.id, None).await
}

async fn render(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    id: Option<i64>,
    phone_error: Option<(String, String)>,
) -> Result<HttpResponse, actix_web::Error> {
    let status = if phone_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let tree = match departments::tree(&state.db, &v.caller, id).await {
        Ok(t) => t,
        Err(DepartmentError::Storage(e)) => return Err(failed(&req, ApiError::from(e))),
        Err(_) => return Err(PageError::not_found(&req).into()),
    };
    let path: Vec<(i64, String)> = tree.path.into_iter().map(|d| (d.id, d.name)).collect();
    let (here, children) = (tree.here, tree.children);
    let c = Chrome::for_viewer(&req, &v);
    let en = c.en;
    let p = DepartmentsPage {
        c,
        path,
        here: here.map(|d| row(d, en)),
        children: children.into_iter().map(|d| row(d, en)).collect(),
        phone_error,
        browse: crate::domain::access::may_administer(&v.caller),
    };
    Ok(page(status, p.render()))
}

#[derive(Debug, Deserialize)]
struct AutoAssignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    on: String,
}

async fn auto_assign(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<i64>,
    f: web::Form<AutoAssignForm>,
) -> Result<HttpResponse, actix_web::Error> {
    check_csrf(&req, &f.csrf)?;
    let id = path.into_inner();
    let change = SettingsChange {
        auto_assign: Some(f.on == "true"),
        phone: None,
    };
    settle(
        &req,
        departments::change_settings(&state.db, &v.caller, id, change).await,
    )?;
    Ok(see_other(&format!("/admin/departments?id={id}")))
}

/// A settings change done, or the page that says why not.
fn settle(req: &HttpRequest, r: Result<(), DepartmentError>) -> Result<(), actix_web::Error> {
    match r {
        Ok(()) => Ok(()),
        Err(DepartmentError::Storage(e)) => Err(failed(req, ApiError::from(e))),
        Err(_) => Err(PageError::not_found(req).into()),
    }
}

#[derive(Debug, Deserialize)]
struct PhoneForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    phone: String,
}

/// Sets the desk phone enterprises see; a refused number is shown again
/// with the reason.
async fn phone(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<i64>,
    f: web::Form<PhoneForm>,
) -> Result<HttpResponse, actix_web::Error> {
    check_csrf(&req, &f.csrf)?;
    let id = path.into_inner();
    let change = SettingsChange {
        auto_assign: None,
        phone: Some(f.phone.clone()),
    };
    match departments::change_settings(&state.db, &v.caller, id, change).await {
        Err(DepartmentError::Invalid(issue)) => {
            let why = crate::words::phrase(Chrome::for_viewer(&req, &v).lang(), &issue.what);
            let typed = Some((f.phone.clone(), why));
            render(state, req, v, Some(id), typed).await
        }
        r => {
            settle(&req, r)?;
            Ok(see_other(&format!("/admin/departments?id={id}")))
        }
    }
}
