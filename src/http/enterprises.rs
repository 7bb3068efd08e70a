//! Enterprises and the white list: search, register, change, list, and the
//! public check a checkpoint uses without an account.

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::caller::{client_address, Authenticated, Body};
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::domain::enterprise::{EnterpriseInput, FieldIssue};
use crate::services::enterprises::{self, EnterpriseDetail, NewListing};
use crate::storage::enterprises::{Enterprise, EnterpriseFilter};
use crate::storage::whitelist::WhitelistEntry;

pub fn invalid(issues: Vec<FieldIssue>) -> ApiError {
    ApiError::invalid_fields(
        issues
            .into_iter()
            .map(|i| (i.field.to_string(), i.what))
            .collect(),
    )
}

/// A white-list entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListingView {
    pub id: i64,
    /// `national`, or the code of the province that keeps the list.
    pub scope: String,
    pub batch: i32,
    pub issuing_department_id: i64,
    pub listed_on: NaiveDate,
    /// Null while listed.
    pub removed_on: Option<NaiveDate>,
    pub chain: Option<String>,
    pub note: Option<String>,
}

impl From<WhitelistEntry> for ListingView {
    fn from(e: WhitelistEntry) -> Self {
        ListingView {
            id: e.id,
            scope: e.scope,
            batch: e.batch,
            issuing_department_id: e.issuing_department_id,
            listed_on: e.listed_on,
            removed_on: e.removed_on,
            chain: e.chain_code,
            note: e.note,
        }
    }
}

/// An enterprise record.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnterpriseView {
    pub id: i64,
    /// 统一社会信用代码.
    pub credit_code: String,
    pub name: String,
    pub county_code: String,
    pub address: String,
    /// Industry chain codes.
    pub chains: Vec<String>,
    /// `large`, `medium`, `small` or `micro`.
    pub size: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    /// An administrator accepted a code that fails its check character.
    pub checksum_waived: bool,
    /// On a white list right now.
    pub listed: bool,
    /// Every white-list entry, current and removed (detail view only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listings: Option<Vec<ListingView>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// The users who registered and last changed the record.
    pub created_by: Option<i64>,
    pub updated_by: Option<i64>,
    /// `verified`, or `unverified`: self-registered under a code that was
    /// not on record, until its county department verifies it. An
    /// unverified enterprise files no critical problems and has at most a
    /// few open at once.
    pub verification: String,
    pub verified_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn view(
    e: Enterprise,
    chains: Vec<String>,
    listed: bool,
    entries: Option<Vec<WhitelistEntry>>,
) -> EnterpriseView {
    EnterpriseView {
        id: e.id,
        credit_code: e.credit_code,
        name: e.name,
        county_code: e.county_code,
        address: e.address,
        chains,
        size: e.size,
        contact_name: e.contact_name,
        contact_phone: e.contact_phone,
        contact_email: e.contact_email,
        checksum_waived: e.checksum_waived,
        listed,
        listings: entries.map(|l| l.into_iter().map(Into::into).collect()),
        created_at: e.created_at.and_utc(),
        updated_at: e.updated_at.and_utc(),
        created_by: e.created_by,
        updated_by: e.updated_by,
        verification: e.verification,
        verified_at: e.verified_at.map(|t| t.and_utc()),
    }
}

fn detail_view(d: EnterpriseDetail) -> EnterpriseView {
    let listed = d.listings.iter().any(|l| l.removed_on.is_none());
    view(d.enterprise, d.chains, listed, Some(d.listings))
}

/// The fields of an enterprise, as sent to create or change one.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EnterpriseBody {
    #[schema(example = "91310115591693856A")]
    #[serde(default)]
    pub credit_code: String,
    #[serde(default)]
    pub name: String,
    /// A county-level region code.
    #[schema(example = "310115")]
    #[serde(default)]
    pub county_code: String,
    #[serde(default)]
    pub address: String,
    /// Chain codes (or Chinese names).
    #[serde(default)]
    pub chains: Vec<String>,
    /// `large`, `medium`, `small`, `micro` (or 大/中/小/微).
    pub size: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    /// Administrators only: accept a code that fails its check character.
    #[serde(default)]
    pub accept_bad_checksum: bool,
}

