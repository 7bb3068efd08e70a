//! Accounts in the browser: log-in and log-out, changing the password,
//! an enterprise registering itself, and the pages e-mailed links open
//! (activation, a new password, asking for a reset link).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::chrome::{home_of, Field};
use super::session::{check_csrf, end_session, safe_next, start_session, Viewer};
use super::AppState;
use super::{client_address, public_limit};
use super::{fill, message, page, say, see_other, Chrome, FormErrors};
use crate::http::problem::ApiError;
use crate::services::accounts::{self, Activated, Registration, SelfServiceError};
use crate::services::auth::AuthError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login_form))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/account/password", web::get().to(password_form))
        .route("/account/password", web::post().to(change_password))
        .route("/register", web::get().to(register_form))
        .route("/register", web::post().to(register))
        .route("/account/activate", web::get().to(activate_form))
        .route("/account/activate", web::post().to(activate))
        .route("/account/reset-password", web::get().to(reset_form))
        .route("/account/reset-password", web::post().to(reset))
        .route("/account/forgot-password", web::get().to(forgot_form))
        .route("/account/forgot-password", web::post().to(forgot));
}

/// `/`: a signed-in person's first page, or the log-in page.
pub async fn home(viewer: Option<Viewer>) -> HttpResponse {
    match viewer {
        Some(v) => see_other(home_of(v.caller.role)),
        None => see_other("/login"),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    email: String,
    next: String,
    errors: FormErrors,
    /// No administrator yet: the page says how to create the first one.
    first_run: bool,
}

/// Whether the database has no active administrator yet (a database that
/// does not answer is not taken for an empty one).
async fn first_run(state: &AppState) -> bool {
    matches!(
        crate::services::users::any_administrator(&state.db).await,
        Ok(false)
    )
}

#[derive(Debug, Deserialize)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

#[derive(Debug, Deserialize)]
struct LoginFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn login_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<NextQuery>,
) -> HttpResponse {
    let p = LoginPage {
        c: Chrome::public(&req),
        email: String::new(),
        next: safe_next(&q.next),
        errors: FormErrors::default(),
        first_run: first_run(&state).await,
    };
    page(StatusCode::OK, p.render())
}

async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    f: web::Form<LoginFields>,
) -> Result<HttpResponse, actix_web::Error> {
    let f = f.into_inner();
    check_csrf(&req, &f.csrf)?;
    let client = client_address(&req, state.settings.server.trust_proxy_headers);
    let next = safe_next(&f.next);
    match state.auth.login(&f.email, f.password, &client).await {
        Ok((tokens, user)) => {
            start_session(&req, &tokens, user.id);
            let role = Some(user.role);
            let to = if next != "/" {
                next
            } else {
                role.map_or("/", home_of).to_string()
            };
            Ok(see_other(&to))
        }
        Err(AuthError::Storage(e)) => Err(super::unavailable(&req, &e.to_string()).into()),
        Err(e) => {
            let c = Chrome::public(&req);
            let status = match &e {
                AuthError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
                AuthError::DemoAccountRefused => StatusCode::FORBIDDEN,
                _ => StatusCode::UNAUTHORIZED,
            };
            let errors = FormErrors::of(ApiError::from(e), c.lang());
            let p = LoginPage {
                c,
                email: f.email,
                next,
                errors,
                first_run: first_run(&state).await,
            };
            Ok(page(status, p.render()))
        }
    }
}

#[derive(Debug, Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Option<Viewer>,
    f: web::Form<CsrfOnly>,
) -> Result<HttpResponse, actix_web::Error> {
    // A session that has ended already has nothing to protect: clearing
    // its cookies is all there is to do.
    if viewer.is_some() {
        check_csrf(&req, &f.csrf)?;
    }
    if let Some(rt) = req.cookie(super::session::REFRESH) {
        let client = client_address(&req, state.settings.server.trust_proxy_headers);
        // Logging out of a session the server no longer knows is no error.
        if let Err(AuthError::Storage(e)) = state.auth.logout(rt.value(), &client).await {
            return Err(super::unavailable(&req, &e.to_string()).into());
        }
    }
    end_session(&req);
    Ok(see_other("/login"))
}

#[derive(Template)]
#[template(path = "change_password.html")]
struct ChangePasswordPage {
    c: Chrome,
    errors: FormErrors,
}

