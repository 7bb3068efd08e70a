//! Users: find, create, activate or deactivate, set a password.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::super::AppState;
use super::admin;
use crate::domain::role::Role;
use crate::http::pages::chrome::role_label;
use crate::http::pages::labels::beijing;
use crate::http::pages::session::{check_csrf, url_escape, Viewer};
use crate::http::pages::{failed, page, see_other, Chrome, FormErrors, PageError};
use crate::http::problem::ApiError;
use crate::services::users::{self, NewAccount};
use crate::storage::users::{User, UserFilter};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/admin",
        web::get().to(|| async { see_other("/admin/users") }),
    )
    .route("/admin/users", web::get().to(list))
    .route("/admin/users", web::post().to(create))
    .route("/admin/users/{id}/active", web::post().to(set_active))
    .route("/admin/users/{id}/password", web::post().to(set_password));
}

pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: &'static str,
    pub department_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    pub active: bool,
    pub created_at: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    role: String,
    cursor: Option<i64>,
    done: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    department_id: String,
    #[serde(default)]
    enterprise_id: String,
    #[serde(default)]
    password: String,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    c: Chrome,
    q: ListQuery,
    rows: Vec<UserRow>,
    next: Option<String>,
    roles: Vec<(&'static str, &'static str)>,
    f: NewUserForm,
    errors: FormErrors,
    done: Option<String>,
}

const ROLES: [Role; 5] = [
    Role::Enterprise,
    Role::Officer,
    Role::Lead,
    Role::Supervisor,
    Role::Admin,
];

async fn render_list(
    state: &AppState,
    req: &HttpRequest,
    v: &Viewer,
    q: ListQuery,
    f: NewUserForm,
    errors: FormErrors,
    status: StatusCode,
) -> Result<HttpResponse, actix_web::Error> {
    let c = Chrome::for_viewer(req, v);
    let en = c.en;
    const PAGE: i64 = 50;
    let filter = UserFilter {
        role: Some(q.role.clone()).filter(|r| !r.is_empty()),
        department_id: None,
        enterprise_id: None,
        active: None,
        query: Some(q.q.trim().to_string()).filter(|s| !s.is_empty()),
        after_id: q.cursor,
        limit: PAGE + 1,
    };
    let mut found = state
        .db
        .run(move |conn| Ok(User::list(conn, &filter)?))
        .await
        .map_err(|e| failed(req, ApiError::from(e)))?;
    let next = crate::http::views::paging::next_cursor(&mut found, PAGE, |u| u.id).map(|n| {
        format!(
            "/admin/users?q={}&role={}&cursor={n}",
            url_escape(&q.q),
            url_escape(&q.role)
        )
    });
    let rows = found
        .into_iter()
        .map(|u| UserRow {
            id: u.id,
            role: role_label(u.role, en),
            email: u.email,
            name: u.display_name,
            department_id: u.department_id,
            enterprise_id: u.enterprise_id,
            active: u.active,
            created_at: beijing(u.created_at),
        })
        .collect();
    let done = q.done.as_deref().map(|d| {
        let key = match d {
            "created" => "admin_users.done_created",
            "active" => "admin_users.done_active",
            "password" => "admin_users.done_password",
            _ => "admin_users.done",
        };
        c.t(key).to_string()
    });
    let p = UsersPage {
        roles: ROLES
            .iter()
            .map(|r| (r.as_str(), role_label(*r, en)))
            .collect(),
        q,
        rows,
        next,
        f,
        errors,
        done,
        c,
    };
    Ok(page(status, p.render()))
}

async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    let v = admin(&req, v)?;
    render_list(
        &state,
        &req,
        &v,
        q.into_inner(),
        NewUserForm::default(),
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

fn id_field(s: &str) -> Result<Option<i64>, ()> {
    let s = s.trim();
    if s.is_empty() {
        Ok(None)
    } else {
        s.parse().map(Some).map_err(|_| ())
    }
}

async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    f: web::Form<NewUserForm>,
) -> Result<HttpResponse, actix_web::Error> {
    let v = admin(&req, v)?;
    let f = f.into_inner();
    check_csrf(&req, &f.csrf)?;
    let lang = crate::http::pages::session::page_lang(&req);
    let mut errors = FormErrors::default();
    let number = |name: &str, s: &str, errors: &mut FormErrors| {
        id_field(s).unwrap_or_else(|_| {
            errors.fields.insert(
                name.to_string(),
                crate::http::pages::say(lang, "admin_users.enter_numeric_id"),
            );
            None
        })
    };
    let department_id = number("department_id", &f.department_id, &mut errors);
    let enterprise_id = number("enterprise_id", &f.enterprise_id, &mut errors);
    if errors.is_empty() {
        let made = users::create_account(
            &state.db,
            &state.auth,
            NewAccount {
                email: f.email.clone(),
                display_name: f.display_name.clone(),
                phone: None,
                role: f.role.clone(),
                department_id,
                enterprise_id,
                password: f.password.clone(),
                locale: None,
            },
            Some(v.user.id),
            state.sla.now(),
        )
        .await;
        match made {
            Ok(_) => return Ok(see_other("/admin/users?done=created")),
            Err(e) => {
                let e = ApiError::from(e);
                if e.kind.status().is_server_error() {
                    return Err(PageError::from_api(&req, e).into());
                }
                errors = FormErrors::of(e, lang);
            }
        }
    }
    let f = NewUserForm {
        password: String::new(),
        ..f
    };
    render_list(
        &state,
        &req,
        &v,
        ListQuery::default(),
        f,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

#[derive(Debug, Deserialize)]
struct ActiveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    active: String,
}

async fn set_active(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<i64>,
    f: web::Form<ActiveForm>,
) -> Result<HttpResponse, actix_web::Error> {
    let v = admin(&req, v)?;
    check_csrf(&req, &f.csrf)?;
    users::set_active(&state.db, path.into_inner(), f.active == "true", v.user.id)
        .await
        .map_err(|e| failed(&req, e))?;
    Ok(see_other("/admin/users?done=active"))
}

#[derive(Debug, Deserialize)]
struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
}

async fn set_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<i64>,
    f: web::Form<PasswordForm>,
) -> Result<HttpResponse, actix_web::Error> {
    let v = admin(&req, v)?;
    let f = f.into_inner();
    check_csrf(&req, &f.csrf)?;
    let lang = crate::http::pages::session::page_lang(&req);
    match users::reset_password(
        &state.db,
        &state.auth,
        path.into_inner(),
        f.password,
        v.user.id,
    )
    .await
    {
        Ok(()) => Ok(see_other("/admin/users?done=password")),
        Err(e) => {
            let e = ApiError::from(e);
            if e.kind.status().is_server_error() || e.kind.status() == StatusCode::NOT_FOUND {
                return Err(PageError::from_api(&req, e).into());
            }
            let mut errors = FormErrors::of(e, lang);
            // The message belongs to the row's password field, shown on top.
            errors
                .general
                .extend(std::mem::take(&mut errors.fields).into_values());
            render_list(
                &state,
                &req,
                &v,
                ListQuery::default(),
                NewUserForm::default(),
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
