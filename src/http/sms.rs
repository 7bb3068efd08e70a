//! The mobile number an enterprise receives SMS notices on.

use actix_web::{get, put, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::{Authenticated, Body};
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::services::sms_numbers::{self, SmsNumber};

#[derive(Debug, Serialize, ToSchema)]
pub struct SmsMobileView {
    pub enterprise_id: i64,
    /// The 11 digits for the enterprise itself; masked (`138****5678`) for
    /// staff. Null: no SMS.
    #[schema(example = "13812345678")]
    pub mobile: Option<String>,
    /// Whether this deployment sends SMS (受理, 要求补充, 办结) at all.
    pub sms_on: bool,
}

impl From<SmsNumber> for SmsMobileView {
    fn from(n: SmsNumber) -> Self {
        SmsMobileView {
            enterprise_id: n.enterprise_id,
            mobile: n.mobile,
            sms_on: n.sms_on,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SmsMobileBody {
    /// A mainland mobile number, 11 digits starting 13-19 (spaces, dashes
    /// and +86 are allowed); empty or null removes it.
    #[schema(example = "138 1234 5678")]
    pub mobile: Option<String>,
}

/// The number an enterprise receives SMS on (the enterprise itself, and
/// staff who may change its record).
#[utoipa::path(
    tag = "sms",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Enterprise id")),
    responses(
        (status = 200, body = SmsMobileView),
        (status = 404, description = "No such enterprise, or not the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/enterprises/{id}/sms-mobile")]
pub async fn get_sms_mobile(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<i64>,
) -> Result<web::Json<SmsMobileView>, ApiError> {
    let n = sms_numbers::get(&state.db, &who.caller, path.into_inner()).await?;
    Ok(web::Json(n.into()))
}

/// Sets or removes the number an enterprise receives SMS on.
#[utoipa::path(
    tag = "sms",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Enterprise id")),
    request_body = SmsMobileBody,
    responses(
        (status = 200, body = SmsMobileView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a mainland mobile number (`mobile`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/enterprises/{id}/sms-mobile")]
pub async fn set_sms_mobile(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<i64>,
    body: Body<SmsMobileBody>,
) -> Result<web::Json<SmsMobileView>, actix_web::Error> {
    let typed = body?.into_inner().mobile.unwrap_or_default();
    let n = sms_numbers::set(
        &state.db,
        &who.caller,
        path.into_inner(),
        &typed,
        state.sla.now(),
    )
    .await
    .map_err(ApiError::from)?;
    Ok(web::Json(n.into()))
}
