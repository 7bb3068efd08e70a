//! Public reference data: the region tree, departments and industry chains.

use actix_web::{get, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::problem::{ApiError, Message, Problem};
use super::AppState;
use crate::domain::region::RegionCode;
use crate::services::reference::{self, DepartmentInTree};
use crate::storage::chains::Chain;
use crate::storage::departments::Department;
use crate::storage::regions::Region;

/// A region of the GB/T 2260 tree.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegionView {
    /// Six-digit code, e.g. `310115`.
    pub code: String,
    pub name: String,
    /// `province`, `city` or `county`.
    pub level: String,
    pub parent_code: Option<String>,
    pub province_code: String,
    /// A prefecture row with no government of its own (a municipality's
    /// `市辖区`), or the county row of a prefecture without counties.
    pub nominal: bool,
    /// The department serving the region.
    pub department_id: Option<i64>,
}

impl From<Region> for RegionView {
    fn from(r: Region) -> Self {
        RegionView {
            code: r.code,
            name: r.name,
            level: r.level.as_str().to_string(),
            parent_code: r.parent_code,
            province_code: r.province_code,
            nominal: r.nominal,
            department_id: r.department_id,
        }
    }
}

/// A region with its ancestors and direct children.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegionDetail {
    #[serde(flatten)]
    pub region: RegionView,
    /// From the province down to the parent.
    pub ancestors: Vec<RegionView>,
    pub children: Vec<RegionView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegionQuery {
    /// Code of the parent region; omitted, the provinces are listed.
    pub parent: Option<String>,
}

fn parse_code(field: &str, raw: &str) -> Result<RegionCode, ApiError> {
    RegionCode::parse(raw).map_err(|e| {
        ApiError::invalid_fields(vec![(
            field.to_string(),
            Message::with("problem.region_code_digits", [("why", e.to_string())]),
        )])
    })
}

fn region_not_found(code: &RegionCode) -> ApiError {
    ApiError::not_found_with("problem.no_region_with_code", [("code", code.to_string())])
}

