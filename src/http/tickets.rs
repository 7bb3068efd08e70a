//! Tickets: filing, the queue, one ticket with its timeline, and actions.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::{Authenticated, Body};
use super::problem::{ApiError, Problem, ProblemKind};
use super::AppState;
use crate::services::action_request::ActionRequest;
use crate::services::queue::{filter_of, with_cursor, QueueCursor, QueueQuery};
use crate::services::ticket_actions::parse_action;
use crate::services::tickets::{self, Filing};

pub(crate) use super::views::ticket::detail;
pub use super::views::ticket::{
    ActionsView, EventView, InvolvedDepartment, TicketDetail, TicketView,
};

fn etag(version: i32) -> String {
    format!("\"v{version}\"")
}

fn with_etag(mut res: HttpResponse, version: i32) -> HttpResponse {
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FilingBody {
    /// `worker_return`, `logistics`, `parts_supply`, `raw_materials`,
    /// `epidemic_control`, `energy`, `funding`, `policy`, `customs`, `other`.
    #[serde(default)]
    #[schema(required = true)]
    pub category: String,
    /// `normal`, `urgent` or `critical`.
    #[serde(default)]
    #[schema(required = true)]
    pub urgency: String,
    #[serde(default)]
    #[schema(required = true)]
    pub title: String,
    #[serde(default)]
    #[schema(required = true)]
    pub description: String,
    /// County code of the place; defaults to the enterprise's county.
    pub place: Option<String>,
    /// Other regions involved (e.g. the far end of a blocked route).
    #[serde(default)]
    pub regions_involved: Vec<String>,
    /// Files uploaded before (`POST /attachments`) that the filing takes,
    /// at most `attachments.max_files_per_step`.
    #[serde(default)]
    pub attachment_ids: Vec<i64>,
}

/// Files a problem (enterprise users). Send an `Idempotency-Key` header to
/// make retries safe: a repeat returns the first ticket with 200.
#[utoipa::path(
    tag = "tickets",
    security(("bearer" = [])),
    request_body = FilingBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "A client-chosen key; a retry with the same key returns the first ticket")),
    responses(
        (status = 201, body = TicketDetail),
        (status = 200, description = "A retry of an earlier filing with the same key and the same body", body = TicketDetail),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Every invalid field; an unverified enterprise's critical problem or one past its open limit; an Idempotency-Key sent before with a different body (nothing filed); an `attachment_ids` entry that is not the caller's waiting upload (`attachment-unknown-upload`), or files past a step's or a ticket's limit (`attachment-too-many-files`, `attachment-ticket-full`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Filing too fast for the account or its enterprise; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/tickets")]
pub async fn file(
    state: web::Data<AppState>,
    who: Authenticated,
    req: HttpRequest,
    body: Body<FilingBody>,
) -> Result<HttpResponse, actix_web::Error> {
    let b = body?.into_inner();
    let key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty() && k.len() <= 200);
    let ((loaded, events), created) = tickets::file_and_read(
        &state.db,
        &state.sla,
        &state.filing,
        &who.caller,
        Filing {
            category: b.category,
            urgency: b.urgency,
            title: b.title,
            description: b.description,
            place: b.place,
            regions_involved: b.regions_involved,
        },
        state.attachments.step(b.attachment_ids),
        key,
    )
    .await
    .map_err(ApiError::from)?;
    let version = loaded.ticket.version;
    let mut res = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(with_etag(
        res.json(detail(&who.caller, loaded, events, state.sla.now())),
        version,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketPage {
    pub items: Vec<TicketView>,
    /// Opaque: pass it as `cursor` for the next page; none on the last page.
    pub next_cursor: Option<String>,
}

/// The caller's queue: tickets they may see, newest first or by deadline.
#[utoipa::path(tag = "tickets", security(("bearer" = [])), params(QueueQuery), responses((status = 200, body = TicketPage)))]
#[get("/tickets")]
pub async fn queue(
    state: web::Data<AppState>,
    who: Authenticated,
    query: web::Query<QueueQuery>,
) -> Result<web::Json<TicketPage>, ApiError> {
    let q = query.into_inner();
    let limit = super::views::paging::limit(q.limit)?;
    super::views::paging::require_known_region(&state.db, q.region.as_deref()).await?;
    let filter = with_cursor(filter_of(&q, &who.caller)?, q.cursor.as_deref(), limit + 1)?;
    let by_deadline = filter.by_deadline;
    let mut found = tickets::queue(
        &state.db,
        &who.caller,
        filter,
        q.needs_action.unwrap_or(false),
    )
    .await?;
    let next_cursor = super::views::paging::next_cursor(&mut found, limit, |t| {
        QueueCursor::after(t, by_deadline).encode()
    });
    let names = tickets::directory(&state.db, &found).await?;
    let owed = crate::services::cohandling::of_caller(
        &state.db,
        &who.caller,
        found.iter().map(|t| t.id).collect(),
    )
    .await?;
    Ok(web::Json(TicketPage {
        items: found
            .iter()
            .map(|t| {
                let mut v = TicketView::seen_by(t, &who.caller, &names);
                v.opinion_due_at = owed
                    .get(&t.id)
                    .filter(|c| c.waiting())
                    .map(|c| c.due_at.and_utc());
                v
            })
            .collect(),
        next_cursor,
    }))
}

/// The actions the caller may take on the ticket now, each with its fields
/// and the departments or people it may target: what the ticket page builds
/// its forms from, for any client to do the same.
#[utoipa::path(
    tag = "tickets",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The offered actions", body = ActionsView),
        (status = 404, description = "No such ticket, or not the caller's to see", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/tickets/{id}/actions")]
pub async fn offered_actions(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<i64>,
) -> Result<web::Json<ActionsView>, ApiError> {
    let (loaded, _) = tickets::get(&state.db, &state.sla, &who.caller, path.into_inner()).await?;
    let offers = crate::services::ticket_actions::offer(
        &state.db,
        &who.caller,
        &loaded,
        state.sla.now().naive_utc(),
    )
    .await?;
    Ok(web::Json(ActionsView::of(
        loaded.ticket.id,
        loaded.ticket.version,
        offers,
    )))
}

/// One ticket with its timeline (internal entries hidden from the enterprise).
#[utoipa::path(
    tag = "tickets",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "With an ETag of the version", body = TicketDetail),
        (status = 404, description = "No such ticket, or not the caller's to see", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/tickets/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (loaded, events) =
        tickets::get(&state.db, &state.sla, &who.caller, path.into_inner()).await?;
    let version = loaded.ticket.version;
    Ok(with_etag(
        HttpResponse::Ok().json(detail(&who.caller, loaded, events, state.sla.now())),
        version,
    ))
}

/// `"v7"` (or `W/"v7"`, or `*`) from If-Match.
fn expected_version(req: &HttpRequest) -> Result<Option<i32>, ApiError> {
    let Some(raw) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let s = raw.to_str().unwrap_or_default().trim();
    if s == "*" {
        return Ok(None);
    }
    let v = s.trim_start_matches("W/").trim_matches('"');
    v.strip_prefix('v')
        .and_then(|n| n.parse().ok())
        .map(Some)
        .ok_or_else(|| ApiError::new(ProblemKind::BadRequest).with_detail("problem.bad_if_match"))
}

/// Takes an action on a ticket: the body names it (`action`) with its own
/// fields, as `GET /tickets/{id}/actions` offers them. Send `If-Match` with
/// the ETag read; without it, a concurrent change answers 409.
#[utoipa::path(
    tag = "tickets",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path),
        ("If-Match" = Option<String>, Header, description = "The ETag read, e.g. \"v3\""),
    ),
    request_body = ActionRequest,
    responses(
        (status = 200, description = "Done; the new ETag is returned", body = TicketDetail),
        (status = 403, description = "The caller may not take this action", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket or action", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible in the current status, or someone else's change came first (without If-Match)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a version that is no longer the ticket's", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing or a rule forbids it; `attachment_ids` on an action that carries no files (`attachment-not-on-this-step`), naming what is not the caller's waiting upload (`attachment-unknown-upload`), or past a step's or a ticket's limit (`attachment-too-many-files`, `attachment-ticket-full`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/tickets/{id}/actions")]
pub async fn take_action(
    state: web::Data<AppState>,
    who: Authenticated,
    req: HttpRequest,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, actix_web::Error> {
    run_action(&state, &who, &req, path.into_inner(), None, &body).await
}

/// Takes the action the URL names; the body holds its fields (`action` may
/// be left out). The same as `POST /tickets/{id}/actions`.
#[utoipa::path(
    tag = "tickets",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path),
        ("action" = String, Path, description = "sign_for, assign, transfer, escalate, take_over, return, add_cohandler, post_opinion, release_cohandler, request_info, provide_info, request_extension, decide_extension, urge, resolve, rate, reopen, reject, withdraw, comment"),
        ("If-Match" = Option<String>, Header, description = "The ETag read, e.g. \"v3\""),
    ),
    request_body(content = ActionRequest, description = "The action's fields; `action` may be left out, the URL names it"),
    responses(
        (status = 200, description = "Done; the new ETag is returned", body = TicketDetail),
        (status = 403, description = "The caller may not take this action", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket or action", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible in the current status, or someone else's change came first (without If-Match)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a version that is no longer the ticket's", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing or a rule forbids it; `attachment_ids` on an action that carries no files (`attachment-not-on-this-step`), naming what is not the caller's waiting upload (`attachment-unknown-upload`), or past a step's or a ticket's limit (`attachment-too-many-files`, `attachment-ticket-full`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/tickets/{id}/actions/{action}")]
pub async fn act(
    state: web::Data<AppState>,
    who: Authenticated,
    req: HttpRequest,
    path: web::Path<(i64, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, actix_web::Error> {
    let (id, name) = path.into_inner();
    run_action(&state, &who, &req, id, Some(&name), &body).await
}

async fn run_action(
    state: &AppState,
    who: &Authenticated,
    req: &HttpRequest,
    id: i64,
    named: Option<&str>,
    body: &[u8],
) -> Result<HttpResponse, actix_web::Error> {
    let limit = state.settings.server.json_limit_bytes;
    if body.len() > limit {
        return Err(ApiError::new(ProblemKind::PayloadTooLarge)
            .with_detail_with("problem.body_too_large", [("limit", limit.to_string())])
            .into());
    }
    // Actions without fields may send no body at all.
    let json = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::Value::Null
    } else {
        serde_json::from_slice::<serde_json::Value>(body).map_err(|e| {
            ApiError::new(ProblemKind::BadRequest)
                .with_detail_with("problem.body_not_json", [("what", e.to_string())])
        })?
    };
    let expected = expected_version(req)?;
    // Files named on an action that carries none are refused, not dropped.
    let names_files = json
        .get("attachment_ids")
        .and_then(serde_json::Value::as_array)
        .is_some_and(|ids| !ids.is_empty());
    let (name, mut fields) = ActionRequest::from_json(named, json)
        .map_err(ApiError::from)?
        .into_body();
    if names_files && fields.attachment_ids.is_empty() {
        return Err(
            ApiError::from(crate::services::attachments::ClaimRefusal::NotOnThisStep).into(),
        );
    }
    let files = state
        .attachments
        .step(std::mem::take(&mut fields.attachment_ids));
    let action = parse_action(&state.db, name, fields)
        .await
        .map_err(ApiError::from)?;
    tickets::act_with_files(
        &state.db,
        &state.sla,
        &who.caller,
        id,
        action,
        expected,
        files,
    )
    .await
    .map_err(ApiError::from)?;
    // The actor's own tabs count afresh, not from a few seconds ago.
    state.tab_counts.forget(who.caller.user_id);
    let (loaded, events) = tickets::get(&state.db, &state.sla, &who.caller, id)
        .await
        .map_err(ApiError::from)?;
    let version = loaded.ticket.version;
    Ok(with_etag(
        HttpResponse::Ok().json(detail(&who.caller, loaded, events, state.sla.now())),
        version,
    ))
}

/// Several tickets at once: the action, the tickets and the action's fields.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BulkBody {
    /// `sign_for`, `assign` or `urge`.
    #[serde(default)]
    #[schema(required = true)]
    pub action: String,
    /// At most 100 tickets; each is acted on once, in this order.
    #[serde(default)]
    #[schema(required = true)]
    pub ticket_ids: Vec<i64>,
    /// The action's fields, as `POST /tickets/{id}/actions/{action}` takes
    /// them: `assignee_id` for assign, `note` for urge.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fields: serde_json::Value,
}

/// What happened to one ticket of a bulk request.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkItem {
    pub ticket_id: i64,
    /// `done` or `refused`.
    pub outcome: &'static str,
    /// Done: the ticket's status and version (its ETag's number) now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    /// Refused: why, as the single-ticket action would have answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResult {
    pub done: usize,
    pub refused: usize,
    /// One entry per ticket, in the order asked.
    pub results: Vec<BulkItem>,
}

/// Takes one action on several tickets (sign for, assign, urge). Each
/// ticket is acted on as `POST /tickets/{id}/actions/{action}` would, in its
/// own transaction with its own event; one refusal leaves the others
/// alone. The answer is 200 with each ticket's outcome, refusals with the
/// problem document the single action would have answered.
#[utoipa::path(
    tag = "tickets",
    security(("bearer" = [])),
    request_body = BulkBody,
    responses(
        (status = 200, description = "Each ticket's outcome", body = BulkResult),
        (status = 404, description = "No such action", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An action not taken in bulk, no tickets or too many, or a field of the action missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/tickets/bulk")]
pub async fn bulk(
    state: web::Data<AppState>,
    who: Authenticated,
    req: HttpRequest,
    body: Body<BulkBody>,
) -> Result<web::Json<BulkResult>, actix_web::Error> {
    let b = body?.into_inner();
    let lang = crate::http::lang::Lang::from_request(&req);
    let action = b.action.trim().to_string();
    if !crate::services::bulk::BULK_ACTIONS.contains(&action.as_str()) {
        return Err(
            ApiError::from(crate::services::bulk::BulkError::Fields(vec![
                crate::domain::enterprise::issue("action", "field.bulk_action"),
            ]))
            .into(),
        );
    }
    let (name, fields) = ActionRequest::from_json(Some(&action), b.fields)
        .map_err(ApiError::from)?
        .into_body();
    let outcomes = crate::services::bulk::act_on_each(
        &state.db,
        &state.sla,
        &who.caller,
        name,
        &b.ticket_ids,
        fields,
    )
    .await
    .map_err(ApiError::from)?;
    state.tab_counts.forget(who.caller.user_id);
    let results: Vec<BulkItem> = outcomes
        .into_iter()
        .map(|(ticket_id, o)| match o {
            crate::services::bulk::Outcome::Done(t) => BulkItem {
                ticket_id,
                outcome: "done",
                status: Some(t.status.as_str().to_string()),
                version: Some(t.version),
                problem: None,
            },
            crate::services::bulk::Outcome::Refused(e) => BulkItem {
                ticket_id,
                outcome: "refused",
                status: None,
                version: None,
                problem: Some(ApiError::from(e).to_problem(lang)),
            },
        })
        .collect();
    let done = results.iter().filter(|r| r.outcome == "done").count();
    Ok(web::Json(BulkResult {
        done,
        refused: results.len() - done,
        results,
    }))
}
