//! The enterprise portal: its tickets with status and deadlines, and
//! filing a problem (errors field by field, keeping what was typed; a
//! double-submitted form files once, by its idempotency key).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::labels;
use super::session::{check_csrf, Viewer};
use super::workbench::{list_filter, rows, ListQuery, Row, PAGE_SIZE};
use super::AppState;
use super::{failed, page, see_other, Chrome, FormErrors, PageError};
use crate::domain::region::RegionLevel;
use crate::domain::role::Role;
use crate::http::problem::ApiError;
use crate::services::tickets::{self, Filing};
use crate::storage::catalogue::{self, List};
use crate::storage::enterprises::Enterprise;
use crate::storage::regions::Region;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/portal", web::get().to(portal))
        .route("/tickets/new", web::get().to(new_ticket))
        // Before the url-encoded form's route: a form with files.
        .service(
            web::resource("/tickets/new")
                .guard(actix_web::guard::fn_guard(|ctx| {
                    super::ticket_files::is_multipart(ctx.head())
                }))
                .route(web::post().to(file_with_files)),
        )
        .route("/tickets/new", web::post().to(file))
        .route("/tickets/new/regions", web::get().to(region_suggestions));
}

#[derive(Deserialize)]
struct RegionWord {
    #[serde(default)]
    q: String,
}

/// Regions whose name contains what is typed, named as the filing form's
/// other regions take them (JSON, for its suggestions).
async fn region_suggestions(
    state: web::Data<AppState>,
    req: HttpRequest,
    _v: Viewer,
    q: web::Query<RegionWord>,
) -> Result<HttpResponse, actix_web::Error> {
    let found = crate::services::pickers::region_suggestions(&state.db, &q.q, 12)
        .await
        .map_err(|e| failed(&req, ApiError::from(e)))?;
    Ok(HttpResponse::Ok().json(found))
}

