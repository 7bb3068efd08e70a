//! Accounts by e-mail link: enterprise self-registration and activation,
//! password reset. Public routes; the answers never tell whether an address
//! has an account.

use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::UserView;
use super::caller::{client_address, public_limit, Body};
use super::problem::{ApiError, Message, Problem};
use super::AppState;
use crate::services::accounts::{self, Registration};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationRequest {
    /// 统一社会信用代码 (GB 32100-2015; the check character must be right).
    #[schema(example = "91310115591693856A")]
    pub credit_code: String,
    pub enterprise_name: String,
    /// The enterprise's county; by default the region in the credit code.
    pub county_code: Option<String>,
    pub address: Option<String>,
    /// The person registering, who becomes the enterprise's contact.
    pub contact_name: String,
    /// Where the activation link goes; the account's log-in.
    pub email: String,
    pub phone: Option<String>,
    /// `zh` (default) or `en`.
    pub locale: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    pub message: String,
}

fn accepted(said: Message, req: &HttpRequest) -> HttpResponse {
    let lang = super::lang::Lang::from_request(req);
    HttpResponse::Accepted().json(Accepted {
        message: crate::words::phrase(lang, &said),
    })
}

fn too_many(state: &AppState, client: &str) -> Result<(), ApiError> {
    public_limit(state, client, "problem.too_many_requests")
}

/// Registers an enterprise account. If the details are valid, an activation
/// link is e-mailed (valid `mail.activation_minutes`); the answer is the same
/// whether or not the address already has an account.
#[utoipa::path(
    tag = "auth",
    request_body = RegistrationRequest,
    responses(
        (status = 202, body = Accepted),
        (status = 422, description = "Every invalid field", body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/register")]
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Body<RegistrationRequest>,
) -> Result<HttpResponse, actix_web::Error> {
    let b = body?.into_inner();
    let client = client_address(&req, state.settings.server.trust_proxy_headers);
    too_many(&state, &client)?;
    accounts::register(
        &state.db,
        Registration {
            credit_code: b.credit_code,
            enterprise_name: b.enterprise_name,
            county_code: b.county_code,
            address: b.address,
            contact_name: b.contact_name,
            email: b.email,
            phone: b.phone,
            locale: b.locale,
        },
        client,
        state.sla.now(),
        state.settings.mail.activation_minutes,
    )
    .await
    .map_err(ApiError::from)?;
    Ok(accepted(Message::new("accepted.registration"), &req))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkWithPassword {
    /// The token from the e-mailed link.
    pub token: String,
    pub password: String,
}

/// Activates a registration with its e-mailed token and sets the password.
/// For an enterprise not on record, the enterprise (unverified until its
/// county department verifies it) and its account are created now (201).
/// For one on record, a request to join it is made (202): its accounts, or
/// when it has none its county department's lead, approve it, and the
/// account exists from then on.
#[utoipa::path(
    tag = "auth",
    request_body = LinkWithPassword,
    responses(
        (status = 201, body = UserView),
        (status = 202, description = "The enterprise is on record: a request to join it awaits approval", body = Accepted),
        (status = 409, description = "The e-mail got an account meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid, used or expired link, or a password that breaks the policy", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/activate")]
pub async fn activate(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Body<LinkWithPassword>,
) -> Result<HttpResponse, actix_web::Error> {
    let b = body?.into_inner();
    let done = accounts::activate(
        &state.db,
        &state.auth,
        &b.token,
        b.password,
        state.sla.now(),
    )
    .await
    .map_err(ApiError::from)?;
    Ok(match done {
        accounts::Activated::Account(user) => HttpResponse::Created().json(UserView::from(*user)),
        accounts::Activated::AwaitingApproval { enterprise } => accepted(
            Message::with(
                "accepted.join_awaits_approval",
                [("enterprise", enterprise.to_string())],
            ),
            &req,
        ),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    pub email: String,
}

/// Asks for a password-reset link (valid 30 minutes, single use). The
/// answer is the same whether or not the address has an account.
#[utoipa::path(
    tag = "auth",
    request_body = ResetRequest,
    responses(
        (status = 202, body = Accepted),
        (status = 422, description = "Not an e-mail address", body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/password-reset")]
pub async fn request_reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Body<ResetRequest>,
) -> Result<HttpResponse, actix_web::Error> {
    let b = body?.into_inner();
    let client = client_address(&req, state.settings.server.trust_proxy_headers);
    too_many(&state, &client)?;
    accounts::request_password_reset(&state.db, &b.email, client, state.sla.now())
        .await
        .map_err(ApiError::from)?;
    Ok(accepted(Message::new("accepted.password_reset"), &req))
}

/// Sets a new password with the e-mailed token; every session of the account ends.
#[utoipa::path(
    tag = "auth",
    request_body = LinkWithPassword,
    responses(
        (status = 204, description = "Changed; log in with the new password"),
        (status = 422, description = "Invalid, used or expired link, or a password that breaks the policy", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/password-reset/confirm")]
pub async fn confirm_reset(
    state: web::Data<AppState>,
    body: Body<LinkWithPassword>,
) -> Result<HttpResponse, actix_web::Error> {
    let b = body?.into_inner();
    accounts::reset_password(
        &state.db,
        &state.auth,
        &b.token,
        b.password,
        state.sla.now(),
    )
    .await
    .map_err(ApiError::from)?;
    Ok(HttpResponse::NoContent().finish())
}
