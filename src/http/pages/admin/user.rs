//! One account: what it is, its edit form (name, role, department,
//! enterprise), a password-reset link sent by e-mail, a password set by
//! hand, and deactivation behind a confirmation page (reactivation needs
//! none: it takes nothing away).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::super::AppState;
use super::admin;
use super::pickers::DepartmentPicker;
use super::users::{attachment, ROLES};
use crate::http::pages::chrome::role_label;
use crate::http::pages::labels::beijing;
use crate::http::pages::session::{check_csrf, page_lang, Viewer};
use crate::http::pages::{failed, page, say, see_other, Chrome, FormErrors, PageError};
use crate::http::problem::ApiError;
use crate::services::accounts::{send_reset_link, ResetLinkError};
use crate::services::pickers::enterprise_label;
use crate::services::users::{self, AccountChange, AccountView};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/users/{id}", web::get().to(show))
        .route("/admin/users/{id}", web::post().to(edit))
        .route("/admin/users/{id}/reset-link", web::post().to(reset_link))
        .route("/admin/users/{id}/deactivate", web::get().to(confirm))
        .route("/admin/users/{id}/active", web::post().to(set_active))
        .route("/admin/users/{id}/password", web::post().to(set_password));
}

/// The edit form as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    department_id: String,
    #[serde(default)]
    pub enterprise: String,
}