#[derive(Template)]
#[template(path = "portal.html")]
struct PortalPage {
    c: Chrome,
    /// The enterprise awaits its county's verification.
    unverified: bool,
    open_limit: i64,
    /// Requests to join the enterprise waiting for its accounts.
    joins: usize,
    rows: Vec<Row>,
    next: Option<String>,
    q: ListQuery,
    statuses: Vec<(&'static str, String)>,
}

async fn portal(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    if v.caller.role != Role::Enterprise {
        return Err(PageError::not_found(&req).into());
    }
    let q = ListQuery {
        status: q.status.clone(),
        needs_action: q.needs_action.clone(),
        cursor: q.cursor.clone(),
        ..ListQuery::default()
    };
    let c = Chrome::for_viewer(&req, &v);
    let (filter, needs_action) = list_filter(&req, &q, &v.caller)?;
    let (rows, next) = rows(&state, &v.caller, filter, needs_action, PAGE_SIZE, c.en)
        .await
        .map_err(|e| failed(&req, e))?;
    let base = q.without_cursor();
    let next = next.map(|n| format!("/portal?{base}&cursor={n}"));
    let unverified = own_enterprise_unverified(&state, &req, &v).await?;
    let joins = crate::services::join_requests::pending(&state.db, &v.caller)
        .await
        .map_err(|e| failed(&req, ApiError::from(e)))?
        .len();
    let p = PortalPage {
        unverified,
        open_limit: state.filing.unverified_open,
        joins,
        statuses: labels::statuses(c.en),
        c,
        rows,
        next,
        q,
    };
    Ok(page(StatusCode::OK, p.render()))
}

/// Whether the viewer's enterprise still awaits its county's verification.
async fn own_enterprise_unverified(
    state: &AppState,
    req: &HttpRequest,
    v: &Viewer,
) -> Result<bool, actix_web::Error> {
    let id = v.caller.enterprise_id.unwrap_or(-1);
    Ok(state
        .db
        .run(move |conn| Ok(Enterprise::find(conn, id)?))
        .await
        .map_err(|e| failed(req, ApiError::from(e)))?
        .is_some_and(|e| !e.is_verified()))
}

/// What the filing form holds.
#[derive(Debug, Default, Clone, Deserialize)]
struct FilingForm {
    #[serde(default)]
    csrf: String,
    /// Makes a double-submitted form file once.
    #[serde(default)]
    key: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    regions_involved: String,
    /// Uploads stored by an earlier try of the form, comma-separated.
    #[serde(default)]
    attachment_ids: String,
}

#[derive(Template)]
#[template(path = "file_ticket.html")]
struct FilePage {
    c: Chrome,
    f: FilingForm,
    errors: FormErrors,
    categories: Vec<(String, String)>,
    urgencies: Vec<(&'static str, String)>,
    /// Counties of the enterprise's province, by city: (city, [(code, name)]).
    places: Vec<(String, Vec<(String, String)>)>,
    home_county: String,
    /// Awaiting verification: no critical problems, a few open at most.
    unverified: bool,
    open_limit: i64,
    /// What the file field takes, in words; uploads kept from a refused try.
    files_hint: String,
    kept: usize,
}

async fn file_page(
    state: &AppState,
    req: &HttpRequest,
    v: &Viewer,
    f: FilingForm,
    errors: FormErrors,
) -> Result<FilePage, actix_web::Error> {
    let c = Chrome::for_viewer(req, v);
    let en = c.en;
    let enterprise_id = v.caller.enterprise_id.unwrap_or(-1);
    let (home, places, unverified, categories) = state
        .db
        .run(move |conn| {
            let categories = catalogue::load(conn, List::Categories)?.offered(en);
            let Some(e) = Enterprise::find(conn, enterprise_id)? else {
                return Ok((String::new(), Vec::new(), false, categories));
            };
            let unverified = !e.is_verified();
            let county = Region::find(conn, &e.county_code)?;
            let home = county
                .as_ref()
                .map_or(e.county_code.clone(), |r| r.name.clone());
            let province = format!("{}0000", &e.county_code[..2.min(e.county_code.len())]);
            let mut places = Vec::new();
            for city in Region::children(conn, &province)? {
                let counties: Vec<(String, String)> = if city.level == RegionLevel::County {
                    vec![(city.code.clone(), city.name.clone())]
                } else {
                    Region::children(conn, &city.code)?
                        .into_iter()
                        .map(|r| (r.code, r.name))
                        .collect()
                };
                places.push((city.name, counties));
            }
            Ok((home, places, unverified, categories))
        })
        .await
        .map_err(|e| failed(req, ApiError::from(e)))?;
    let f = FilingForm {
        key: if f.key.is_empty() {
            uuid::Uuid::new_v4().to_string()
        } else {
            f.key
        },
        ..f
    };
    Ok(FilePage {
        errors,
        categories,
        urgencies: labels::urgencies(en)
            .into_iter()
            .filter(|(code, _)| !(unverified && *code == "critical"))
            .collect(),
        places,
        home_county: home,
        unverified,
        open_limit: state.filing.unverified_open,
        files_hint: super::ticket_files::hint(&state.attachments.limits(), en),
        kept: f
            .attachment_ids
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .count(),
        f,
        c,
    })
}

async fn new_ticket(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
) -> Result<HttpResponse, actix_web::Error> {
    if v.caller.role != Role::Enterprise {
        return Err(PageError::not_found(&req).into());
    }
    let form = FilingForm {
        urgency: "normal".into(),
        ..FilingForm::default()
    };
    let p = file_page(&state, &req, &v, form, FormErrors::default()).await?;
    Ok(page(StatusCode::OK, p.render()))
}

async fn file(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    f: web::Form<FilingForm>,
) -> Result<HttpResponse, actix_web::Error> {
    if v.caller.role != Role::Enterprise {
        return Err(PageError::not_found(&req).into());
    }
    let f = f.into_inner();
    check_csrf(&req, &f.csrf)?;
    file_form(&state, &req, &v, f, None).await
}

/// The filing form with files: they are stored first, then the filing
/// takes them; a refused file shows the form again as typed.
async fn file_with_files(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    form: actix_multipart::Multipart,
) -> Result<HttpResponse, actix_web::Error> {
    if v.caller.role != Role::Enterprise {
        return Err(PageError::not_found(&req).into());
    }
    let text_limit = state.settings.server.json_limit_bytes;
    let mut received =
        crate::http::views::attachments::read_form(form, &state.attachments, text_limit).await;
    let map: serde_json::Map<String, serde_json::Value> = received
        .fields
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    let mut f: FilingForm =
        serde_json::from_value(serde_json::Value::Object(map)).unwrap_or_default();
    check_csrf(&req, &f.csrf)?;
    let (ids, refused) =
        super::ticket_files::store_all(&state, &v.caller, None, &mut received).await;
    f.attachment_ids = super::ticket_files::joined_ids(&f.attachment_ids, &ids);
    file_form(&state, &req, &v, f, refused).await
}

async fn file_form(
    state: &AppState,
    req: &HttpRequest,
    v: &Viewer,
    f: FilingForm,
    refused: Option<crate::services::attachments::AttachmentError>,
) -> Result<HttpResponse, actix_web::Error> {
    let lang = super::session::page_lang(req);
    if let Some(e) = refused {
        let e = ApiError::from(e);
        let status = e.kind.status();
        if status.is_server_error() {
            return Err(PageError::from_api(req, e).into());
        }
        let mut errors = FormErrors::of(e, lang);
        let kept = f
            .attachment_ids
            .split(',')
            .filter(|s| !s.is_empty())
            .count();
        errors
            .general
            .push(super::fill(lang, "evidence.choose_again", &[("n", &kept)]));
        let p = file_page(state, req, v, f, errors).await?;
        return Ok(page(status, p.render()));
    }
    // Other regions are written by name (`吴中区（苏州市）`), or by code.
    let named =
        crate::services::pickers::regions_named(&state.db, "regions_involved", &f.regions_involved)
            .await
            .map_err(|e| failed(req, ApiError::from(e)))?;
    let regions_involved = match named {
        Ok(codes) => codes,
        Err(issues) => {
            let e = ApiError::from(crate::services::tickets::TicketError::Invalid(issues));
            let status = e.kind.status();
            let errors = FormErrors::of(e, lang);
            let p = file_page(state, req, v, f, errors).await?;
            return Ok(page(status, p.render()));
        }
    };
    let filing = Filing {
        category: f.category.clone(),
        urgency: f.urgency.clone(),
        title: f.title.clone(),
        description: f.description.clone(),
        place: Some(f.place.trim().to_string()).filter(|p| !p.is_empty()),
        regions_involved,
    };
    let key = Some(f.key.clone()).filter(|k| !k.is_empty() && k.len() <= 200);
    let files = state.attachments.step(
        f.attachment_ids
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect(),
    );
    let filed = tickets::file_with_files(
        &state.db,
        &state.sla,
        &state.filing,
        &v.caller,
        filing,
        files,
        key,
    )
    .await;
    match filed {
        Ok((ticket, _)) => Ok(see_other(&format!("/tickets/{}?done=file", ticket.id))),
        Err(e) => {
            let e = ApiError::from(e);
            let status = e.kind.status();
            if status.is_server_error() {
                return Err(PageError::from_api(req, e).into());
            }
            let errors = FormErrors::of(e, lang);
            let p = file_page(state, req, v, f, errors).await?;
            Ok(page(status, p.render()))
        }
    }
}