#[derive(Debug, Deserialize)]
struct PasswordChangeFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

async fn password_form(req: HttpRequest, v: Viewer) -> HttpResponse {
    let p = ChangePasswordPage {
        c: Chrome::for_viewer(&req, &v),
        errors: FormErrors::default(),
    };
    page(StatusCode::OK, p.render())
}

async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    f: web::Form<PasswordChangeFields>,
) -> Result<HttpResponse, actix_web::Error> {
    let f = f.into_inner();
    check_csrf(&req, &f.csrf)?;
    let c = Chrome::for_viewer(&req, &v);
    let lang = c.lang();
    let errors = if f.password != f.confirm {
        let mut e = FormErrors::default();
        e.fields
            .insert("confirm".into(), say(lang, "account.two_passwords_differ"));
        e
    } else {
        match state
            .auth
            .change_password(
                v.user.id,
                f.current,
                f.password,
                &client_address(&req, state.settings.server.trust_proxy_headers),
            )
            .await
        {
            Ok(()) => {
                // Every session ends with a new password, this one too.
                end_session(&req);
                return Ok(message(
                    StatusCode::OK,
                    Chrome::public(&req),
                    say(lang, "account.your_password_changed"),
                    say(lang, "account.every_session_has_ended_log"),
                    "ok",
                    Some(("/login".into(), say(lang, "common.log_in"))),
                ));
            }
            Err(AuthError::Storage(e)) => {
                return Err(super::unavailable(&req, &e.to_string()).into())
            }
            Err(e) => {
                let mut errors = FormErrors::of(ApiError::from(e), lang);
                // The API names its fields current_password/new_password.
                if let Some(m) = errors.fields.remove("current_password") {
                    errors.fields.insert("current".into(), m);
                }
                if let Some(m) = errors.fields.remove("new_password") {
                    errors.fields.insert("password".into(), m);
                }
                errors
            }
        }
    };
    Ok(page(
        StatusCode::UNPROCESSABLE_ENTITY,
        ChangePasswordPage { c, errors }.render(),
    ))
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    c: Chrome,
    fields: Vec<Field>,
    errors: FormErrors,
}

fn register_page(c: Chrome, f: &Registration, errors: FormErrors) -> RegisterPage {
    let t = |key: &'static str| c.t(key);
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let fields = vec![
        Field::new(
            "credit_code",
            t("account.unified_social_credit_code"),
            &f.credit_code,
        )
        .required()
        .hint(t("account.credit_code_hint")),
        Field::new(
            "enterprise_name",
            t("account.enterprise_name"),
            &f.enterprise_name,
        )
        .required(),
        Field::new("county_code", t("account.county_code"), opt(&f.county_code))
            .hint(t("account.county_code_hint")),
        Field::new("address", t("common.address"), opt(&f.address)),
        Field::new("contact_name", t("account.contact_person"), &f.contact_name).required(),
        Field::new("email", t("common.e_mail"), &f.email)
            .kind("email")
            .required(),
        Field::new("phone", t("account.mobile_phone"), opt(&f.phone)).kind("tel"),
    ];
    RegisterPage { c, fields, errors }
}

#[derive(Debug, Deserialize)]
struct RegisterFields {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    registration: Registration,
}

async fn register_form(req: HttpRequest) -> HttpResponse {
    let p = register_page(
        Chrome::public(&req),
        &Registration::default(),
        FormErrors::default(),
    );
    page(StatusCode::OK, p.render())
}

