//! Departments: the tree from the ministry down, each department's staff
//! count, and its automatic assignment switch.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::admin;
use crate::http::pages::session::{check_csrf, Viewer};
use crate::http::pages::{failed, page, see_other, Chrome, PageError};
use crate::http::problem::ApiError;
use crate::http::AppState;
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
        kind: crate::http::pages::labels::department_kind(&d.kind, en).to_string(),
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
    let v = admin(&req, v)?;
    let status = if phone_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let found = state
        .db
        .run(move |conn| {
            let Some(id) = id else {
                return Ok(Some((Vec::new(), None, Department::roots(conn)?)));
            };
            let Some(here) = Department::find(conn, id)? else {
                return Ok(None);
            };
            let mut above = Department::load_many(conn, &here.ancestry())?;
            above.sort_by_key(|d| d.path.len());
            let children = Department::children(conn, id)?;
            let path = above.into_iter().map(|d| (d.id, d.name)).collect();
            Ok(Some((path, Some(here), children)))
        })
        .await
        .map_err(|e| failed(&req, ApiError::from(e)))?;
    let Some((path, here, children)) = found else {
        return Err(PageError::not_found(&req).into());
    };
    let c = Chrome::for_viewer(&req, &v);
    let en = c.en;
    let p = DepartmentsPage {
        c,
        path,
        here: here.map(|d| row(d, en)),
        children: children.into_iter().map(|d| row(d, en)).collect(),
        phone_error,
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
    let _v = admin(&req, v)?;
    check_csrf(&req, &f.csrf)?;
    let id = path.into_inner();
    let on = f.on == "true";
    let changed = state
        .db
        .run(move |conn| Ok(Department::set_auto_assign(conn, id, on)?))
        .await
        .map_err(|e| failed(&req, ApiError::from(e)))?;
    if changed == 0 {
        return Err(PageError::not_found(&req).into());
    }
    Ok(see_other(&format!("/admin/departments?id={id}")))
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
    let phone = match crate::domain::enterprise::desk_phone(&f.phone) {
        Ok(p) => p,
        Err(issue) => {
            let why = if Chrome::for_viewer(&req, &v).en {
                issue.en
            } else {
                issue.zh
            };
            let typed = Some((f.phone.clone(), why));
            return render(state, req, v, Some(id), typed).await;
        }
    };
    let _v = admin(&req, v)?;
    let changed = state
        .db
        .run_write(move |conn| Ok(Department::set_phone(conn, id, phone.as_deref())?))
        .await
        .map_err(|e| failed(&req, ApiError::from(e)))?;
    if changed == 0 {
        return Err(PageError::not_found(&req).into());
    }
    Ok(see_other(&format!("/admin/departments?id={id}")))
}