/// Lists the regions directly under a parent (the provinces without one).
#[utoipa::path(
    tag = "reference",
    params(RegionQuery),
    responses(
        (status = 200, body = Vec<RegionView>),
        (status = 404, description = "No such parent region", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The parent code is malformed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/regions")]
pub async fn list_regions(
    state: web::Data<AppState>,
    query: web::Query<RegionQuery>,
) -> Result<web::Json<Vec<RegionView>>, ApiError> {
    let parent = query
        .parent
        .as_deref()
        .map(|p| parse_code("parent", p))
        .transpose()?;
    let found = reference::regions(&state.db, parent).await?;
    match (found, &query.parent) {
        (Some(list), _) => Ok(web::Json(list.into_iter().map(Into::into).collect())),
        (None, Some(raw)) => Err(region_not_found(&parse_code("parent", raw)?)),
        (None, None) => Ok(web::Json(Vec::new())),
    }
}

/// One region with its ancestors and children.
#[utoipa::path(
    tag = "reference",
    params(("code" = String, Path, description = "Six-digit region code", example = "310115")),
    responses(
        (status = 200, body = RegionDetail),
        (status = 404, description = "No such region", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The code is malformed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/regions/{code}")]
pub async fn get_region(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<web::Json<RegionDetail>, ApiError> {
    let code = parse_code("code", &path)?;
    let found = reference::region(&state.db, code.clone()).await?;
    let found = found.ok_or_else(|| region_not_found(&code))?;
    Ok(web::Json(RegionDetail {
        region: found.region.into(),
        ancestors: found.ancestors.into_iter().map(Into::into).collect(),
        children: found.children.into_iter().map(Into::into).collect(),
    }))
}

/// Codes to resolve in one request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionLookup {
    /// Six-digit region codes, at most 1,000.
    #[schema(example = json!(["310115", "441900"]))]
    pub codes: Vec<String>,
}

/// The regions found, and the codes that name none.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegionLookupResult {
    /// Every region with one of the codes (both rows where a prefecture and
    /// its county row share a code), ordered by code.
    pub regions: Vec<RegionView>,
    /// Well-formed codes that name no region.
    pub unknown: Vec<String>,
}

const MAX_LOOKUP: usize = 1000;

/// Resolves many region codes at once, e.g. for a file being imported.
#[utoipa::path(
    tag = "reference",
    request_body = RegionLookup,
    responses(
        (status = 200, body = RegionLookupResult),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed codes, each listed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/regions/lookup")]
pub async fn lookup_regions(
    state: web::Data<AppState>,
    body: web::Json<RegionLookup>,
) -> Result<web::Json<RegionLookupResult>, ApiError> {
    let RegionLookup { codes } = body.into_inner();
    if codes.len() > MAX_LOOKUP {
        return Err(ApiError::invalid_fields(vec![(
            "codes".into(),
            Message::with(
                "problem.too_many_codes",
                [
                    ("max", MAX_LOOKUP.to_string()),
                    ("got", codes.len().to_string()),
                ],
            ),
        )]));
    }
    let mut parsed = Vec::with_capacity(codes.len());
    let mut errors = Vec::new();
    for (i, raw) in codes.iter().enumerate() {
        match parse_code(&format!("codes[{i}]"), raw) {
            Ok(c) => parsed.push(c.to_string()),
            Err(e) => errors.extend(e.errors),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid_fields(errors));
    }
    parsed.sort();
    parsed.dedup();
    let found = reference::regions_with_codes(&state.db, parsed.clone()).await?;
    let unknown = parsed
        .into_iter()
        .filter(|c| !found.iter().any(|r| &r.code == c))
        .collect();
    Ok(web::Json(RegionLookupResult {
        regions: found.into_iter().map(Into::into).collect(),
        unknown,
    }))
}

/// A department in brief.
#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentSummary {
    pub id: i64,
    /// `ministry`, `province`, `city`, `county` or `chain_platform`.
    pub kind: String,
    pub name: String,
}

/// An industry chain (产业链).
#[derive(Debug, Serialize, ToSchema)]
pub struct ChainView {
    /// Stable code, e.g. `automotive`.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub active: bool,
}

impl From<Chain> for ChainView {
    fn from(c: Chain) -> Self {
        ChainView {
            code: c.code,
            name_zh: c.name_zh,
            name_en: c.name_en,
            active: c.active,
        }
    }
}

/// A department (工信部门) with its place in the tree.
#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentView {
    pub id: i64,
    pub kind: String,
    pub name: String,
    /// The region it serves; none for the ministry and chain platforms.
    pub region: Option<RegionView>,
    /// The chain a chain platform coordinates.
    pub chain: Option<ChainView>,
    pub parent_id: Option<i64>,
    /// From the ministry down to the parent.
    pub ancestors: Vec<DepartmentSummary>,
    pub children: Vec<DepartmentSummary>,
    pub active: bool,
    /// New tickets are assigned automatically on sign-for.
    pub auto_assign: bool,
    /// The desk's phone, shown to enterprises beside the department's name.
    pub phone: Option<String>,
}

fn summary(d: Department) -> DepartmentSummary {
    DepartmentSummary {
        id: d.id,
        kind: d.kind.as_str().to_string(),
        name: d.name,
    }
}

/// One department with its region, ancestors and direct children.
#[utoipa::path(
    tag = "reference",
    params(("id" = i64, Path, description = "Department id", example = 1)),
    responses(
        (status = 200, body = DepartmentView),
        (status = 404, description = "No such department", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/departments/{id}")]
pub async fn get_department(
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<DepartmentView>, ApiError> {
    Ok(web::Json(department_view(&state, path.into_inner()).await?))
}

async fn department_view(state: &AppState, id: i64) -> Result<DepartmentView, ApiError> {
    let found = reference::department(&state.db, id).await?;
    let DepartmentInTree {
        department: dept,
        region,
        chain,
        ancestors,
        children,
    } = found.ok_or_else(|| {
        ApiError::not_found_with("problem.no_department_with_id", [("id", id.to_string())])
    })?;
    Ok(DepartmentView {
        id: dept.id,
        kind: dept.kind.as_str().to_string(),
        name: dept.name,
        region: region.map(Into::into),
        chain: chain.map(Into::into),
        parent_id: dept.parent_id,
        ancestors: ancestors.into_iter().map(summary).collect(),
        children: children.into_iter().map(summary).collect(),
        active: dept.active,
        auto_assign: dept.auto_assign,
        phone: dept.phone,
    })
}

/// The industry chains with a coordination platform.
#[utoipa::path(tag = "reference", responses((status = 200, body = Vec<ChainView>)))]
#[get("/chains")]
pub async fn list_chains(
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<ChainView>>, ApiError> {
    let chains = reference::chains(&state.db).await?;
    Ok(web::Json(chains.into_iter().map(Into::into).collect()))
}

/// The settings to change; those left out keep their value.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DepartmentSettings {
    /// Assign each ticket signed for to the officer with the fewest open tickets.
    pub auto_assign: Option<bool>,
    /// The desk's phone, shown to enterprises on their tickets; an empty
    /// string removes it.
    pub phone: Option<String>,
}

/// Changes a department's settings (its leads, or an administrator).
#[utoipa::path(
    tag = "reference",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    request_body = DepartmentSettings,
    responses(
        (status = 200, body = DepartmentView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such department, or not the caller's to change", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/departments/{id}/settings")]
pub async fn update_settings(
    state: web::Data<AppState>,
    who: super::caller::Authenticated,
    path: web::Path<i64>,
    body: super::caller::Body<DepartmentSettings>,
) -> Result<web::Json<DepartmentView>, actix_web::Error> {
    let id = path.into_inner();
    let settings = body?.into_inner();
    crate::services::departments::change_settings(
        &state.db,
        &who.caller,
        id,
        crate::services::departments::SettingsChange {
            auto_assign: settings.auto_assign,
            phone: settings.phone,
        },
    )
    .await
    .map_err(ApiError::from)?;
    Ok(web::Json(department_view(&state, id).await?))
}