async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    f: web::Form<RegisterFields>,
) -> Result<HttpResponse, actix_web::Error> {
    let RegisterFields {
        csrf,
        mut registration,
    } = f.into_inner();
    check_csrf(&req, &csrf)?;
    let c = Chrome::public(&req);
    let lang = c.lang();
    // Empty optional fields are not given at all.
    for v in [
        &mut registration.county_code,
        &mut registration.address,
        &mut registration.phone,
    ] {
        if v.as_deref().is_some_and(|s| s.trim().is_empty()) {
            *v = None;
        }
    }
    registration.locale = Some(if c.en { "en" } else { "zh" }.into());
    let client = client_address(&req, state.settings.server.trust_proxy_headers);
    if public_limit(&state, &client, "problem.too_many_requests").is_err() {
        let errors = FormErrors::general(say(lang, "account.too_many_requests_try_again"));
        let p = register_page(c, &registration, errors);
        return Ok(page(StatusCode::TOO_MANY_REQUESTS, p.render()));
    }
    let done = accounts::register(
        &state.db,
        registration.clone(),
        client,
        state.sla.now(),
        state.settings.mail.activation_minutes,
    )
    .await;
    match done {
        Ok(()) => Ok(message(
            StatusCode::OK,
            c,
            say(lang, "account.check_activation_mail"),
            say(lang, "account.if_details_right_activation_link"),
            "ok",
            None,
        )),
        Err(SelfServiceError::Storage(e)) => Err(super::unavailable(&req, &e.to_string()).into()),
        Err(e) => {
            let (status, errors) = self_service_errors(&e, lang);
            let p = register_page(c, &registration, errors);
            Ok(page(status, p.render()))
        }
    }
}

/// What went wrong, as the person at the form should read it.
fn self_service_errors(
    e: &SelfServiceError,
    lang: crate::http::lang::Lang,
) -> (StatusCode, FormErrors) {
    match e {
        SelfServiceError::PasswordRejected(rules) => {
            let mut errors = FormErrors::default();
            errors.fields.insert(
                "password".into(),
                rules
                    .iter()
                    .map(|r| crate::words::phrase(lang, &r.phrase()))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            (StatusCode::UNPROCESSABLE_ENTITY, errors)
        }
        SelfServiceError::InvalidLink => (
            StatusCode::UNPROCESSABLE_ENTITY,
            FormErrors::general(say(lang, "account.link_invalid_used_expired_please")),
        ),
        SelfServiceError::EmailTaken => (
            StatusCode::CONFLICT,
            FormErrors::general(say(lang, "account.e_mail_already_has_account")),
        ),
        SelfServiceError::Invalid(issues) => {
            let mut errors = FormErrors::default();
            for i in issues {
                errors
                    .fields
                    .insert(i.field.to_string(), crate::words::phrase(lang, &i.what));
            }
            (StatusCode::UNPROCESSABLE_ENTITY, errors)
        }
        SelfServiceError::Auth(_) | SelfServiceError::Storage(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            FormErrors::general(say(lang, "common.service_unavailable_right_now_please")),
        ),
    }
}

#[derive(Clone, Copy)]
enum Purpose {
    Activate,
    Reset,
}

#[derive(Template)]
#[template(path = "password_form.html")]
struct PasswordForm {
    c: Chrome,
    heading: String,
    intro: String,
    button: String,
    action: &'static str,
    token: String,
    errors: FormErrors,
}

#[derive(Debug, Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Debug, Deserialize)]
struct PasswordFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

fn password_page(purpose: Purpose, c: Chrome, token: &str, errors: FormErrors) -> PasswordForm {
    let t = |key: &str| c.t(key).to_string();
    let (heading, intro, button, action) = match purpose {
        Purpose::Activate => (
            t("account.activate_your_enterprise_account"),
            t("account.choose_password_account_works_soon"),
            t("account.set_password_activate"),
            "/account/activate",
        ),
        Purpose::Reset => (
            t("account.choose_new_password"),
            t("account.once_set_every_other_session"),
            t("common.save_new_password"),
            "/account/reset-password",
        ),
    };
    PasswordForm {
        c,
        heading,
        intro,
        button,
        action,
        token: token.to_string(),
        errors,
    }
}

fn show_form(req: &HttpRequest, purpose: Purpose, token: &str) -> HttpResponse {
    let c = Chrome::public(req);
    if token.trim().is_empty() {
        let lang = c.lang();
        return message(
            StatusCode::BAD_REQUEST,
            c,
            say(lang, "account.link_incomplete"),
            say(lang, "account.open_whole_link_from_e"),
            "bad",
            None,
        );
    }
    page(
        StatusCode::OK,
        password_page(purpose, c, token, FormErrors::default()).render(),
    )
}

async fn activate_form(req: HttpRequest, q: web::Query<TokenQuery>) -> HttpResponse {
    show_form(&req, Purpose::Activate, &q.token)
}

async fn reset_form(req: HttpRequest, q: web::Query<TokenQuery>) -> HttpResponse {
    show_form(&req, Purpose::Reset, &q.token)
}

async fn submit_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    purpose: Purpose,
    f: PasswordFields,
) -> Result<HttpResponse, actix_web::Error> {
    check_csrf(&req, &f.csrf)?;
    let c = Chrome::public(&req);
    let lang = c.lang();
    if f.password != f.confirm {
        let mut errors = FormErrors::default();
        errors
            .fields
            .insert("confirm".into(), say(lang, "account.two_passwords_differ"));
        return Ok(page(
            StatusCode::UNPROCESSABLE_ENTITY,
            password_page(purpose, c, &f.token, errors).render(),
        ));
    }
    let now = state.sla.now();
    let done = match purpose {
        Purpose::Activate => accounts::activate(&state.db, &state.auth, &f.token, f.password, now)
            .await
            .map(Some),
        Purpose::Reset => {
            accounts::reset_password(&state.db, &state.auth, &f.token, f.password, now)
                .await
                .map(|()| None)
        }
    };
    let login_link = Some(("/login".to_string(), say(lang, "common.log_in")));
    Ok(match (done, purpose) {
        (Ok(Some(Activated::AwaitingApproval { enterprise })), _) => message(
            StatusCode::ACCEPTED,
            c,
            say(lang, "account.address_confirmed_awaiting_approval"),
            fill(
                lang,
                "account.joins_on_approval",
                &[("enterprise", &enterprise)],
            ),
            "ok",
            None,
        ),
        (Ok(_), Purpose::Activate) => message(
            StatusCode::OK,
            c,
            say(lang, "account.your_account_active"),
            say(lang, "account.log_your_e_mail_password"),
            "ok",
            login_link,
        ),
        (Ok(_), Purpose::Reset) => message(
            StatusCode::OK,
            c,
            say(lang, "account.your_new_password_set"),
            say(lang, "account.log_again_new_password"),
            "ok",
            login_link,
        ),
        (Err(e), _) => {
            let (status, errors) = self_service_errors(&e, lang);
            page(status, password_page(purpose, c, &f.token, errors).render())
        }
    })
}

