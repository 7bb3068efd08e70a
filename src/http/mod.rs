//! The HTTP layer: parses, calls the storage and domain code, renders.

pub mod accounts;
pub mod admin;
pub mod attachments;
pub mod auth;
pub mod body_limit;
pub mod caller;
pub mod catalogue;
pub mod daily_reports;
pub mod dashboard;
pub mod desk;
pub mod enterprises;
pub mod extract;
pub mod health;
pub mod join_requests;
pub mod lang;
pub mod mail;
pub mod metrics;
pub mod middleware;
pub mod monitoring;
pub mod notices;
pub mod notifications;
pub mod openapi;
pub mod pages;
pub mod problem;
pub mod ranking;
pub mod records;
pub mod reference;
pub mod robots;
pub mod routing;
pub mod sla;
pub mod sms;
pub mod ticket_export;
pub mod tickets;
pub mod views;

use std::sync::Arc;

use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{body::BoxBody, web, App, HttpRequest, HttpResponse};
use utoipa::OpenApi;
use utoipa_actix_web::{scope, AppExt};
use utoipa_swagger_ui::SwaggerUi;

use crate::configuration::Settings;
use crate::services::auth::Authenticator;
use crate::storage::Database;
use problem::{ApiError, ProblemKind};

/// What every handler may reach.
pub struct AppState {
    pub db: Database,
    pub settings: Arc<Settings>,
    pub auth: Authenticator,
    /// The clock, work calendar and SLA policies.
    pub sla: crate::services::sla::Sla,
    /// Per-client limit of the public white-list check.
    pub check_limiter: governor::DefaultKeyedRateLimiter<String>,
    /// How fast accounts and enterprises may file.
    pub filing: crate::services::filing_limits::FilingLimits,
    /// Dashboards the web page has computed recently.
    pub dashboards: std::sync::Arc<crate::services::dashboard_cache::DashboardCache>,
    /// The workbench's tab counts that were slow to count, for a few seconds.
    pub tab_counts: std::sync::Arc<crate::services::desk_tabs::TabCountCache>,
    /// Files on tickets' steps: the object store and the limits.
    pub attachments: std::sync::Arc<crate::services::attachments::Attachments>,
}

/// The whole application: routes, middleware, extractor settings.
pub fn build_app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<BoxBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let json_limit = state.settings.server.json_limit_bytes;
    let upload_limit = state.settings.server.upload_limit_bytes;
    let (app, _) = routes(App::new().into_utoipa_app())
        .openapi_service(|api| {
            SwaggerUi::new("/api/docs/{_:.*}").url("/api/openapi.json", openapi::complete(api))
        })
        .app_data(state)
        .app_data(extract::json_config(json_limit))
        .app_data(extract::form_config(json_limit))
        .app_data(extract::path_config())
        .app_data(extract::query_config())
        .app_data(web::PayloadConfig::new(upload_limit))
        .route("/api/docs", web::get().to(docs_redirect))
        .default_service(web::to(not_found))
        .map(|app| {
            app.configure(pages::configure)
                .wrap(actix_web::middleware::from_fn(body_limit::limit_body))
                .wrap(actix_web::middleware::from_fn(pages::session::set_cookies))
                .wrap(actix_web::middleware::from_fn(middleware::observe))
                .wrap(actix_web::middleware::from_fn(
                    body_limit::keep_body_until_sent,
                ))
        })
        .split_for_parts();
    app
}

