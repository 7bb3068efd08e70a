//! The caller's notice settings.

use std::collections::BTreeMap;

use actix_web::{get, put, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::caller::{Authenticated, Body};
use super::enterprises::invalid;
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::domain::role::Role;
use crate::services::notify::{self, PreferenceError};

#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeSetting {
    /// `new_ticket`, `assigned`, `info_requested`, `info_provided`, `resolved`,
    /// `rejected`, `sla_warning`, `overdue`, `urged`, `cohandling_requested`, `digest`, `comment`,
    /// `extension_requested`, `extension_decided`, `reopened`, `signed_for`.
    pub notice: String,
    pub enabled: bool,
    /// Staff cannot turn off overdue notices.
    pub may_turn_off: bool,
}

async fn current(state: &AppState, who: &Authenticated) -> Result<Vec<NoticeSetting>, ApiError> {
    let staff = who.caller.role != Role::Enterprise;
    Ok(notify::preferences(&state.db, who.caller.user_id, staff)
        .await?
        .into_iter()
        .map(|(n, enabled, may)| NoticeSetting {
            notice: n.as_str().into(),
            enabled,
            may_turn_off: may,
        })
        .collect())
}

/// Which notices the caller receives.
#[utoipa::path(tag = "auth", security(("bearer" = [])), responses((status = 200, body = Vec<NoticeSetting>)))]
#[get("/me/notices")]
pub async fn list_notices(
    state: web::Data<AppState>,
    who: Authenticated,
) -> Result<web::Json<Vec<NoticeSetting>>, ApiError> {
    Ok(web::Json(current(&state, &who).await?))
}

/// Turns notices on or off: `{"urged": false, "resolved": true}`.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body(content = BTreeMap<String, bool>, description = "notice -> on/off"),
    responses(
        (status = 200, body = Vec<NoticeSetting>),
        (status = 422, description = "An unknown notice, or overdue notices turned off by staff; nothing changed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/me/notices")]
pub async fn set_notices(
    state: web::Data<AppState>,
    who: Authenticated,
    body: Body<BTreeMap<String, bool>>,
) -> Result<HttpResponse, actix_web::Error> {
    let changes = body?.into_inner().into_iter().collect();
    let staff = who.caller.role != Role::Enterprise;
    notify::set_preferences(&state.db, who.caller.user_id, staff, changes)
        .await
        .map_err(|e| match e {
            PreferenceError::Invalid(issues) => invalid(issues),
            PreferenceError::Storage(s) => ApiError::from(s),
        })?;
    Ok(HttpResponse::Ok().json(current(&state, &who).await?))
}
