//! The desk's reads and settings for API clients: who filed a ticket (the
//! panel the ticket page shows staff) and the caller's saved views (the
//! workbench's tabs of their own).

use actix_web::{delete, get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::{Authenticated, Body};
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::services::saved_views;
use crate::services::tickets;

/// A white-list listing of the enterprise.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = FilerListingView)]
pub struct ListingView {
    /// `national`, or the province's region code.
    pub scope: String,
    /// The province's name for a provincial list.
    pub province: Option<String>,
    pub batch: i32,
    #[schema(value_type = String, format = Date)]
    pub listed_on: chrono::NaiveDate,
    /// The supply chain it was listed for, if any.
    pub chain: Option<String>,
}

/// One of the enterprise's other tickets the caller may read.
#[derive(Debug, Serialize, ToSchema)]
pub struct EarlierTicketView {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub status: String,
    /// `satisfied`, `basically_satisfied` or `dissatisfied`, once rated.
    pub rating: Option<String>,
}

/// Who filed a ticket, as staff who may see it do.
#[derive(Debug, Serialize, ToSchema)]
pub struct FilerView {
    pub enterprise_id: i64,
    pub name: String,
    pub credit_code: String,
    pub address: String,
    pub contact_name: Option<String>,
    /// The contact phone: masked (`138****5678`) outside the handling and
    /// co-handling departments.
    pub phone: Option<String>,
    pub phone_masked: bool,
    /// Current listings, newest first.
    pub listings: Vec<ListingView>,
    /// Its other tickets, newest first (at most ten).
    pub earlier: Vec<EarlierTicketView>,
}

/// Who filed a ticket: the enterprise, its listings, contact and earlier
/// tickets. For staff who may read the ticket; the enterprise itself is
/// answered 404 (it knows who it is).
#[utoipa::path(
    tag = "tickets",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = FilerView),
        (status = 404, description = "No such ticket the caller may read, or the caller is its enterprise", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/tickets/{id}/filer")]
pub async fn get_filer(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<i64>,
) -> Result<web::Json<FilerView>, ApiError> {
    let (loaded, _) = tickets::get(&state.db, &state.sla, &who.caller, path.into_inner()).await?;
    let masked = !crate::domain::access::may_call_filer(&who.caller, &loaded.facts);
    let Some(f) = tickets::filer(&state.db, &who.caller, &loaded).await? else {
        return Err(ApiError::not_found("problem.no_filer_shown"));
    };
    let e = f.enterprise;
    Ok(web::Json(FilerView {
        enterprise_id: e.id,
        name: e.name,
        credit_code: e.credit_code,
        address: e.address,
        contact_name: e.contact_name.filter(|n| !n.trim().is_empty()),
        phone_masked: masked && f.phone.is_some(),
        phone: f.phone,
        listings: f
            .listings
            .into_iter()
            .map(|l| ListingView {
                province: f.regions.get(&l.scope).cloned(),
                scope: l.scope,
                batch: l.batch,
                listed_on: l.listed_on,
                chain: l.chain_code,
            })
            .collect(),
        earlier: f
            .earlier
            .into_iter()
            .map(|t| EarlierTicketView {
                id: t.id,
                number: t.number,
                title: t.title,
                status: t.status.as_str().to_string(),
                rating: t.rating.map(|r| r.as_str().to_string()),
            })
            .collect(),
    }))
}

/// A saved view: a name for the workbench's filters and sort.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedViewView {
    pub id: i64,
    pub name: String,
    /// The filters and sort as a query string, the same parameters
    /// `GET /api/v1/tickets` takes (`status=handling&q=芯片`), plus the
    /// workbench's `tab`.
    pub query: String,
    /// The workbench page showing it.
    pub link: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl SavedViewView {
    fn of(v: crate::storage::saved_views::SavedView) -> SavedViewView {
        SavedViewView {
            link: format!("/workbench?{}", v.query),
            id: v.id,
            name: v.name,
            query: v.query,
            created_at: v.created_at.and_utc(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewSavedViewBody {
    /// Up to 20 characters.
    #[serde(default)]
    #[schema(required = true)]
    pub name: String,
    /// The filters and sort as a query string (a cursor is dropped).
    #[serde(default)]
    pub query: String,
}

/// The caller's saved views, in the order of their tabs.
#[utoipa::path(
    tag = "tickets",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<SavedViewView>))
)]
#[get("/me/views")]
pub async fn list_views(
    state: web::Data<AppState>,
    who: Authenticated,
) -> Result<web::Json<Vec<SavedViewView>>, ApiError> {
    let views = saved_views::list(&state.db, &who.caller).await?;
    Ok(web::Json(
        views.into_iter().map(SavedViewView::of).collect(),
    ))
}

/// Saves a view under a name (at most 12 per person).
#[utoipa::path(
    tag = "tickets",
    security(("bearer" = [])),
    request_body = NewSavedViewBody,
    responses(
        (status = 201, body = SavedViewView),
        (status = 422, description = "A name missing or too long, too many views, or a query too long", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/me/views")]
pub async fn save_view(
    state: web::Data<AppState>,
    who: Authenticated,
    body: Body<NewSavedViewBody>,
) -> Result<HttpResponse, actix_web::Error> {
    let body = body?.into_inner();
    let now = state.sla.now().naive_utc();
    let saved = saved_views::save(&state.db, &who.caller, &body.name, &body.query, now)
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Created().json(SavedViewView::of(saved)))
}

/// Deletes one of the caller's views; another person's is not found.
#[utoipa::path(
    tag = "tickets",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such view of the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/me/views/{id}")]
pub async fn delete_view(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    saved_views::delete(&state.db, &who.caller, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
