//! Who speaks for an enterprise, on the page: requests to join one (decided
//! by its accounts, or by its county department's lead when it has none) and
//! the county's queue of self-registered enterprises to verify.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::labels::beijing;
use super::session::{check_csrf, Viewer};
use super::AppState;
use super::{failed, page, see_other, Chrome};
use crate::domain::role::Role;
use crate::http::problem::ApiError;
use crate::services::{enterprises, join_requests};
use crate::storage::enterprises::EnterpriseFilter;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/join-requests", web::get().to(join_page))
        .route("/join-requests/{id}/{decision}", web::post().to(decide))
        .route("/verifications", web::get().to(verification_page))
        .route("/verifications/{id}", web::post().to(verify));
}

pub struct JoinRow {
    pub id: i64,
    pub enterprise: String,
    pub credit_code: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub requested_at: String,
}

#[derive(Template)]
#[template(path = "join_requests.html")]
struct JoinPage {
    c: Chrome,
    rows: Vec<JoinRow>,
    /// Which decision just went through: "approved" or "refused".
    done: String,
    /// Staff: the lead's part; the enterprise: its own.
    staff: bool,
}

#[derive(Debug, Deserialize)]
struct DoneQuery {
    #[serde(default)]
    done: String,
}

async fn join_rows(
    state: &AppState,
    req: &HttpRequest,
    v: &Viewer,
) -> Result<Vec<JoinRow>, actix_web::Error> {
    let found = join_requests::pending(&state.db, &v.caller)
        .await
        .map_err(|e| failed(req, ApiError::from(e)))?;
    Ok(found
        .into_iter()
        .map(|p| JoinRow {
            id: p.request.id,
            enterprise: p.enterprise.name,
            credit_code: p.enterprise.credit_code,
            name: p.request.display_name,
            email: p.request.email,
            phone: p.request.phone.unwrap_or_default(),
            requested_at: beijing(p.request.requested_at),
        })
        .collect())
}

async fn join_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    let rows = join_rows(&state, &req, &v).await?;
    let p = JoinPage {
        c: Chrome::for_viewer(&req, &v),
        rows,
        done: q.done.clone(),
        staff: v.caller.role != Role::Enterprise,
    };
    Ok(page(StatusCode::OK, p.render()))
}

#[derive(Debug, Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn decide(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<(i64, String)>,
    f: web::Form<CsrfOnly>,
) -> Result<HttpResponse, actix_web::Error> {
    check_csrf(&req, &f.csrf)?;
    let (id, decision) = path.into_inner();
    let approve = match decision.as_str() {
        "approve" => true,
        "refuse" => false,
        _ => return Err(super::PageError::not_found(&req).into()),
    };
    join_requests::decide(&state.db, &v.caller, id, approve, state.sla.now())
        .await
        .map_err(|e| failed(&req, ApiError::from(e)))?;
    let done = if approve { "approved" } else { "refused" };
    Ok(see_other(&format!("/join-requests?done={done}")))
}

pub struct UnverifiedRow {
    pub id: i64,
    pub name: String,
    pub credit_code: String,
    pub address: String,
    pub contact: String,
    pub registered_at: String,
}

#[derive(Template)]
#[template(path = "verifications.html")]
struct VerificationPage {
    c: Chrome,
    rows: Vec<UnverifiedRow>,
    joins: Vec<JoinRow>,
    /// The name of the enterprise just verified.
    verified: String,
    /// Whether the viewer's department is a county's (who verifies).
    county: bool,
}

#[derive(Debug, Deserialize)]
struct VerifiedQuery {
    #[serde(default)]
    verified: String,
}

async fn verification_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    q: web::Query<VerifiedQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    if !v.caller.role.is_staff() {
        return Err(super::PageError::not_found(&req).into());
    }
    let county = v
        .caller
        .department
        .as_ref()
        .is_some_and(|d| d.kind == crate::domain::region::DepartmentKind::County);
    let found = if county {
        enterprises::search(
            &state.db,
            &v.caller,
            EnterpriseFilter {
                unverified: true,
                limit: 200,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| failed(&req, ApiError::from(e)))?
    } else {
        Vec::new()
    };
    let rows = found
        .into_iter()
        .map(|(e, _)| UnverifiedRow {
            id: e.id,
            name: e.name,
            credit_code: e.credit_code,
            address: e.address,
            contact: [
                e.contact_name.unwrap_or_default(),
                e.contact_phone.unwrap_or_default(),
                e.contact_email.unwrap_or_default(),
            ]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · "),
            registered_at: beijing(e.created_at),
        })
        .collect();
    let joins = join_rows(&state, &req, &v).await?;
    let p = VerificationPage {
        c: Chrome::for_viewer(&req, &v),
        rows,
        joins,
        verified: q.verified.clone(),
        county,
    };
    Ok(page(StatusCode::OK, p.render()))
}

async fn verify(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<i64>,
    f: web::Form<CsrfOnly>,
) -> Result<HttpResponse, actix_web::Error> {
    check_csrf(&req, &f.csrf)?;
    let d = enterprises::verify(&state.db, &v.caller, path.into_inner(), state.sla.now())
        .await
        .map_err(|e| failed(&req, ApiError::from(e)))?;
    Ok(see_other(&format!(
        "/verifications?verified={}",
        super::session::url_escape(&d.enterprise.name)
    )))
}
