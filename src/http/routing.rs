//! Administrators keep the routing rules: list, create, change, reorder
//! (by `position`) and disable them.

use actix_web::{get, post, put, web, HttpResponse};

use super::caller::{Admin, Body};
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::services::routing_rules::{self, RoutingRuleView};

/// Every routing rule, in the order they are tried.
#[utoipa::path(tag = "admin", security(("bearer" = [])), responses((status = 200, body = Vec<RoutingRuleView>)))]
#[get("/admin/routing-rules")]
pub async fn list(
    state: web::Data<AppState>,
    _admin: Admin,
) -> Result<web::Json<Vec<RoutingRuleView>>, ApiError> {
    let rules = routing_rules::all(&state.db).await?;
    Ok(web::Json(rules.into_iter().map(Into::into).collect()))
}

/// Adds a rule.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    request_body = RoutingRuleView,
    responses((status = 201, body = RoutingRuleView), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/admin/routing-rules")]
pub async fn create(
    state: web::Data<AppState>,
    _admin: Admin,
    body: Body<RoutingRuleView>,
) -> Result<HttpResponse, actix_web::Error> {
    let row = routing_rules::save(&state.db, None, body?.into_inner(), state.sla.now())
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Created().json(RoutingRuleView::from(row)))
}

/// Changes a rule: its conditions, its position (to reorder), or `enabled`.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    request_body = RoutingRuleView,
    responses(
        (status = 200, body = RoutingRuleView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/admin/routing-rules/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    _admin: Admin,
    path: web::Path<i64>,
    body: Body<RoutingRuleView>,
) -> Result<web::Json<RoutingRuleView>, actix_web::Error> {
    let row = routing_rules::save(
        &state.db,
        Some(path.into_inner()),
        body?.into_inner(),
        state.sla.now(),
    )
    .await
    .map_err(ApiError::from)?;
    Ok(web::Json(row.into()))
}
