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
    cfg.route("/admin/departments", web::get().to(show)).route(
        "/admin/departments/{id}/auto-assign",
        web::post().to(auto_assign),
    );
}

pub struct DeptRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub region: String,
    pub active: bool,
    pub auto_assign: bool,
}

fn row(d: Department) -> DeptRow {
    DeptRow {
        id: d.id,
        name: d.name,
        kind: d.kind,
        region: d.region_code.unwrap_or_default(),
        active: d.active,
        auto_assign: d.auto_assign,
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
    let v = admin(&req, v)?;
    let id = q.id;
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
    let p = DepartmentsPage {
        c: Chrome::for_viewer(&req, &v),
        path,
        here: here.map(row),
        children: children.into_iter().map(row).collect(),
    };
    Ok(page(StatusCode::OK, p.render()))
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
