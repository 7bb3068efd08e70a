//! Daily monitoring over HTTP: monitoring lists and their enterprises,
//! enterprises' industries, the board's numbers and file, the missing list
//! and urging. Who reads follows jurisdiction (`domain::access`).

use actix_web::{delete, get, post, put, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::caller::{Authenticated, Body};
use super::lang::Lang;
use super::problem::{invalid, ApiError, Problem};
use super::views::metrics::FormatParam;
use super::views::monitoring::{board_file, ListView, MemberView, MissingView, OverviewView};
use super::AppState;
use crate::domain::enterprise::issue;
use crate::domain::monitoring::beijing_date;
use crate::domain::region::RegionCode;
use crate::services::monitoring::board::{self, BoardParams};
use crate::services::monitoring::lists::{self, ListInput};
use crate::services::monitoring::reminders;

/// The monitoring lists the caller reads: its department's and those of
/// the departments below it wholly, those kept above it for the part in
/// its jurisdiction.
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    responses((status = 200, body = [ListView]))
)]
#[get("/monitoring/lists")]
pub async fn list_lists(
    state: web::Data<AppState>,
    who: Authenticated,
) -> Result<web::Json<Vec<ListView>>, ApiError> {
    let lists = lists::visible(&state.db, &who.caller).await?;
    Ok(web::Json(lists.iter().map(ListView::of).collect()))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ListBody {
    /// Unique within the department: 15家重点汽车企业集团.
    #[serde(default)]
    #[schema(required = true)]
    pub name: String,
    /// `members` (kept by hand, the default) or `whitelist` (every
    /// enterprise on a white list in the department's jurisdiction,
    /// following it as it changes).
    #[serde(default)]
    pub source: String,
    /// For `whitelist`: `national` or a province code (`310000`).
    #[serde(default)]
    pub whitelist_scope: String,
    /// For `whitelist`: one batch; empty for every batch.
    #[serde(default)]
    pub whitelist_batch: String,
}

/// Creates a list kept by the caller's department (its officers and leads).
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    request_body = ListBody,
    responses(
        (status = 201, body = ListView),
        (status = 403, description = "Only a department's officers and leads keep its lists", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The department has a list of that name (`list-name-taken`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Every invalid field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/monitoring/lists")]
pub async fn create_list(
    state: web::Data<AppState>,
    who: Authenticated,
    body: Body<ListBody>,
) -> Result<HttpResponse, actix_web::Error> {
    let b = body?.into_inner();
    let input = ListInput {
        name: b.name,
        source: b.source,
        whitelist_scope: b.whitelist_scope,
        whitelist_batch: b.whitelist_batch,
    };
    let list = lists::create(&state.db, &who.caller, &input, state.sla.now())
        .await
        .map_err(ApiError::from)?;
    let all = lists::visible(&state.db, &who.caller)
        .await
        .map_err(ApiError::from)?;
    let view = all
        .iter()
        .find(|l| l.summary.list.id == list.id)
        .map(ListView::of)
        .ok_or_else(|| ApiError::not_found("daily_problem.not_found"))?;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Rows to skip.
    pub offset: Option<i64>,
    /// Rows to return, at most 500 (default 100).
    pub limit: Option<i64>,
}

impl PageParams {
    fn window(&self) -> (i64, i64) {
        (
            self.offset.unwrap_or(0).max(0),
            self.limit.unwrap_or(100).clamp(1, 500),
        )
    }
}

/// A page of a list's enterprises, by name (the caller's part of it).
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The list"), PageParams),
    responses(
        (status = 200, body = [MemberView]),
        (status = 404, description = "No such list the caller reads", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/monitoring/lists/{id}/members")]
pub async fn list_members(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<i64>,
    page: web::Query<PageParams>,
) -> Result<web::Json<Vec<MemberView>>, ApiError> {
    let (offset, limit) = page.window();
    let (_, _, rows) =
        lists::members(&state.db, &who.caller, path.into_inner(), offset, limit).await?;
    Ok(web::Json(rows.iter().map(MemberView::of).collect()))
}

/// Adds an enterprise to a list kept by hand; adding it again changes
/// nothing (200). Its reports so far count in the list's figures.
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The list"), ("enterprise_id" = i64, Path, description = "The enterprise")),
    responses(
        (status = 201, description = "Added"),
        (status = 200, description = "On the list already"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such list or enterprise", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The list follows a white list (`list-follows-whitelist`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The enterprise lies outside the department's jurisdiction (`enterprise-outside-list`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/monitoring/lists/{id}/members/{enterprise_id}")]
pub async fn add_member(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (list, enterprise) = path.into_inner();
    let added =
        lists::add_member(&state.db, &who.caller, list, enterprise, state.sla.now()).await?;
    Ok(if added {
        HttpResponse::Created().finish()
    } else {
        HttpResponse::Ok().finish()
    })
}

/// Takes an enterprise off a list kept by hand, with its reports.
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The list"), ("enterprise_id" = i64, Path, description = "The enterprise")),
    responses(
        (status = 204, description = "Taken off (or it was not on the list)"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The list follows a white list", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/monitoring/lists/{id}/members/{enterprise_id}")]
pub async fn remove_member(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (list, enterprise) = path.into_inner();
    lists::remove_member(&state.db, &who.caller, list, enterprise, state.sla.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct IndustryBody {
    /// GB/T 4754-2017 (国民经济行业分类): `C36`, `C3670`, `C3973`, `I6520`, ...
    #[serde(default)]
    #[schema(required = true)]
    pub code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndustryView {
    pub enterprise_id: i64,
    pub code: String,
    pub name: String,
}

/// Sets an enterprise's industry (whoever may change its record); the
/// figures of its lists move with it.
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The enterprise")),
    request_body = IndustryBody,
    responses(
        (status = 200, body = IndustryView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a code of the table", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/enterprises/{id}/industry")]
pub async fn put_industry(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<i64>,
    body: Body<IndustryBody>,
) -> Result<web::Json<IndustryView>, actix_web::Error> {
    let id = path.into_inner();
    let b = body?.into_inner();
    let industry = lists::set_industry(&state.db, &who.caller, id, &b.code, state.sla.now())
        .await
        .map_err(ApiError::from)?;
    let en = Lang::from_request(&req) == Lang::En;
    Ok(web::Json(IndustryView {
        enterprise_id: id,
        code: industry.code.to_string(),
        name: if en {
            industry.name_en
        } else {
            industry.name_zh
        }
        .to_string(),
    }))
}

fn board_query(state: &AppState, p: &BoardParams) -> Result<board::BoardQuery, ApiError> {
    board::parse(p, beijing_date(state.sla.now())).map_err(invalid)
}

/// The monitoring board's numbers for a list on a day (`date`) or over a
/// period (`from`, `to`), narrowed to a region (drill-down), industries
/// and a chain: 复工率, 报送率, 返岗率, 产能利用率 and output against the
/// period before, by child region, industry and chain; the daily trend;
/// the missing list and blockers. Definitions: docs/monitoring.md.
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    params(BoardParams),
    responses(
        (status = 200, body = OverviewView),
        (status = 404, description = "No such list the caller reads, or a region or chain outside its sight", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No list, bad dates, region or industry", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/monitoring/overview")]
pub async fn overview(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
    params: web::Query<BoardParams>,
) -> Result<web::Json<OverviewView>, ApiError> {
    let q = board_query(&state, &params)?;
    let b = board::board(&state.db, &state.sla, &who.caller, q).await?;
    Ok(web::Json(OverviewView::of(&b, Lang::from_request(&req))))
}

/// The board's numbers as a spreadsheet: the whole, each breakdown's rows,
/// then output per unit; headers in the reader's language.
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    params(BoardParams, FormatParam),
    responses(
        (status = 200, description = "The table as a file", content_type = "text/csv"),
        (status = 404, description = "As for the overview", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad format, list, dates, region or industry", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/monitoring/export")]
pub async fn export(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
    params: web::Query<BoardParams>,
    format: web::Query<FormatParam>,
) -> Result<HttpResponse, ApiError> {
    board_file(&req, &state, &who.caller, &params, &format).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MissingParams {
    /// The monitoring list's id.
    pub list: i64,
    /// The Beijing day; default today.
    pub date: Option<String>,
    /// Narrow to a region (a county's missing list).
    pub region: Option<String>,
    pub offset: Option<i64>,
    /// At most 500 (default 100).
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MissingListView {
    pub list_id: i64,
    pub date: NaiveDate,
    /// How many have not reported (all pages).
    pub total: i64,
    pub items: Vec<MissingView>,
}

/// The missing list (缺报名单): the list's enterprises in the caller's
/// sight (and the region asked) with no report of the day, with their
/// contacts and whether they were noticed or urged.
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    params(MissingParams),
    responses(
        (status = 200, body = MissingListView),
        (status = 404, description = "No such list the caller reads, or a region outside its sight", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad date or region", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/monitoring/missing")]
pub async fn missing(
    state: web::Data<AppState>,
    who: Authenticated,
    params: web::Query<MissingParams>,
) -> Result<web::Json<MissingListView>, ApiError> {
    let day = day_or_today(&state, params.date.as_deref())?;
    let region = match params
        .region
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(r) => Some(
            RegionCode::parse(r)
                .map_err(|_| invalid(vec![issue("region", "field.region_code_length")]))?,
        ),
    };
    let offset = params.offset.unwrap_or(0).max(0);
    let limit = params.limit.unwrap_or(100).clamp(1, 500);
    let (total, rows) = board::missing_list(
        &state.db,
        &who.caller,
        params.list,
        day,
        region,
        offset,
        limit,
    )
    .await?;
    Ok(web::Json(MissingListView {
        list_id: params.list,
        date: day,
        total,
        items: rows.iter().map(MissingView::of).collect(),
    }))
}

fn day_or_today(state: &AppState, text: Option<&str>) -> Result<NaiveDate, ApiError> {
    match text.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(beijing_date(state.sla.now())),
        Some(t) => NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map_err(|_| invalid(vec![issue("date", "field.date_format")])),
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct UrgeBody {
    pub list: i64,
    /// The Beijing day; default today.
    #[serde(default)]
    pub date: Option<String>,
    /// Only these of the missing enterprises; default all the caller sees.
    #[serde(default)]
    pub enterprise_ids: Option<Vec<i64>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UrgeView {
    /// Enterprises urged now (each gets a notice by e-mail).
    pub urged: usize,
    /// Missing enterprises urged already that day (once a day each).
    pub already: usize,
}

/// Urges (催报) the list's missing enterprises of a day: a notice to each
/// enterprise's accounts, once a day each.
#[utoipa::path(
    tag = "monitoring",
    security(("bearer" = [])),
    request_body = UrgeBody,
    responses(
        (status = 200, body = UrgeView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A day ahead, or an enterprise not missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/monitoring/missing/urge")]
pub async fn urge(
    state: web::Data<AppState>,
    who: Authenticated,
    body: Body<UrgeBody>,
) -> Result<web::Json<UrgeView>, actix_web::Error> {
    let b = body?.into_inner();
    let day = day_or_today(&state, b.date.as_deref())?;
    let done = reminders::urge(
        &state.db,
        &who.caller,
        b.list,
        day,
        b.enterprise_ids,
        state.sla.now(),
    )
    .await
    .map_err(ApiError::from)?;
    Ok(web::Json(UrgeView {
        urged: done.urged,
        already: done.already,
    }))
}