#[derive(Template)]
#[template(path = "admin_user.html")]
struct UserPage {
    c: Chrome,
    id: i64,
    email: String,
    name: String,
    role: &'static str,
    department: Option<(i64, String)>,
    enterprise: Option<(i64, String)>,
    active: bool,
    created_at: String,
    last_login: Option<String>,
    roles: Vec<(&'static str, &'static str)>,
    f: EditForm,
    picker: DepartmentPicker,
    errors: FormErrors,
    done: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn load(
    state: &AppState,
    req: &HttpRequest,
    id: i64,
) -> Result<AccountView, actix_web::Error> {
    users::account(&state.db, id)
        .await
        .map_err(|e| failed(req, e))
}

/// What the page shows besides the account: the edit form as sent (else
/// the account as it is), what went wrong, what was done.
struct Shown {
    typed: Option<EditForm>,
    errors: FormErrors,
    done: Option<String>,
    status: StatusCode,
}

impl Shown {
    fn refused(typed: Option<EditForm>, errors: FormErrors) -> Shown {
        Shown {
            typed,
            errors,
            done: None,
            status: StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

async fn render(
    state: &AppState,
    req: &HttpRequest,
    v: &Viewer,
    view: AccountView,
    shown: Shown,
) -> Result<HttpResponse, actix_web::Error> {
    let Shown {
        typed,
        errors,
        done,
        status,
    } = shown;
    let c = Chrome::for_viewer(req, v);
    let u = &view.user;
    let f = typed.unwrap_or_else(|| EditForm {
        display_name: u.display_name.clone(),
        role: u.role.as_str().to_string(),
        department_id: u.department_id.map(|d| d.to_string()).unwrap_or_default(),
        enterprise: view
            .enterprise
            .as_ref()
            .map(|e| enterprise_label(&e.name, &e.credit_code))
            .unwrap_or_default(),
        ..EditForm::default()
    });
    let picked = f.department_id.trim().parse().ok();
    let picker = DepartmentPicker::load(state, req, picked, c.lang()).await?;
    let done = done.map(|d| {
        c.t(match d.as_str() {
            "saved" => "desk_admin.done_saved",
            "reset" => "desk_admin.done_reset_sent",
            "active" => "admin_users.done_active",
            "password" => "admin_users.done_password",
            _ => "admin_users.done",
        })
        .to_string()
    });
    let p = UserPage {
        id: u.id,
        email: u.email.clone(),
        name: u.display_name.clone(),
        role: role_label(u.role, c.en),
        department: view.department.as_ref().map(|d| (d.id, d.name.clone())),
        enterprise: view.enterprise.as_ref().map(|e| (e.id, e.name.clone())),
        active: u.active,
        created_at: beijing(u.created_at),
        last_login: view.last_login.map(beijing),
        roles: ROLES
            .iter()
            .map(|r| (r.as_str(), role_label(*r, c.en)))
            .collect(),
        f,
        picker,
        errors,
        done,
        c,
    };
    Ok(page(status, p.render()))
}

async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<i64>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    let v = admin(&req, v)?;
    let view = load(&state, &req, path.into_inner()).await?;
    let shown = Shown {
        typed: None,
        errors: FormErrors::default(),
        done: q.into_inner().done,
        status: StatusCode::OK,
    };
    render(&state, &req, &v, view, shown).await
}

async fn edit(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<i64>,
    f: web::Form<EditForm>,
) -> Result<HttpResponse, actix_web::Error> {
    let v = admin(&req, v)?;
    let (id, f) = (path.into_inner(), f.into_inner());
    check_csrf(&req, &f.csrf)?;
    let lang = page_lang(&req);
    let mut errors = FormErrors::default();
    let (department_id, enterprise_id) =
        attachment(&state, &req, &f.department_id, &f.enterprise, &mut errors).await?;
    if errors.is_empty() {
        let change = AccountChange {
            display_name: f.display_name.clone(),
            role: f.role.clone(),
            department_id,
            enterprise_id,
        };
        match users::update_account(&state.db, id, change, v.user.id).await {
            Ok(_) => return Ok(see_other(&format!("/admin/users/{id}?done=saved"))),
            Err(e) => {
                let e = ApiError::from(e);
                let status = e.kind.status();
                if status.is_server_error() || status == StatusCode::NOT_FOUND {
                    return Err(PageError::from_api(&req, e).into());
                }
                errors = FormErrors::of(e, lang);
            }
        }
    }
    let view = load(&state, &req, id).await?;
    render(&state, &req, &v, view, Shown::refused(Some(f), errors)).await
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn reset_link(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<i64>,
    f: web::Form<CsrfForm>,
) -> Result<HttpResponse, actix_web::Error> {
    let v = admin(&req, v)?;
    check_csrf(&req, &f.csrf)?;
    let id = path.into_inner();
    match send_reset_link(&state.db, id, v.user.id, state.sla.now()).await {
        Ok(()) => Ok(see_other(&format!("/admin/users/{id}?done=reset"))),
        Err(ResetLinkError::NotFound) => Err(PageError::not_found(&req).into()),
        Err(ResetLinkError::Inactive) => {
            let view = load(&state, &req, id).await?;
            let errors = FormErrors::general(say(page_lang(&req), "desk_admin.reset_inactive"));
            render(&state, &req, &v, view, Shown::refused(None, errors)).await
        }
        Err(ResetLinkError::Storage(e)) => Err(failed(&req, e)),
    }
}

#[derive(Template)]
#[template(path = "admin_confirm.html")]
struct ConfirmPage {
    c: Chrome,
    id: i64,
    name: String,
    email: String,
}

/// Asks before deactivating: it ends the person's sessions at once.
async fn confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<i64>,
) -> Result<HttpResponse, actix_web::Error> {
    let v = admin(&req, v)?;
    let view = load(&state, &req, path.into_inner()).await?;
    confirmation(&req, &v, view)
}

fn confirmation(
    req: &HttpRequest,
    v: &Viewer,
    view: AccountView,
) -> Result<HttpResponse, actix_web::Error> {
    let p = ConfirmPage {
        c: Chrome::for_viewer(req, v),
        id: view.user.id,
        name: view.user.display_name,
        email: view.user.email,
    };
    Ok(page(StatusCode::OK, p.render()))
}

#[derive(Debug, Deserialize)]
struct ActiveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    active: String,
    /// `yes` once the administrator confirmed a deactivation.
    #[serde(default)]
    confirm: String,
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
    let (id, active) = (path.into_inner(), f.active == "true");
    if !active && f.confirm != "yes" {
        // Not confirmed: ask, and change nothing.
        let view = load(&state, &req, id).await?;
        return confirmation(&req, &v, view);
    }
    match users::set_active(&state.db, id, active, v.user.id).await {
        Ok(_) => Ok(see_other(&format!("/admin/users/{id}?done=active"))),
        Err(e) => {
            let e = ApiError::from(e);
            let status = e.kind.status();
            if status.is_server_error() || status == StatusCode::NOT_FOUND {
                return Err(PageError::from_api(&req, e).into());
            }
            let errors = FormErrors::of(e, page_lang(&req));
            let view = load(&state, &req, id).await?;
            let errors = FormErrors::general(
                errors
                    .general
                    .into_iter()
                    .chain(errors.fields.into_values())
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            render(&state, &req, &v, view, Shown::refused(None, errors)).await
        }
    }
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
    let id = path.into_inner();
    match users::reset_password(&state.db, &state.auth, id, f.password, v.user.id).await {
        Ok(()) => Ok(see_other(&format!("/admin/users/{id}?done=password"))),
        Err(e) => {
            let e = ApiError::from(e);
            let status = e.kind.status();
            if status.is_server_error() || status == StatusCode::NOT_FOUND {
                return Err(PageError::from_api(&req, e).into());
            }
            let mut errors = FormErrors::of(e, page_lang(&req));
            // The message belongs to the password field, shown on top.
            errors
                .general
                .extend(std::mem::take(&mut errors.fields).into_values());
            let view = load(&state, &req, id).await?;
            render(&state, &req, &v, view, Shown::refused(None, errors)).await
        }
    }
}
