//! Reading users and enterprises, scoped by the authorization module:
//! whatever the caller may not read answers 404.

use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::UserView;
use super::caller::Authenticated;
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::domain::access::{
    may_read_enterprise, may_read_user, DepartmentRef, EnterpriseFacts, UserFacts,
};
use crate::domain::region::RegionCode;
use crate::storage::departments::Department;
use crate::storage::enterprises::Enterprise;
use crate::storage::users::User;

/// An enterprise (minimal record).
#[derive(Debug, Serialize, ToSchema)]
pub struct EnterpriseView {
    pub id: i64,
    /// 统一社会信用代码.
    pub credit_code: String,
    pub name: String,
    pub county_code: String,
    /// An administrator accepted a code that fails its check character.
    pub checksum_waived: bool,
}

impl From<Enterprise> for EnterpriseView {
    fn from(e: Enterprise) -> Self {
        EnterpriseView {
            id: e.id,
            credit_code: e.credit_code,
            name: e.name,
            county_code: e.county_code,
            checksum_waived: e.checksum_waived,
        }
    }
}

fn user_not_found(id: i64) -> ApiError {
    ApiError::not_found(
        format!("没有编号为 {id} 的用户。"),
        format!("There is no user with id {id}."),
    )
}

/// One user account, if the caller may see it.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = UserView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user, or not the caller's to see", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<i64>,
) -> Result<web::Json<UserView>, ApiError> {
    let id = path.into_inner();
    let found = state
        .db
        .run(move |conn| {
            let Some(user) = User::find(conn, id)? else {
                return Ok(None);
            };
            let dept = match user.department_id {
                Some(d) => Department::find(conn, d)?,
                None => None,
            };
            Ok(Some((user, dept)))
        })
        .await?;
    let Some((user, dept)) = found else {
        return Err(user_not_found(id));
    };
    let facts = UserFacts {
        id: user.id,
        department: dept.map(|d| DepartmentRef {
            id: d.id,
            path: d.path,
        }),
        enterprise_id: user.enterprise_id,
    };
    if !may_read_user(&who.caller, &facts) {
        return Err(user_not_found(id));
    }
    Ok(web::Json(user.into()))
}

fn enterprise_not_found(id: i64) -> ApiError {
    ApiError::not_found(
        format!("没有编号为 {id} 的企业。"),
        format!("There is no enterprise with id {id}."),
    )
}

/// One enterprise, if it lies in the caller's jurisdiction (or is theirs).
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = EnterpriseView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such enterprise, or not the caller's to see", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/enterprises/{id}")]
pub async fn get_enterprise(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<i64>,
) -> Result<web::Json<EnterpriseView>, ApiError> {
    let id = path.into_inner();
    let e = state
        .db
        .run(move |conn| Ok(Enterprise::find(conn, id)?))
        .await?
        .ok_or_else(|| enterprise_not_found(id))?;
    let facts = EnterpriseFacts {
        id: e.id,
        county: RegionCode::parse(&e.county_code).map_err(|_| enterprise_not_found(id))?,
        chains: Vec::new(),
    };
    if !may_read_enterprise(&who.caller, &facts) {
        return Err(enterprise_not_found(id));
    }
    Ok(web::Json(e.into()))
}
