//! Administration: accounts, enterprises, the authentication audit.
//! To anyone but an administrator these routes do not exist (404; see [`Admin`]).

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::UserView;
use super::caller::{Admin, Body};
use super::problem::{ApiError, Message, Problem, ProblemKind};
use super::records::EnterpriseView;
use super::AppState;
use crate::services::users::{self, AccountError, NewAccount, NewEnterpriseInput};
use crate::storage::auth_events::AuthEvent;
use crate::storage::users::{User, UserFilter};

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Invalid(problems) => ApiError::invalid_fields(
                problems
                    .into_iter()
                    .map(|p| (p.field.to_string(), Message::new(p.zh, p.en)))
                    .collect(),
            ),
            AccountError::EmailTaken => ApiError::new(ProblemKind::Conflict).with_detail(
                "该电子邮箱已有账号。",
                "An account with this e-mail already exists.",
            ),
            AccountError::CreditCodeTaken => ApiError::new(ProblemKind::Conflict).with_detail(
                "该统一社会信用代码已登记。",
                "An enterprise with this credit code exists.",
            ),
            AccountError::NotFound => {
                ApiError::not_found("没有这个用户。", "There is no such user.")
            }
            AccountError::Auth(a) => a.into(),
            AccountError::Storage(s) => s.into(),
        }
    }
}

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
    )
    .await
    .map_err(ApiError::from)?;
    Ok(HttpResponse::Created().json(UserView::from(user)))
}

#[derive(Debug, Deserialize, IntoParams)]
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
    query: web::Query<UserListQuery>,
) -> Result<web::Json<UserPage>, ApiError> {
    let q = query.into_inner();
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid_fields(vec![(
            "limit".into(),
            Message::new("每页 1 到 200 条。", "A page has 1 to 200 items."),
        )]));
    }
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
        .await?;
    let next_cursor = if found.len() as i64 > limit {
        found.truncate(limit as usize);
        found.last().map(|u| u.id)
    } else {
        None
    };
    Ok(web::Json(UserPage {
        items: found.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Deactivates an account: log-in and every session stop at once.
#[utoipa::path(tag = "admin", security(("bearer" = [])), params(("id" = i64, Path)), responses((status = 200, body = UserView), (status = 404, body = Problem, content_type = "application/problem+json")))]
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

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateEnterprise {
    /// 统一社会信用代码, 18 characters.
    #[schema(example = "91310115591693856A")]
    pub credit_code: String,
    pub name: String,
    /// The county-level region the enterprise is registered in.
    #[schema(example = "310115")]
    pub county_code: String,
    /// Accept a code whose check character is wrong (some pilot-era codes); stored.
    #[serde(default)]
    pub accept_bad_checksum: bool,
}

/// Registers an enterprise.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    request_body = CreateEnterprise,
    responses(
        (status = 201, body = EnterpriseView),
        (status = 409, description = "The credit code is registered", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/enterprises")]
pub async fn create_enterprise(
    state: web::Data<AppState>,
    _admin: Admin,
    body: Body<CreateEnterprise>,
) -> Result<HttpResponse, actix_web::Error> {
    let body = body?;
    let b = body.into_inner();
    let e = users::create_enterprise(
        &state.db,
        NewEnterpriseInput {
            credit_code: b.credit_code,
            name: b.name,
            county_code: b.county_code,
            accept_bad_checksum: b.accept_bad_checksum,
        },
    )
    .await
    .map_err(ApiError::from)?;
    Ok(HttpResponse::Created().json(EnterpriseView::from(e)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthEventView {
    pub id: i64,
    /// `login_ok`, `login_failed`, `login_throttled`, `refresh_reuse`,
    /// `logout`, `password_changed`, `password_reset`, `user_created`,
    /// `user_deactivated`, `user_activated`.
    pub kind: String,
    pub user_id: Option<i64>,
    pub email: Option<String>,
    pub client_address: Option<String>,
    /// The administrator who acted, where one did.
    pub actor_id: Option<i64>,
    pub detail: Option<String>,
    pub created_at: chrono::NaiveDateTime,
}

#[derive(Debug, Deserialize, IntoParams)]
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
    query: web::Query<AuthEventQuery>,
) -> Result<web::Json<Vec<AuthEventView>>, ApiError> {
    let (user, limit) = (query.user_id, query.limit.unwrap_or(100).clamp(1, 500));
    let events = state
        .db
        .run(move |conn| Ok(AuthEvent::recent(conn, user, limit)?))
        .await?;
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
                created_at: e.created_at,
            })
            .collect(),
    ))
}
