//! Users: find and create (with the department and enterprise pickers);
//! one account's page is `user.rs`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::super::AppState;
use super::admin;
use super::pickers::{department_field, DepartmentPicker};
use crate::domain::role::Role;
use crate::http::pages::chrome::role_label;
use crate::http::pages::labels::beijing;
use crate::http::pages::session::{check_csrf, url_escape, Viewer};
use crate::http::pages::{failed, page, see_other, Chrome, FormErrors, PageError};
use crate::http::problem::ApiError;
use crate::services::users::{self, NewAccount};
use crate::storage::users::UserFilter;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/admin",
        web::get().to(|| async { see_other("/admin/users") }),
    )
    .route("/admin/users", web::get().to(list))
    .route("/admin/users", web::post().to(create));
}

pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: &'static str,
    /// The department's or the enterprise's name.
    pub attached_to: String,
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
    /// The enterprise's name or credit code (the picker fills both).
    #[serde(default)]
    enterprise: String,
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
    picker: DepartmentPicker,
    errors: FormErrors,
    done: Option<String>,
}

pub(super) const ROLES: [Role; 5] = [
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
    let mut found = users::list_named(&state.db, filter)
        .await
        .map_err(|e| failed(req, ApiError::from(e)))?;
    let next = crate::http::views::paging::next_cursor(&mut found, PAGE, |u| u.user.id).map(|n| {
        format!(
            "/admin/users?q={}&role={}&cursor={n}",
            url_escape(&q.q),
            url_escape(&q.role)
        )
    });
    let rows = found
        .into_iter()
        .map(|n| UserRow {
            id: n.user.id,
            role: role_label(n.user.role, en),
            attached_to: n.department.or(n.enterprise).unwrap_or_default(),
            enterprise_id: n.user.enterprise_id,
            email: n.user.email,
            name: n.user.display_name,
            active: n.user.active,
            created_at: beijing(n.user.created_at),
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
    let picker = DepartmentPicker::load(
        state,
        req,
        department_field(&f.department_id).ok().flatten(),
        c.lang(),
    )
    .await?;
    let p = UsersPage {
        picker,
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
    let (department_id, enterprise_id) =
        attachment(&state, &req, &f.department_id, &f.enterprise, &mut errors).await?;
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

/// The department chosen and the enterprise typed, as ids; what cannot
/// be told goes to `errors` under the service's field names.
pub(super) async fn attachment(
    state: &AppState,
    req: &HttpRequest,
    department: &str,
    enterprise: &str,
    errors: &mut FormErrors,
) -> Result<(Option<i64>, Option<i64>), actix_web::Error> {
    let lang = crate::http::pages::session::page_lang(req);
    let department_id = department_field(department).unwrap_or_else(|_| {
        errors.fields.insert(
            "department_id".into(),
            crate::http::pages::say(lang, "desk_admin.choose_department"),
        );
        None
    });
    let enterprise_id =
        match crate::services::pickers::enterprise_by_text(&state.db, "enterprise_id", enterprise)
            .await
            .map_err(|e| failed(req, ApiError::from(e)))?
        {
            Ok(id) => id,
            Err(issue) => {
                errors
                    .fields
                    .insert(issue.field.into(), crate::words::phrase(lang, &issue.what));
                None
            }
        };
    Ok((department_id, enterprise_id))
}
