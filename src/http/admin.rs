//! Administration: accounts, bulk imports, the authentication audit.
//! To anyone but an administrator these routes do not exist (404; see [`Admin`]).

use actix_web::{get, post, put, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::UserView;
use super::caller::{Admin, Body};
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::services::users::{self, NewAccount};
use crate::storage::auth_events::AuthEvent;
use crate::storage::users::{User, UserFilter};

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateUser {
    pub email: String,
    pub display_name: String,
    pub phone: Option<String>,
    /// `enterprise`, `officer`, `lead`, `supervisor` or `admin`.
    pub role: String,
    /// Required for officer, lead and supervisor.
    pub department_id: Option<i64>,
    /// Required for enterprise users.
    pub enterprise_id: Option<i64>,
    pub password: String,
    /// `zh` (default) or `en`.
    pub locale: Option<String>,
}

/// Creates an account.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    request_body = CreateUser,
    responses(
        (status = 201, body = UserView),
        (status = 409, description = "The e-mail is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Every invalid field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    Admin(who): Admin,
    body: Body<CreateUser>,
) -> Result<HttpResponse, actix_web::Error> {
    let body = body?;
    let b = body.into_inner();
    let user = users::create_account(
        &state.db,
        &state.auth,
        NewAccount {
            email: b.email,
            display_name: b.display_name,
            phone: b.phone,
            role: b.role,
            department_id: b.department_id,
            enterprise_id: b.enterprise_id,
            password: b.password,
            locale: b.locale,
        },
        Some(who.user.id),
        state.sla.now(),
    )
    .await
    .map_err(ApiError::from)?;
    Ok(HttpResponse::Created().json(UserView::from(user)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    pub role: Option<String>,
    pub department_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    pub active: Option<bool>,
    /// A fragment of the e-mail or name.
    pub q: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<i64>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<UserView>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<i64>,
}

/// Lists accounts, page by page (keyset, by id).
#[utoipa::path(tag = "admin", security(("bearer" = [])), params(UserListQuery), responses((status = 200, body = UserPage)))]
#[get("/admin/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    _admin: Admin,
    // Read after the administrator check: a malformed query must not tell
    // others that the route exists (they get 404 either way).
    query: Result<web::Query<UserListQuery>, actix_web::Error>,
) -> Result<web::Json<UserPage>, actix_web::Error> {
    let query = query?;
    let q = query.into_inner();
    let limit = super::views::paging::limit(q.limit)?;
    let filter = UserFilter {
        role: q.role,
        department_id: q.department_id,
        enterprise_id: q.enterprise_id,
        active: q.active,
        query: q.q,
        after_id: q.cursor,
        limit: limit + 1,
    };
    let mut found = state
        .db
        .run(move |conn| Ok(User::list(conn, &filter)?))
        .await
        .map_err(ApiError::from)?;
    let next_cursor = super::views::paging::next_cursor(&mut found, limit, |u| u.id);
    Ok(web::Json(UserPage {
        items: found.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Deactivates an account: log-in and every session stop at once.
#[utoipa::path(tag = "admin", security(("bearer" = [])), params(("id" = i64, Path)), responses((status = 200, body = UserView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, description = "The caller's own account", body = Problem, content_type = "application/problem+json")))]
#[post("/admin/users/{id}/deactivate")]
pub async fn deactivate_user(
    state: web::Data<AppState>,
    Admin(who): Admin,
    path: web::Path<i64>,
) -> Result<web::Json<UserView>, ApiError> {
    let user = users::set_active(&state.db, path.into_inner(), false, who.user.id).await?;
    Ok(web::Json(user.into()))
}

/// Reactivates an account.
#[utoipa::path(tag = "admin", security(("bearer" = [])), params(("id" = i64, Path)), responses((status = 200, body = UserView), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[post("/admin/users/{id}/activate")]
pub async fn activate_user(
    state: web::Data<AppState>,
    Admin(who): Admin,
    path: web::Path<i64>,
) -> Result<web::Json<UserView>, ApiError> {
    let user = users::set_active(&state.db, path.into_inner(), true, who.user.id).await?;
    Ok(web::Json(user.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateUser {
    pub display_name: String,
    /// `enterprise`, `officer`, `lead`, `supervisor` or `admin`.
    pub role: String,
    /// Required for officer, lead and supervisor; absent for the others.
    pub department_id: Option<i64>,
    /// Required for enterprise users; absent for the others.
    pub enterprise_id: Option<i64>,
}

/// Changes an account's name, role, department or enterprise (the
/// `user_updated` event names what changed). A changed role ends the
/// person's sessions; an administrator cannot change their own role.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    request_body = UpdateUser,
    responses(
        (status = 200, body = UserView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Every invalid field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/admin/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    Admin(who): Admin,
    path: web::Path<i64>,
    body: Body<UpdateUser>,
) -> Result<web::Json<UserView>, actix_web::Error> {
    let b = body?.into_inner();
    let change = users::AccountChange {
        display_name: b.display_name,
        role: b.role,
        department_id: b.department_id,
        enterprise_id: b.enterprise_id,
    };
    let user = users::update_account(&state.db, path.into_inner(), change, who.user.id)
        .await
        .map_err(ApiError::from)?;
    Ok(web::Json(user.into()))
}

/// Sends the user the password-reset link of "forgot your password" by
/// e-mail (through the outbox), so that they set a new password themselves.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 202, description = "The link is queued for sending"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The account is deactivated", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/users/{id}/reset-link")]
pub async fn send_reset_link(
    state: web::Data<AppState>,
    Admin(who): Admin,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    crate::services::accounts::send_reset_link(
        &state.db,
        path.into_inner(),
        who.user.id,
        state.sla.now(),
    )
    .await?;
    Ok(HttpResponse::Accepted().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordReset {
    pub password: String,
}

/// Sets a user's password; their sessions end.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    request_body = PasswordReset,
    responses(
        (status = 204, description = "Password set"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/users/{id}/password")]
pub async fn reset_password(
    state: web::Data<AppState>,
    Admin(who): Admin,
    path: web::Path<i64>,
    body: Body<PasswordReset>,
) -> Result<HttpResponse, actix_web::Error> {
    let body = body?;
    users::reset_password(
        &state.db,
        &state.auth,
        path.into_inner(),
        body.into_inner().password,
        who.user.id,
    )
    .await
    .map_err(ApiError::from)?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthEventView {
    pub id: i64,
    /// `login_ok`, `login_failed`, `login_throttled`, `refresh_reuse`,
    /// `logout`, `password_changed`, `password_change_failed`,
    /// `password_reset`, `password_reset_sent` (an administrator sent the
    /// link), `user_created`, `user_updated` (detail: what changed, e.g.
    /// `role:officer->lead;department:12->40`), `user_deactivated`,
    /// `user_activated`, `registration_requested`, `registration_ignored`,
    /// `registration_activated`, `join_requested`, `join_approved`,
    /// `join_refused`, `enterprise_contact_changed` (detail: the enterprise
    /// and both addresses), `enterprise_verified`.
    pub kind: String,
    pub user_id: Option<i64>,
    pub email: Option<String>,
    pub client_address: Option<String>,
    /// The administrator who acted, where one did.
    pub actor_id: Option<i64>,
    pub detail: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuthEventQuery {
    pub user_id: Option<i64>,
    /// At most 500 (default 100).
    pub limit: Option<i64>,
}

/// The newest authentication events.
#[utoipa::path(tag = "admin", security(("bearer" = [])), params(AuthEventQuery), responses((status = 200, body = Vec<AuthEventView>)))]
#[get("/admin/auth-events")]
pub async fn auth_events(
    state: web::Data<AppState>,
    _admin: Admin,
    // Read after the administrator check: a malformed query must not tell
    // others that the route exists (they get 404 either way).
    query: Result<web::Query<AuthEventQuery>, actix_web::Error>,
) -> Result<web::Json<Vec<AuthEventView>>, actix_web::Error> {
    let query = query?;
    let (user, limit) = (query.user_id, query.limit.unwrap_or(100).clamp(1, 500));
    let events = state
        .db
        .run(move |conn| Ok(AuthEvent::recent(conn, user, limit)?))
        .await
        .map_err(ApiError::from)?;
    Ok(web::Json(
        events
            .into_iter()
            .map(|e| AuthEventView {
                id: e.id,
                kind: e.kind,
                user_id: e.user_id,
                email: e.email,
                client_address: e.client_address,
                actor_id: e.actor_id,
                detail: e.detail,
                created_at: e.created_at.and_utc(),
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Check every row and report, writing nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Apply changes of name of white-listed enterprises; without it such a
    /// row is refused, with the old and new names.
    #[serde(default)]
    pub allow_renames: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRowError {
    /// The spreadsheet row (the header is row 1).
    pub row: usize,
    pub column: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReportView {
    pub dry_run: bool,
    /// Whether the rows were written (never in a dry run or with errors).
    pub applied: bool,
    pub rows: usize,
    /// Rows that are (or would be) new.
    pub inserted: usize,
    /// Rows that change an existing record.
    pub updated: usize,
    /// Rows identical to what is stored.
    pub unchanged: usize,
    pub errors: Vec<ImportRowError>,
    /// White-listed enterprises the file renames (old and new names).
    pub renames: Vec<ImportRename>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRename {
    pub row: usize,
    pub credit_code: String,
    pub from: String,
    pub to: String,
}

/// Imports enterprises (`kind` = `enterprises`) or white-list entries
/// (`whitelist`) from a CSV or XLSX file sent as the request body. All rows
/// are written in one transaction or none; a dry run writes nothing.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("kind" = String, Path, description = "`enterprises` or `whitelist`"), ImportQuery),
    request_body(content = Vec<u8>, description = "The file: CSV (UTF-8 or GBK) or XLSX", content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "The report (a dry run, or every row written)", body = ImportReportView),
        (status = 422, description = "Bad rows (nothing written), or an unreadable file", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/imports/{kind}")]
pub async fn import(
    state: web::Data<AppState>,
    Admin(who): Admin,
    req: actix_web::HttpRequest,
    path: web::Path<String>,
    query: Result<web::Query<ImportQuery>, actix_web::Error>,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, actix_web::Error> {
    use crate::services::imports::{import_enterprises, import_whitelist, read_table, ImportError};
    let (query, body) = (query?, body?);
    let lang = super::lang::Lang::from_request(&req);
    let table = read_table(&body).map_err(ApiError::from)?;
    let dry_run = query.dry_run;
    let report = match path.as_str() {
        "enterprises" => {
            let renames = query.allow_renames;
            import_enterprises(
                &state.db,
                table,
                dry_run,
                renames,
                Some(who.user.id),
                state.sla.now(),
                |_| {},
            )
            .await
        }
        "whitelist" => {
            let now = state.sla.now();
            import_whitelist(&state.db, table, dry_run, Some(who.user.id), now, |_| {}).await
        }
        other => {
            return Err(ApiError::not_found_with(
                "problem.no_such_import",
                [("other", other.to_string())],
            )
            .into())
        }
    }
    .map_err(|e| match e {
        ImportError::Storage(s) => ApiError::from(s),
        file => ApiError::from(file),
    })?;
    if !dry_run && !report.errors.is_empty() {
        return Err(ApiError::invalid_fields(
            report
                .errors
                .into_iter()
                .map(|e| (format!("rows[{}].{}", e.row, e.column), e.what))
                .collect(),
        )
        .with_detail("problem.import_rows_invalid")
        .into());
    }
    let applied = report.applied();
    Ok(HttpResponse::Ok().json(ImportReportView {
        dry_run,
        applied,
        rows: report.rows,
        inserted: report.inserted,
        updated: report.updated,
        unchanged: report.unchanged,
        renames: report
            .renames
            .into_iter()
            .map(|r| ImportRename {
                row: r.row,
                credit_code: r.credit_code,
                from: r.from,
                to: r.to,
            })
            .collect(),
        errors: report
            .errors
            .into_iter()
            .map(|e| ImportRowError {
                row: e.row,
                column: e.column,
                message: crate::words::phrase(lang, &e.what),
            })
            .collect(),
    }))
}
