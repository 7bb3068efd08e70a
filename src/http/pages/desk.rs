//! The workbench's desk work (issue 24): its tabs with counts and the
//! person's saved views, bulk work on the ticked tickets (each ticket's
//! outcome listed), and the region picker's suggestions.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::session::{check_csrf, url_escape, Viewer};
use super::workbench::{tab_links, ListQuery, TabLink};
use super::AppState;
use super::{failed, page, see_other, Chrome, FormErrors, PageError};
use crate::domain::access::TicketAction;
use crate::domain::access::{bulk_actions_offered, Caller};
use crate::http::problem::ApiError;
use crate::services::desk_tabs::{self, Tab};
use crate::services::ticket_actions::ActionBody;
use crate::words::{say, Lang};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/workbench/bulk", web::post().to(bulk))
        .route("/workbench/views", web::post().to(save_view))
        .route("/workbench/views/{id}/delete", web::post().to(delete_view))
        .route("/workbench/regions", web::get().to(region_suggestions));
}

fn lang_of(en: bool) -> Lang {
    if en {
        Lang::En
    } else {
        Lang::Zh
    }
}

/// A tab's name in the catalogue.
pub(super) fn tab_key(tab: Tab) -> &'static str {
    match tab {
        Tab::Sign => "desk_queue.tab_sign",
        Tab::Handling => "desk_queue.tab_handling",
        Tab::Info => "desk_queue.tab_info",
        Tab::Extension => "desk_queue.tab_extension",
        Tab::Cohandling => "desk_queue.tab_cohandling",
        Tab::Urged => "desk_queue.tab_urged",
        Tab::Near => "desk_queue.tab_near",
        Tab::Overdue => "desk_queue.tab_overdue",
        Tab::Mine => "desk_queue.tab_mine",
    }
}

/// The caller's tabs with their counts and saved views, and whether the
/// counts were served from the cache.
pub(super) async fn tabs(
    state: &AppState,
    caller: &Caller,
    q: &ListQuery,
    base: &str,
    en: bool,
) -> Result<(Vec<TabLink>, bool), ApiError> {
    let now = state.sla.now().naive_utc();
    let counted = desk_tabs::counts(&state.db, &state.tab_counts, caller, now).await?;
    let views = crate::services::saved_views::list(&state.db, caller).await?;
    Ok((
        tab_links(counted.counts, views, q, base, en),
        counted.cached,
    ))
}

fn action_code(a: TicketAction) -> Option<&'static str> {
    match a {
        TicketAction::SignFor => Some("sign_for"),
        TicketAction::Assign => Some("assign"),
        TicketAction::Urge => Some("urge"),
        _ => None,
    }
}

/// The bulk actions offered to the caller (with their names), and the
/// people a lead may assign.
pub(super) async fn bulk_choices(
    state: &AppState,
    caller: &Caller,
    en: bool,
) -> Result<(Vec<(&'static str, String)>, Vec<(i64, String)>), ApiError> {
    let offered = bulk_actions_offered(caller);
    let actions = offered
        .iter()
        .filter_map(|a| action_code(*a))
        .map(|code| {
            let key = match code {
                "sign_for" => "desk_queue.bulk_sign_for",
                "assign" => "desk_queue.bulk_assign",
                _ => "desk_queue.bulk_urge",
            };
            (code, say(lang_of(en), key))
        })
        .collect();
    let assignees = if offered.contains(&TicketAction::Assign) {
        crate::services::bulk::assignees(&state.db, caller).await?
    } else {
        Vec::new()
    };
    Ok((actions, assignees))
}

/// The region a name names: its code, or the regions it may mean (none,
/// or several of one name).
pub(super) async fn region_of_name(
    state: &AppState,
    name: &str,
) -> Result<Result<String, Vec<(String, String)>>, crate::storage::StorageError> {
    let typed = name.trim();
    let choices = crate::services::queue::region_choices(&state.db, typed, 20).await?;
    let exact: Vec<_> = choices
        .iter()
        .filter(|c| c.label == typed || c.label.ends_with(&format!(" {typed}")))
        .collect();
    let one = match (exact.as_slice(), choices.as_slice()) {
        ([only], _) => Some(only.code.clone()),
        ([], [only]) => Some(only.code.clone()),
        _ => None,
    };
    Ok(one.ok_or_else(|| {
        choices
            .iter()
            .take(10)
            .map(|c| (c.code.clone(), c.label.clone()))
            .collect()
    }))
}

#[derive(serde::Deserialize)]
struct RegionAsked {
    #[serde(default)]
    q: String,
}

/// Regions whose name contains what is typed, for the picker (JSON).
async fn region_suggestions(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    q: web::Query<RegionAsked>,
) -> Result<HttpResponse, actix_web::Error> {
    if !v.caller.role.is_staff() {
        return Err(PageError::not_found(&req).into());
    }
    let found = crate::services::queue::region_choices(&state.db, &q.q, 12)
        .await
        .map_err(|e| failed(&req, ApiError::from(e)))?;
    Ok(HttpResponse::Ok().json(found))
}

/// One ticket's line of a bulk result.
struct Line {
    id: i64,
    number: String,
    title: String,
    done: bool,
    /// Done: what happened; refused: why.
    note: String,
}

#[derive(Template)]
#[template(path = "bulk_result.html")]
struct BulkPage {
    c: Chrome,
    /// The action, how many were done and how many not.
    summary: String,
    lines: Vec<Line>,
    back: String,
}

/// The form's pairs, where `ids` repeats.
type Pairs = Vec<(String, String)>;

fn first<'a>(f: &'a Pairs, name: &str) -> &'a str {
    f.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// Where to go back to: the workbench with the query the form came from.
