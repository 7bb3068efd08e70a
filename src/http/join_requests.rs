//! Requests to join an enterprise on record, decided by its accounts (or,
//! when it has none, by its county department's lead).

use actix_web::{get, post, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::caller::Authenticated;
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::services::join_requests::{self, PendingJoin};
use crate::storage::join_requests::JoinRequest;

#[derive(Debug, Serialize, ToSchema)]
pub struct JoinRequestView {
    pub id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: Option<String>,
    /// The applicant's (verified) address, name and phone.
    pub email: String,
    pub display_name: String,
    pub phone: Option<String>,
    /// `pending`, `approved` or `refused`.
    pub status: String,
    pub requested_at: chrono::DateTime<chrono::Utc>,
    pub decided_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The account made on approval.
    pub user_id: Option<i64>,
}

fn view(r: JoinRequest, enterprise_name: Option<String>) -> JoinRequestView {
    JoinRequestView {
        id: r.id,
        enterprise_id: r.enterprise_id,
        enterprise_name,
        email: r.email,
        display_name: r.display_name,
        phone: r.phone,
        status: r.status,
        requested_at: r.requested_at.and_utc(),
        decided_at: r.decided_at.map(|t| t.and_utc()),
        user_id: r.user_id,
    }
}

/// The pending requests the caller decides: an enterprise account sees
/// those to join its enterprise; a county department's lead those for
/// enterprises of its county that have no account yet.
#[utoipa::path(
    tag = "enterprises",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<JoinRequestView>))
)]
#[get("/join-requests")]
pub async fn list(
    state: web::Data<AppState>,
    who: Authenticated,
) -> Result<web::Json<Vec<JoinRequestView>>, ApiError> {
    let found = join_requests::pending(&state.db, &who.caller).await?;
    Ok(web::Json(
        found
            .into_iter()
            .map(
                |PendingJoin {
                     request,
                     enterprise,
                 }| view(request, Some(enterprise.name)),
            )
            .collect(),
    ))
}

async fn decide(
    state: &AppState,
    who: &Authenticated,
    id: i64,
    approving: bool,
) -> Result<web::Json<JoinRequestView>, ApiError> {
    let decided =
        join_requests::decide(&state.db, &who.caller, id, approving, state.sla.now()).await?;
    Ok(web::Json(view(decided, None)))
}

/// Approves a request: the applicant's account exists from now on.
#[utoipa::path(
    tag = "enterprises",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = JoinRequestView),
        (status = 404, description = "No such request, or not one the caller decides", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Decided already", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/join-requests/{id}/approve")]
pub async fn approve(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<i64>,
) -> Result<web::Json<JoinRequestView>, ApiError> {
    decide(&state, &who, path.into_inner(), true).await
}

/// Refuses a request; the applicant is told.
#[utoipa::path(
    tag = "enterprises",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = JoinRequestView),
        (status = 404, description = "No such request, or not one the caller decides", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Decided already", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/join-requests/{id}/refuse")]
pub async fn refuse(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<i64>,
) -> Result<web::Json<JoinRequestView>, ApiError> {
    decide(&state, &who, path.into_inner(), false).await
}