impl EnterpriseBody {
    fn into_input(self) -> (EnterpriseInput, bool) {
        (
            EnterpriseInput {
                credit_code: self.credit_code,
                name: self.name,
                county_code: self.county_code,
                address: self.address,
                chains: self.chains.join(";"),
                size: self.size.unwrap_or_default(),
                contact_name: self.contact_name.unwrap_or_default(),
                contact_phone: self.contact_phone.unwrap_or_default(),
                contact_email: self.contact_email.unwrap_or_default(),
            },
            self.accept_bad_checksum,
        )
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EnterpriseQuery {
    /// A fragment of the name.
    pub q: Option<String>,
    /// An exact credit code.
    pub code: Option<String>,
    /// A region code: enterprises in its subtree.
    pub region: Option<String>,
    /// A chain code.
    pub chain: Option<String>,
    /// On a white list right now (`true`) or not (`false`).
    pub listed: Option<bool>,
    /// `unverified`: self-registered enterprises waiting for their county
    /// department to verify them (the verification queue).
    pub verification: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<i64>,
    /// 1 to 200 (default 50).
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnterprisePage {
    pub items: Vec<EnterpriseView>,
    pub next_cursor: Option<i64>,
}

/// Searches the enterprises the caller may see.
#[utoipa::path(
    tag = "enterprises",
    security(("bearer" = [])),
    params(EnterpriseQuery),
    responses((status = 200, body = EnterprisePage), (status = 401, body = Problem, content_type = "application/problem+json"))
)]
#[get("/enterprises")]
pub async fn search(
    state: web::Data<AppState>,
    who: Authenticated,
    query: web::Query<EnterpriseQuery>,
) -> Result<web::Json<EnterprisePage>, ApiError> {
    let q = query.into_inner();
    let limit = super::views::paging::limit(q.limit)?;
    // A region code narrows by prefix: 310000 -> 31, 310100 -> 3101.
    let region_prefix =
        crate::services::queue::region_prefix(q.region.as_deref()).map_err(ApiError::from)?;
    super::views::paging::require_known_region(&state.db, q.region.as_deref()).await?;
    let unverified = match q.verification.as_deref() {
        None | Some("") => false,
        Some("unverified") => true,
        Some(_) => {
            return Err(ApiError::invalid_fields(vec![(
                "verification".into(),
                super::problem::Message::new("problem.verification_only_unverified"),
            )]))
        }
    };
    let filter = EnterpriseFilter {
        name: q.q,
        credit_code: q.code,
        region_prefix,
        chain: q.chain,
        listed: q.listed,
        only_id: None,
        unverified,
        after_id: q.cursor,
        limit: limit + 1,
    };
    let mut found = enterprises::search(&state.db, &who.caller, filter).await?;
    let next_cursor = super::views::paging::next_cursor(&mut found, limit, |(e, _)| e.id);
    let ids: Vec<i64> = found.iter().map(|(e, _)| e.id).collect();
    let listed = state
        .db
        .run(move |conn| Ok(listed_ids(conn, &ids)?))
        .await?;
    Ok(web::Json(EnterprisePage {
        items: found
            .into_iter()
            .map(|(e, c)| {
                let l = listed.contains(&e.id);
                view(e, c, l, None)
            })
            .collect(),
        next_cursor,
    }))
}

fn listed_ids(
    conn: &mut crate::storage::AnyConnection,
    ids: &[i64],
) -> diesel::QueryResult<Vec<i64>> {
    use crate::storage::schema::whitelist_entries::dsl as w;
    use diesel::prelude::*;
    w::whitelist_entries
        .filter(w::enterprise_id.eq_any(ids))
        .filter(w::removed_on.is_null())
        .select(w::enterprise_id)
        .distinct()
        .load(conn)
}

/// Registers an enterprise in the caller's jurisdiction.
#[utoipa::path(
    tag = "enterprises",
    security(("bearer" = [])),
    request_body = EnterpriseBody,
    responses(
        (status = 201, body = EnterpriseView),
        (status = 409, description = "The credit code is registered", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Every invalid field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/enterprises")]
pub async fn create(
    state: web::Data<AppState>,
    who: Authenticated,
    body: Body<EnterpriseBody>,
) -> Result<HttpResponse, actix_web::Error> {
    let (input, waive) = body?.into_inner().into_input();
    let created = enterprises::create(&state.db, &who.caller, input, waive, state.sla.now())
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Created().json(detail_view(created)))
}

/// One enterprise with its white-list entries, if the caller may see it.
#[utoipa::path(
    tag = "enterprises",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = EnterpriseView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such enterprise, or not the caller's to see", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/enterprises/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<i64>,
) -> Result<web::Json<EnterpriseView>, ApiError> {
    let d = enterprises::get(&state.db, &who.caller, path.into_inner()).await?;
    Ok(web::Json(detail_view(d)))
}

/// Verifies a self-registered enterprise (the county department's staff):
/// it may then file critical problems and more than a few at once.
#[utoipa::path(
    tag = "enterprises",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = EnterpriseView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Verified already", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/enterprises/{id}/verify")]
pub async fn verify(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<i64>,
) -> Result<web::Json<EnterpriseView>, ApiError> {
    let d = enterprises::verify(&state.db, &who.caller, path.into_inner(), state.sla.now()).await?;
    Ok(web::Json(detail_view(d)))
}

