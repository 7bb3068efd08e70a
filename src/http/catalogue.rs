//! The configurable lists over HTTP: anyone reads the categories (the
//! chains are in `reference`); administrators add, rename, retire and
//! restore categories and chains with `PUT`.

use actix_web::{get, put, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::{Admin, Body};
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::domain::catalogue::{Term, TermInput};
use crate::services::catalogue::{self};
use crate::storage::catalogue::List;

/// A category or chain. A retired one (`active: false`) stays on old
/// tickets and in metrics but is not offered for new ones.
#[derive(Debug, Serialize, ToSchema)]
pub struct TermView {
    /// Stable code, stored on tickets, e.g. `logistics`.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub active: bool,
}

impl From<Term> for TermView {
    fn from(t: Term) -> Self {
        TermView {
            code: t.code,
            name_zh: t.name_zh,
            name_en: t.name_en,
            active: t.active,
        }
    }
}

/// A term's names and state.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TermBody {
    #[serde(default)]
    pub name_zh: String,
    #[serde(default)]
    pub name_en: String,
    /// `false` retires the term, `true` restores it; left out, a new term
    /// is active and an existing one keeps its state.
    pub active: Option<bool>,
}

/// The problem categories, retired ones included, in display order.
#[utoipa::path(tag = "reference", responses((status = 200, body = Vec<TermView>)))]
#[get("/categories")]
pub async fn list_categories(
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<TermView>>, ApiError> {
    let terms = catalogue::terms(&state.db, List::Categories).await?;
    Ok(web::Json(terms.0.into_iter().map(Into::into).collect()))
}

async fn put_term(
    state: &AppState,
    admin: Admin,
    list: List,
    code: String,
    body: TermBody,
) -> Result<HttpResponse, ApiError> {
    let input = TermInput {
        name_zh: body.name_zh,
        name_en: body.name_en,
        active: body.active,
    };
    let saved = catalogue::save(
        &state.db,
        &admin.0.caller,
        list,
        &code,
        input,
        state.sla.now(),
    )
    .await?;
    let view = TermView::from(saved.term);
    Ok(if saved.created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

/// Adds a category under a new code, or renames, retires or restores one.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "lowercase letters, digits, underscores")),
    request_body = TermBody,
    responses(
        (status = 200, description = "Changed", body = TermView),
        (status = 201, description = "Added", body = TermView),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/admin/categories/{code}")]
pub async fn put_category(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    body: Body<TermBody>,
) -> Result<HttpResponse, actix_web::Error> {
    Ok(put_term(
        &state,
        admin,
        List::Categories,
        path.into_inner(),
        body?.into_inner(),
    )
    .await?)
}

/// Adds a chain (with its coordination platform under the ministry), or
/// renames, retires or restores one.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "lowercase letters, digits, underscores")),
    request_body = TermBody,
    responses(
        (status = 200, description = "Changed", body = TermView),
        (status = 201, description = "Added", body = TermView),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/admin/chains/{code}")]
pub async fn put_chain(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    body: Body<TermBody>,
) -> Result<HttpResponse, actix_web::Error> {
    Ok(put_term(
        &state,
        admin,
        List::Chains,
        path.into_inner(),
        body?.into_inner(),
    )
    .await?)
}