/// Routes described in the OpenAPI document.
fn routes<T>(app: utoipa_actix_web::UtoipaApp<T>) -> utoipa_actix_web::UtoipaApp<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    app.openapi(openapi::ApiDoc::openapi())
        .service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .service(
            scope::scope("/api/v1")
                .service(reference::list_regions)
                .service(reference::lookup_regions)
                .service(reference::get_region)
                .service(reference::get_department)
                .service(reference::update_settings)
                .service(reference::list_chains)
                .service(catalogue::list_categories)
                .service(catalogue::put_category)
                .service(catalogue::put_chain)
                .service(auth::login)
                .service(accounts::register)
                .service(accounts::activate)
                .service(accounts::request_reset)
                .service(accounts::confirm_reset)
                .service(auth::refresh)
                .service(auth::logout)
                .service(auth::me)
                .service(auth::change_password)
                .service(records::get_user)
                .service(enterprises::search)
                .service(enterprises::create)
                .service(enterprises::get)
                .service(enterprises::update)
                .service(enterprises::verify)
                .service(join_requests::list)
                .service(join_requests::approve)
                .service(join_requests::refuse)
                .service(enterprises::listings)
                .service(enterprises::add_listing)
                .service(enterprises::remove_listing)
                .service(enterprises::check)
                .service(admin::create_user)
                .service(admin::list_users)
                .service(admin::deactivate_user)
                .service(admin::activate_user)
                .service(admin::reset_password)
                .service(admin::update_user)
                .service(admin::send_reset_link)
                .service(admin::import)
                .service(routing::list)
                .service(routing::create)
                .service(routing::update)
                .service(tickets::file)
                .service(tickets::offered_actions)
                .service(tickets::queue)
                .service(tickets::bulk)
                // Before `/tickets/{id}`, which would take `export` for an id.
                .service(ticket_export::export_tickets)
                .service(tickets::get)
                .service(tickets::take_action)
                .service(tickets::act)
                .service(sla::supervision_list)
                .service(metrics::get_metrics)
                .service(dashboard::get_dashboard)
                .service(metrics::export_metrics)
                .service(ranking::get_ranking)
                .service(ranking::export_ranking)
                .service(notices::list_notices)
                .service(notices::set_notices)
                // Before `/me/notifications/{id}/read`, which would not take `read-all` anyway.
                .service(notifications::read_all_notifications)
                .service(notifications::list_notifications)
                .service(notifications::read_notification)
                .service(desk::list_views)
                .service(desk::save_view)
                .service(desk::delete_view)
                .service(desk::get_filer)
                .service(sla::calendar_year)
                .service(sla::put_calendar_year)
                .service(sla::import_calendar)
                .service(sla::list_policies)
                .service(sla::put_policy)
                .service(admin::auth_events)
                .service(mail::list_templates)
                .service(mail::get_template)
                .service(mail::put_template)
                .service(mail::delete_template)
                .service(mail::list_outbox)
                .service(mail::resend)
                .service(attachments::upload_pending)
                .service(attachments::upload_for_ticket)
                .service(attachments::list)
                .service(attachments::download)
                .service(attachments::thumbnail)
                .service(robots::list_robots)
                .service(robots::create_robot)
                .service(robots::update_robot)
                .service(robots::delete_robot)
                .service(robots::test_robot)
                .service(sms::get_sms_mobile)
                .service(sms::set_sms_mobile)
                .service(daily_reports::get_revisions)
                .service(daily_reports::put_report)
                .service(daily_reports::get_report)
                .service(daily_reports::blocker_ticket)
                .service(monitoring::list_lists)
                .service(monitoring::create_list)
                .service(monitoring::list_members)
                .service(monitoring::add_member)
                .service(monitoring::remove_member)
                .service(monitoring::put_industry)
                .service(monitoring::overview)
                .service(monitoring::export)
                .service(monitoring::missing)
                .service(monitoring::urge),
        )
}

/// The OpenAPI document, as served at `/api/openapi.json`.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    openapi::complete(routes(App::new().into_utoipa_app()).split_for_parts().1)
}

async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header(("Location", "/api/docs/"))
        .finish()
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    // Method guards sit on resources, so a known path with another method
    // lands here too.
    if req.resource_map().has_resource(req.path()) {
        let refused = ApiError::new(ProblemKind::MethodNotAllowed).with_detail_with(
            "problem.method_not_allowed",
            [
                ("path", req.path().to_string()),
                ("method", req.method().to_string()),
            ],
        );
        let mut res = actix_web::ResponseError::error_response(&refused);
        // RFC 9110: a 405 names the methods the resource has.
        if let Some(allow) = openapi::allowed_methods(req.path()) {
            if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&allow) {
                res.headers_mut().insert(actix_web::http::header::ALLOW, v);
            }
        }
        return Ok(res);
    }
    if req.path().starts_with("/api/") {
        return Err(ApiError::not_found_with(
            "problem.no_such_endpoint",
            [
                ("method", req.method().to_string()),
                ("path", req.path().to_string()),
            ],
        ));
    }
    // Any other address: the site's own "not found" page, styled and in
    // the reader's language.
    Ok(actix_web::ResponseError::error_response(
        &pages::PageError::no_such_page(&req),
    ))
}