async fn activate(
    state: web::Data<AppState>,
    req: HttpRequest,
    f: web::Form<PasswordFields>,
) -> Result<HttpResponse, actix_web::Error> {
    submit_password(state, req, Purpose::Activate, f.into_inner()).await
}

async fn reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    f: web::Form<PasswordFields>,
) -> Result<HttpResponse, actix_web::Error> {
    submit_password(state, req, Purpose::Reset, f.into_inner()).await
}

#[derive(Template)]
#[template(path = "email_form.html")]
struct EmailForm {
    c: Chrome,
    email: String,
    errors: FormErrors,
}

#[derive(Debug, Deserialize)]
struct EmailFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

async fn forgot_form(req: HttpRequest) -> HttpResponse {
    let form = EmailForm {
        c: Chrome::public(&req),
        email: String::new(),
        errors: FormErrors::default(),
    };
    page(StatusCode::OK, form.render())
}

async fn forgot(
    state: web::Data<AppState>,
    req: HttpRequest,
    f: web::Form<EmailFields>,
) -> Result<HttpResponse, actix_web::Error> {
    let EmailFields { csrf, email } = f.into_inner();
    check_csrf(&req, &csrf)?;
    let c = Chrome::public(&req);
    let lang = c.lang();
    let client = client_address(&req, state.settings.server.trust_proxy_headers);
    if public_limit(&state, &client, "problem.too_many_requests").is_err() {
        let errors = FormErrors::general(say(lang, "account.too_many_requests_try_again"));
        return Ok(page(
            StatusCode::TOO_MANY_REQUESTS,
            EmailForm { c, email, errors }.render(),
        ));
    }
    match accounts::request_password_reset(&state.db, &email, client, state.sla.now()).await {
        Ok(()) => Ok(message(
            StatusCode::OK,
            c,
            say(lang, "account.check_your_mail"),
            say(lang, "account.if_address_has_account_reset"),
            "ok",
            None,
        )),
        Err(e) => {
            let (status, errors) = self_service_errors(&e, lang);
            Ok(page(status, EmailForm { c, email, errors }.render()))
        }
    }
}
