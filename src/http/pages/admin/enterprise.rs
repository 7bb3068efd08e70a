//! One enterprise: its record, white-list entries, accounts (linked to
//! their pages) and latest problems (number, state, handling department).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::super::AppState;
use super::admin;
use crate::http::pages::chrome::role_label;
use crate::http::pages::labels::{self, beijing};
use crate::http::pages::session::Viewer;
use crate::http::pages::{failed, page, Chrome};
use crate::http::problem::ApiError;
use crate::services::enterprise_overview::{overview, OPEN_COUNT_CAP};
use crate::storage::catalogue::{self, List};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/enterprises/{id}", web::get().to(show));
}

pub struct ListingRow {
    pub scope: String,
    pub batch: i32,
    pub chain: String,
    pub listed_on: String,
    pub removed_on: Option<String>,
    pub keeper: String,
}

pub struct AccountRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub active: bool,
}

pub struct ProblemRow {
    pub number: String,
    pub status: String,
    pub filed_at: String,
    pub department: String,
}

#[derive(Template)]
#[template(path = "admin_enterprise.html")]
struct EnterprisePage {
    c: Chrome,
    name: String,
    credit_code: String,
    county: String,
    address: String,
    contact: Vec<String>,
    verified: bool,
    verified_at: Option<String>,
    chains: String,
    listings: Vec<ListingRow>,
    accounts: Vec<AccountRow>,
    problems: Vec<ProblemRow>,
    /// "999+" past the counting cap.
    open_problems: String,
}

async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<i64>,
) -> Result<HttpResponse, actix_web::Error> {
    let v = admin(&req, v)?;
    let o = overview(&state.db, &v.caller, path.into_inner())
        .await
        .map_err(|e| failed(&req, e))?;
    let chain_terms = state
        .db
        .run(|conn| Ok(catalogue::load(conn, List::Chains)?))
        .await
        .map_err(|e| failed(&req, ApiError::from(e)))?;
    let c = Chrome::for_viewer(&req, &v);
    let en = c.en;
    let e = o.detail.enterprise;
    let separator = if en { ", " } else { "、" };
    let p = EnterprisePage {
        county: o.county.unwrap_or_else(|| e.county_code.clone()),
        contact: [&e.contact_name, &e.contact_phone, &e.contact_email]
            .into_iter()
            .flatten()
            .filter(|s| !s.trim().is_empty())
            .cloned()
            .collect(),
        verified: e.is_verified(),
        verified_at: e.verified_at.map(beijing),
        chains: o
            .detail
            .chains
            .iter()
            .map(|code| chain_terms.label(code, en))
            .collect::<Vec<_>>()
            .join(separator),
        listings: o
            .detail
            .listings
            .iter()
            .map(|l| ListingRow {
                scope: if l.scope == "national" {
                    c.t("listed.national").to_string()
                } else {
                    c.t("listed.provincial").to_string()
                },
                batch: l.batch,
                chain: l
                    .chain_code
                    .as_deref()
                    .map(|code| chain_terms.label(code, en))
                    .unwrap_or_default(),
                listed_on: l.listed_on.to_string(),
                removed_on: l.removed_on.map(|d| d.to_string()),
                keeper: o
                    .keepers
                    .get(&l.issuing_department_id)
                    .cloned()
                    .unwrap_or_default(),
            })
            .collect(),
        accounts: o
            .accounts
            .into_iter()
            .map(|u| AccountRow {
                id: u.id,
                role: role_label(u.role, en),
                name: u.display_name,
                email: u.email,
                active: u.active,
            })
            .collect(),
        problems: o
            .problems
            .into_iter()
            .map(|t| ProblemRow {
                status: labels::status(t.status.as_str(), en),
                filed_at: beijing(t.filed_at),
                number: t.number,
                department: t.department,
            })
            .collect(),
        open_problems: if o.open_problems > OPEN_COUNT_CAP {
            format!("{OPEN_COUNT_CAP}+")
        } else {
            o.open_problems.to_string()
        },
        name: e.name,
        credit_code: e.credit_code,
        address: e.address,
        c,
    };
    Ok(page(StatusCode::OK, p.render()))
}
