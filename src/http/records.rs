//! Reading user accounts, scoped by the authorization module:
//! whatever the caller may not read answers 404.

use actix_web::{get, web};

use super::auth::UserView;
use super::caller::Authenticated;
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::domain::access::{may_read_user, DepartmentRef, UserFacts};
use crate::storage::departments::Department;
use crate::storage::users::User;

fn user_not_found(id: i64) -> ApiError {
    ApiError::not_found_with("problem.no_user_with_id", [("id", id.to_string())])
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
