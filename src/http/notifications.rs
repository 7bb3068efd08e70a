//! The caller's notices inside the application (the bell): the same events
//! the e-mails carry, one per person, newest first, with the unread count.

use actix_web::{get, post, web, HttpRequest};
use serde::Deserialize;
use utoipa::IntoParams;

use super::caller::Authenticated;
use super::lang::Lang;
use super::problem::{ApiError, Problem};
use super::views::notifications::{NotificationList, NotificationView, ReadAll};
use super::views::paging;
use super::AppState;
use crate::services::notifications::{self, NotificationError};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// Only the unread ones (default false).
    pub unread: Option<bool>,
    /// The `next_before` of the previous page.
    pub before: Option<i64>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
}

fn not_found(e: NotificationError) -> ApiError {
    match e {
        NotificationError::NotFound => ApiError::not_found("desk_notices.no_such_notice"),
        NotificationError::Storage(s) => ApiError::from(s),
    }
}

/// The caller's notices, newest first, and how many are unread.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    params(NotificationQuery),
    responses(
        (status = 200, body = NotificationList),
        (status = 422, description = "A page size out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me/notifications")]
pub async fn list_notifications(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
    query: Result<web::Query<NotificationQuery>, actix_web::Error>,
) -> Result<web::Json<NotificationList>, actix_web::Error> {
    let query = query?;
    let limit = paging::limit(query.limit)?;
    let page = notifications::list(
        &state.db,
        who.caller.user_id,
        query.unread.unwrap_or(false),
        query.before,
        limit,
    )
    .await
    .map_err(ApiError::from)?;
    Ok(web::Json(NotificationList::of(
        &page,
        Lang::from_request(&req),
    )))
}

/// Marks one of the caller's notices read and returns it; another
/// person's notice is not found.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = NotificationView),
        (status = 404, description = "No such notice of the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/me/notifications/{id}/read")]
pub async fn read_notification(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<i64>,
) -> Result<web::Json<NotificationView>, ApiError> {
    let read = notifications::read_one(
        &state.db,
        who.caller.user_id,
        id.into_inner(),
        state.sla.now(),
    )
    .await
    .map_err(not_found)?;
    Ok(web::Json(NotificationView::of(
        &read,
        Lang::from_request(&req),
    )))
}

/// Marks all the caller's notices read.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, body = ReadAll))
)]
#[post("/me/notifications/read-all")]
pub async fn read_all_notifications(
    state: web::Data<AppState>,
    who: Authenticated,
) -> Result<web::Json<ReadAll>, ApiError> {
    let marked = notifications::read_all(&state.db, who.caller.user_id, state.sla.now()).await?;
    let unread = notifications::unread(&state.db, who.caller.user_id).await?;
    Ok(web::Json(ReadAll { marked, unread }))
}