/// Changes an enterprise. Staff change every field within their
/// jurisdiction; an enterprise user changes only its own contact fields.
#[utoipa::path(
    tag = "enterprises",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    request_body = EnterpriseBody,
    responses(
        (status = 200, body = EnterpriseView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another enterprise has this credit code", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/enterprises/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<i64>,
    body: Body<EnterpriseBody>,
) -> Result<web::Json<EnterpriseView>, actix_web::Error> {
    let (input, waive) = body?.into_inner().into_input();
    let d = enterprises::update(
        &state.db,
        &who.caller,
        path.into_inner(),
        input,
        waive,
        state.sla.now(),
    )
    .await
    .map_err(ApiError::from)?;
    Ok(web::Json(detail_view(d)))
}

/// An enterprise's white-list entries, whichever region issued them
/// (mutual recognition: every member of staff may look).
#[utoipa::path(
    tag = "whitelist",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ListingView>), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/enterprises/{id}/whitelist")]
pub async fn listings(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<i64>,
) -> Result<web::Json<Vec<ListingView>>, ApiError> {
    let l = enterprises::listings(&state.db, &who.caller, path.into_inner()).await?;
    Ok(web::Json(l.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ListingBody {
    /// `national` or a province code.
    pub scope: String,
    pub batch: i32,
    pub listed_on: NaiveDate,
    pub chain: Option<String>,
    pub note: Option<String>,
}

/// Puts an enterprise on a list the caller keeps (the ministry: national;
/// a province department: its own).
#[utoipa::path(
    tag = "whitelist",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    request_body = ListingBody,
    responses(
        (status = 201, body = ListingView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/enterprises/{id}/whitelist")]
pub async fn add_listing(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<i64>,
    body: Body<ListingBody>,
) -> Result<HttpResponse, actix_web::Error> {
    let b = body?.into_inner();
    let entry = enterprises::add_listing(
        &state.db,
        &who.caller,
        path.into_inner(),
        NewListing {
            scope: b.scope,
            batch: b.batch,
            listed_on: b.listed_on,
            chain: b.chain,
            note: b.note,
        },
        state.sla.now(),
    )
    .await
    .map_err(ApiError::from)?;
    Ok(HttpResponse::Created().json(ListingView::from(entry)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RemovalBody {
    /// Defaults to today (Beijing time).
    pub removed_on: Option<NaiveDate>,
}

/// Ends a listing; the entry stays as history.
#[utoipa::path(
    tag = "whitelist",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "White-list entry id")),
    request_body = RemovalBody,
    responses(
        (status = 200, body = ListingView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/whitelist/{id}/remove")]
pub async fn remove_listing(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<i64>,
    body: Body<RemovalBody>,
) -> Result<web::Json<ListingView>, actix_web::Error> {
    let on = body?.into_inner().removed_on.unwrap_or_else(|| {
        state
            .sla
            .now()
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .date_naive()
    });
    let entry = enterprises::remove_listing(&state.db, &who.caller, path.into_inner(), on)
        .await
        .map_err(ApiError::from)?;
    Ok(web::Json(entry.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckQuery {
    /// The enterprise's credit code.
    pub code: String,
}

/// One current listing, as the public check shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicListing {
    pub scope: String,
    pub batch: i32,
    pub chain: Option<String>,
    pub listed_on: NaiveDate,
}

/// Listed or not: no name, no contacts.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckResult {
    pub code: String,
    pub listed: bool,
    pub listings: Vec<PublicListing>,
}

/// Public white-list check, e.g. for a checkpoint verifying a truck's
/// enterprise. Answers only whether the code is listed, where, in which
/// batch and chain. Rate-limited per client address.
#[utoipa::path(
    tag = "whitelist",
    params(CheckQuery),
    responses(
        (status = 200, body = CheckResult),
        (status = 422, description = "Not a valid credit code", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many checks from this address; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/whitelist/check")]
pub async fn check(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<CheckQuery>,
) -> Result<web::Json<CheckResult>, ApiError> {
    let client = client_address(&req, state.settings.server.trust_proxy_headers);
    super::caller::public_limit(&state, &client, "problem.too_many_checks")?;
    let refuse = |e: &crate::domain::credit_code::CreditCodeError| {
        invalid(vec![crate::domain::enterprise::credit_code_issue(e)])
    };
    let (code, checksum) = crate::domain::credit_code::CreditCode::parse_lenient(&query.code)
        .map_err(|e| refuse(&e))?;
    let lookup = code.to_string();
    let entries = match checksum {
        Ok(()) => {
            state
                .db
                .run(move |conn| Ok(WhitelistEntry::current_by_code(conn, &lookup)?))
                .await?
        }
        // A wrong check character is wrong, unless an administrator
        // accepted this very code: a checkpoint must not turn away a
        // listed enterprise's truck over a pilot-era code.
        Err(bad) => {
            let found = state
                .db
                .run(move |conn| Ok(WhitelistEntry::current_by_waived_code(conn, &lookup)?))
                .await?;
            if found.is_empty() {
                return Err(refuse(&bad));
            }
            found
        }
    };
    Ok(web::Json(CheckResult {
        code: code.to_string(),
        listed: !entries.is_empty(),
        listings: entries
            .into_iter()
            .map(|e| PublicListing {
                scope: e.scope,
                batch: e.batch,
                chain: e.chain_code,
                listed_on: e.listed_on,
            })
            .collect(),
    }))
}
