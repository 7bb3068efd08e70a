//! Liveness, readiness and metrics.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::problem::{ApiError, ProblemKind};
use super::AppState;
use crate::storage::StorageError;
use crate::telemetry;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` while the process serves requests.
    status: &'static str,
}

/// Only ready or not: anyone may ask, so nothing about the database (which
/// backend, host, user, the driver's error) is told; the log has it.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` when the database answers.
    status: &'static str,
}

/// The process is alive.
#[utoipa::path(tag = "operations", responses((status = 200, body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health { status: "ok" })
}

/// The service can serve: its database answers.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, body = Readiness),
        (status = 503, description = "The database is unreachable", body = super::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<web::Json<Readiness>, ApiError> {
    match state.db.check().await {
        Ok(()) => Ok(web::Json(Readiness { status: "ready" })),
        Err(e) => {
            let reason = match e {
                StorageError::Unavailable(r) => r,
                StorageError::Query(q) => q.to_string(),
            };
            tracing::warn!(backend = state.db.backend().name(), %reason, "not ready");
            Err(ApiError::new(ProblemKind::ServiceUnavailable).with_detail("problem.not_ready"))
        }
    }
}

/// Metrics in the Prometheus text format.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format", body = String, content_type = "text/plain"))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    state.db.record_pool_gauges();
    let mut text = telemetry::metrics_handle().render();
    // Read at each scrape: a database that cannot answer leaves the line out
    // (absent, not a false 0 or 1), and /readyz says why.
    if let Ok(loaded) = crate::services::calendar::next_year_loaded(&state.db, &state.sla).await {
        text.push_str(&format!(
            "# HELP yizhan_calendar_next_year_loaded 1 when next year's work calendar (holidays, make-up days) is loaded, else 0; alert on 0 from 1 November\n\
             # TYPE yizhan_calendar_next_year_loaded gauge\n\
             yizhan_calendar_next_year_loaded {}\n",
            u8::from(loaded)
        ));
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text)
}