fn back_of(f: &Pairs) -> String {
    let q = crate::services::saved_views::clean_query(first(f, "back"));
    if q.is_empty() {
        "/workbench".into()
    } else {
        format!("/workbench?{q}")
    }
}

async fn bulk(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    form: web::Form<Pairs>,
) -> Result<HttpResponse, actix_web::Error> {
    let f = form.into_inner();
    check_csrf(&req, first(&f, "csrf"))?;
    if !v.caller.role.is_staff() {
        return Err(PageError::not_found(&req).into());
    }
    let c = Chrome::for_viewer(&req, &v);
    let lang = lang_of(c.en);
    let ids: Vec<i64> = f
        .iter()
        .filter(|(k, _)| k == "ids")
        .filter_map(|(_, v)| v.trim().parse().ok())
        .collect();
    let action = first(&f, "action").to_string();
    // Exports: the selected tickets through the list's export.
    if let Some(ext) = action.strip_prefix("export_") {
        if ids.is_empty() || !matches!(ext, "csv" | "xlsx") {
            return Ok(see_other(&back_of(&f)));
        }
        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
        return Ok(see_other(&format!(
            "/exports/tickets.{ext}?ids={}",
            url_escape(&list.join(","))
        )));
    }
    let fields = ActionBody {
        assignee_id: first(&f, "assignee_id").trim().parse().ok(),
        note: Some(first(&f, "note").trim().to_string()).filter(|n| !n.is_empty()),
        ..ActionBody::default()
    };
    let outcomes =
        crate::services::bulk::act_on_each(&state.db, &state.sla, &v.caller, &action, &ids, fields)
            .await
            .map_err(|e| failed(&req, ApiError::from(e)))?;
    state.tab_counts.forget(v.caller.user_id);
    let done_key = match action.as_str() {
        "sign_for" => "desk_queue.done_sign_for",
        "assign" => "desk_queue.done_assign",
        _ => "desk_queue.done_urge",
    };
    let asked: Vec<i64> = outcomes.iter().map(|(id, _)| *id).collect();
    let caller = v.caller.clone();
    // Numbers and titles of the tickets the caller may see.
    let seen = state
        .db
        .run(move |conn| {
            let f = crate::storage::tickets::TicketFilter {
                ids: Some(asked),
                limit: crate::services::bulk::MAX_TICKETS as i64,
                ..Default::default()
            };
            Ok(crate::services::tickets::queue_page(
                conn, &caller, f, false,
            )?)
        })
        .await
        .map_err(|e| failed(&req, ApiError::from(e)))?;
    let lines: Vec<Line> = outcomes
        .into_iter()
        .map(|(id, o)| {
            let t = seen.iter().find(|t| t.id == id);
            let (done, note) = match o {
                crate::services::bulk::Outcome::Done(_) => (true, say(lang, done_key)),
                crate::services::bulk::Outcome::Refused(e) => (
                    false,
                    ApiError::from(e)
                        .to_problem(lang)
                        .detail
                        .unwrap_or_else(|| say(lang, "desk_queue.refused")),
                ),
            };
            Line {
                id,
                number: t
                    .map(|t| t.number.clone())
                    .unwrap_or_else(|| format!("#{id}")),
                title: t.map(|t| t.title.clone()).unwrap_or_default(),
                done,
                note,
            }
        })
        .collect();
    let done = lines.iter().filter(|l| l.done).count();
    let name = say(
        lang,
        match action.as_str() {
            "sign_for" => "desk_queue.bulk_sign_for",
            "assign" => "desk_queue.bulk_assign",
            _ => "desk_queue.bulk_urge",
        },
    );
    let refused = lines.len() - done;
    let p = BulkPage {
        summary: crate::words::fill(
            lang,
            "desk_queue.result_summary",
            &[("action", &name), ("done", &done), ("refused", &refused)],
        ),
        lines,
        back: back_of(&f),
        c,
    };
    Ok(page(StatusCode::OK, p.render()))
}

#[derive(serde::Deserialize)]
struct ViewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    query: String,
}

async fn save_view(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    form: web::Form<ViewForm>,
) -> Result<HttpResponse, actix_web::Error> {
    check_csrf(&req, &form.csrf)?;
    if !v.caller.role.is_staff() {
        return Err(PageError::not_found(&req).into());
    }
    let now = state.sla.now().naive_utc();
    match crate::services::saved_views::save(&state.db, &v.caller, &form.name, &form.query, now)
        .await
    {
        Ok(saved) => Ok(see_other(&format!("/workbench?{}", saved.query))),
        // Refused: the form again, with what was typed and why.
        Err(crate::services::saved_views::SavedViewError::Invalid(issues)) => {
            let c = Chrome::for_viewer(&req, &v);
            let errors = FormErrors::of(crate::http::problem::invalid(issues), c.lang());
            let p = SaveViewPage {
                c,
                name: form.name.clone(),
                query: crate::services::saved_views::clean_query(&form.query),
                errors,
            };
            Ok(page(StatusCode::UNPROCESSABLE_ENTITY, p.render()))
        }
        Err(e) => Err(failed(&req, ApiError::from(e))),
    }
}

/// The save-a-view form again after a refusal.
#[derive(Template)]
#[template(path = "save_view.html")]
struct SaveViewPage {
    c: Chrome,
    name: String,
    query: String,
    errors: FormErrors,
}

#[derive(serde::Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn delete_view(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<i64>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, actix_web::Error> {
    check_csrf(&req, &form.csrf)?;
    crate::services::saved_views::delete(&state.db, &v.caller, path.into_inner())
        .await
        .map_err(|e| failed(&req, ApiError::from(e)))?;
    Ok(see_other("/workbench"))
}
