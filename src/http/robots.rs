//! A department's group robots (WeCom, DingTalk, Feishu): list, register,
//! change, remove, and send a test message. Its lead or an administrator.

use actix_web::{delete, get, post, put, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::{Authenticated, Body};
use super::problem::{ApiError, Problem};
use super::views::robots::RobotView;
use super::AppState;
use crate::domain::channels::RobotInput;
use crate::services::robots::{self, RobotChange};

/// A robot as registered or changed.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RobotBody {
    /// `wecom`, `dingtalk` or `feishu`.
    #[serde(default)]
    pub service: String,
    /// What the department calls it, e.g. the group's name.
    #[serde(default)]
    pub name: String,
    /// The robot's webhook as the service shows it: `https://` on the
    /// service's own host (any host when the deployment allows it). On a
    /// change, leave it out (or empty) to keep the saved one.
    #[schema(example = "https://oapi.dingtalk.com/robot/send?access_token=98975521a1b2c0de")]
    #[serde(default)]
    pub webhook_url: String,
    /// DingTalk's 加签 secret (`SEC...`) or Feishu's 签名校验 secret. On a
    /// change, leave it out to keep the saved one; an empty string removes
    /// it. WeCom robots take none.
    pub secret: Option<String>,
    /// The notices it posts: any of `new_ticket`, `sla_warning`, `overdue`,
    /// `urged`, `extension_requested`.
    #[serde(default)]
    pub notices: Vec<String>,
    /// Off: it posts nothing (default on).
    pub active: Option<bool>,
}

impl RobotBody {
    fn into_change(self) -> RobotChange {
        RobotChange {
            input: RobotInput {
                service: self.service,
                name: self.name,
                webhook_url: self.webhook_url,
                secret: self.secret,
                notices: self.notices,
            },
            active: self.active.unwrap_or(true),
        }
    }
}

/// The test message's outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct RobotTested {
    /// Always true: a message the service refused is a 422.
    pub delivered: bool,
}

/// A department's robots.
#[utoipa::path(
    tag = "robots",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Department id")),
    responses(
        (status = 200, body = Vec<RobotView>),
        (status = 404, description = "No such department, or not the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/departments/{id}/robots")]
pub async fn list_robots(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<i64>,
) -> Result<web::Json<Vec<RobotView>>, ApiError> {
    let found = robots::list(&state.db, &who.caller, path.into_inner()).await?;
    Ok(web::Json(
        found.robots.iter().map(RobotView::from).collect(),
    ))
}

/// Registers a robot. The webhook and secret are never shown in full again.
#[utoipa::path(
    tag = "robots",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Department id")),
    request_body = RobotBody,
    responses(
        (status = 201, body = RobotView),
        (status = 404, description = "No such department, or not the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Every invalid field: the service, the webhook (https, the service's host), the secret, the notices", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/departments/{id}/robots")]
pub async fn create_robot(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<i64>,
    body: Body<RobotBody>,
) -> Result<HttpResponse, actix_web::Error> {
    let change = body?.into_inner().into_change();
    let made = robots::create(
        &state.db,
        &who.caller,
        path.into_inner(),
        change,
        &state.settings.robots,
        state.sla.now(),
    )
    .await
    .map_err(ApiError::from)?;
    Ok(HttpResponse::Created().json(RobotView::from(&made)))
}

/// Changes a robot; a secret left out is kept.
#[utoipa::path(
    tag = "robots",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Department id"), ("robot_id" = i64, Path)),
    request_body = RobotBody,
    responses(
        (status = 200, body = RobotView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/departments/{id}/robots/{robot_id}")]
pub async fn update_robot(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(i64, i64)>,
    body: Body<RobotBody>,
) -> Result<web::Json<RobotView>, actix_web::Error> {
    let (department, robot) = path.into_inner();
    let change = body?.into_inner().into_change();
    let changed = robots::update(
        &state.db,
        &who.caller,
        department,
        robot,
        change,
        &state.settings.robots,
        state.sla.now(),
    )
    .await
    .map_err(ApiError::from)?;
    Ok(web::Json(RobotView::from(&changed)))
}

/// Removes a robot; messages still waiting for it are parked as dead.
#[utoipa::path(
    tag = "robots",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Department id"), ("robot_id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[delete("/departments/{id}/robots/{robot_id}")]
pub async fn delete_robot(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (department, robot) = path.into_inner();
    robots::delete(&state.db, &who.caller, department, robot).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sends a test message through the robot now and reports the service's
/// answer.
#[utoipa::path(
    tag = "robots",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Department id"), ("robot_id" = i64, Path)),
    responses(
        (status = 200, body = RobotTested),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The service refused it or did not answer (`robot-test-failed`); the detail quotes its answer", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/departments/{id}/robots/{robot_id}/test")]
pub async fn test_robot(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(i64, i64)>,
) -> Result<web::Json<RobotTested>, ApiError> {
    let (department, robot) = path.into_inner();
    robots::test(
        &state.db,
        &who.caller,
        department,
        robot,
        &state.settings.robots,
        &state.settings.server.base_url,
        state.sla.now(),
    )
    .await?;
    Ok(web::Json(RobotTested { delivered: true }))
}
