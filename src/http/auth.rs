//! Log-in, token refresh, log-out, the caller's own account.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::{client_address, Authenticated, Body};
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::services::auth::Tokens;
use crate::storage::users::User;

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    #[schema(example = "officer@pudong.example.cn")]
    pub email: String,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// A user account as its owner and administrators see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub phone: Option<String>,
    /// `enterprise`, `officer`, `lead`, `supervisor` or `admin`.
    pub role: String,
    pub department_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    pub active: bool,
    /// `zh` or `en`.
    pub locale: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        UserView {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            phone: u.phone,
            role: u.role.as_str().to_string(),
            department_id: u.department_id,
            enterprise_id: u.enterprise_id,
            active: u.active,
            locale: u.locale,
            created_at: u.created_at.and_utc(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// A JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Opaque; exchange it at `/api/v1/auth/refresh`. Each one works once.
    pub refresh_token: String,
    pub refresh_expires_in: i64,
    pub user: UserView,
}

/// Tokens are credentials: no cache on the way may keep them (RFC 6749 §5.1).
fn token_response(tokens: Tokens, user: User) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .insert_header((actix_web::http::header::PRAGMA, "no-cache"))
        .json(TokenResponse {
            access_token: tokens.access_token,
            token_type: "Bearer",
            expires_in: tokens.access_expires_in,
            refresh_token: tokens.refresh_token,
            refresh_expires_in: tokens.refresh_expires_in,
            user: user.into(),
        })
}

/// Logs in with e-mail and password.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "Wrong e-mail or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failures from this client; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let client = client_address(&req, state.settings.server.trust_proxy_headers);
    let LoginRequest { email, password } = body.into_inner();
    let (tokens, user) = state.auth.login(&email, password, &client).await?;
    Ok(token_response(tokens, user))
}

/// Exchanges a refresh token for new tokens. The old one stops working;
/// presenting it again revokes every token of that log-in.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "Unknown, used, revoked or expired token", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let client = client_address(&req, state.settings.server.trust_proxy_headers);
    let (tokens, user) = state.auth.refresh(&body.refresh_token, &client).await?;
    Ok(token_response(tokens, user))
}

/// Ends the log-in the refresh token belongs to.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 204, description = "Logged out (also when the token was unknown)"))
)]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let client = client_address(&req, state.settings.server.trust_proxy_headers);
    state.auth.logout(&body.refresh_token, &client).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in user.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, body = UserView),
        (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me")]
pub async fn me(who: Authenticated) -> web::Json<UserView> {
    web::Json(who.user.into())
}

/// Changes the caller's password; every session of the account ends.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed; log in again"),
        (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong current password, or the new one breaks the policy", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong current passwords from this client; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Authenticated,
    body: Body<PasswordChange>,
) -> Result<HttpResponse, actix_web::Error> {
    let PasswordChange {
        current_password,
        new_password,
    } = body?.into_inner();
    state
        .auth
        .change_password(
            who.user.id,
            current_password,
            new_password,
            &client_address(&req, state.settings.server.trust_proxy_headers),
        )
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::NoContent().finish())
}
