//! Tickets: filing, the queue, one ticket with its timeline, and actions.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::caller::{Authenticated, Body};
use super::enterprises::invalid;
use super::paging::QueueCursor;
use super::problem::{ApiError, Message, Problem, ProblemKind};
use super::AppState;
use crate::domain::access::{Caller, DepartmentRef};
use crate::domain::enterprise::issue;
use crate::domain::role::Role;
use crate::domain::ticket::{Action, Refusal, Satisfaction};
use crate::services::tickets::{self, Filing, Loaded, TicketError};
use crate::storage::departments::Department;
use crate::storage::names::Directory;
use crate::storage::tickets::{Ticket, TicketEvent, TicketFilter};

impl From<TicketError> for ApiError {
    fn from(e: TicketError) -> Self {
        match e {
            TicketError::Invalid(issues) => invalid(issues),
            TicketError::NotFound => ApiError::not_found("没有这个工单。", "There is no such ticket."),
            TicketError::Refused(r) => {
                let kind = match r {
                    Refusal::NotPermitted { .. } => ProblemKind::Forbidden,
                    Refusal::WrongStatus { .. } => ProblemKind::Conflict,
                    Refusal::MissingText { field } => {
                        return ApiError::invalid_fields(vec![(field.to_string(), Message::new(r.message_zh(), r.message_en()))])
                    }
                    Refusal::Rule { .. } => ProblemKind::Validation,
                };
                ApiError::new(kind).with_detail(r.message_zh(), r.message_en())
            }
            TicketError::Conflict(current) => ApiError::new(ProblemKind::Conflict).with_detail(
                format!(
                    "工单已被他人更新（当前版本 {}，状态 {}），请刷新后重试。",
                    current.version, current.status
                ),
                format!(
                    "The ticket was changed by someone else (now version {}, {}); reload and retry.",
                    current.version, current.status
                ),
            ),
            TicketError::Stale(current) => ApiError::new(ProblemKind::PreconditionFailed)
                .with_detail(
                    format!(
                        "工单已被他人更新（当前版本 v{}），您读到的版本已过期，请刷新后重试。",
                        current.version
                    ),
                    format!(
                        "The ticket was changed by someone else (now v{}); the version you read is stale: reload and retry.",
                        current.version
                    ),
                ),
            TicketError::KeyReused => ApiError::new(ProblemKind::Validation).with_detail(
                "这个幂等键已用于内容不同的另一件诉求，本次没有提交。请换一个新的键再提交。",
                "This Idempotency-Key was used for a different problem; nothing was filed. Send it again under a new key.",
            ),
            TicketError::Throttled(secs) => {
                let mut e = ApiError::new(ProblemKind::TooManyRequests).with_detail(
                    format!("提交过于频繁，请 {secs} 秒后再试。"),
                    format!("Filing too fast; try again in {secs} s."),
                );
                e.retry_after_secs = Some(secs);
                e
            }
            TicketError::Storage(s) => s.into(),
        }
    }
}

/// A ticket as its readers see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketView {
    pub id: i64,
    /// `{county}-{yyyymmdd}-{seq}`.
    pub number: String,
    pub version: i32,
    pub enterprise_id: i64,
    pub category: String,
    /// `normal`, `urgent` or `critical`.
    pub urgency: String,
    pub title: String,
    pub description: String,
    pub place_code: String,
    pub regions_involved: Vec<String>,
    pub whitelisted: bool,
    pub chains: Vec<String>,
    /// `pending_sign`, `handling`, `awaiting_info`, `resolved`, `closed`, `rejected` or `withdrawn`.
    pub status: String,
    pub handling_department_id: i64,
    /// The handling department's name (absent in lists that do not name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handling_department_name: Option<String>,
    /// The handling department's desk phone, from its settings, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handling_department_phone: Option<String>,
    /// Staff only (absent for the enterprise): the officer assigned, or null.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>)]
    pub assignee_id: Option<Option<i64>>,
    /// Staff only: the assigned officer's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee_name: Option<String>,
    /// In a queue, when the caller's department co-handles the ticket and
    /// still owes its opinion: the deadline for it (协办时限).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opinion_due_at: Option<chrono::DateTime<chrono::Utc>>,
    pub sign_due_at: Option<chrono::DateTime<chrono::Utc>>,
    pub resolve_due_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Staff only: an extension request awaits the lead's decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension_pending: Option<bool>,
    pub overdue: bool,
    pub escalation_level: i32,
    /// Staff only: how often supervisors urged the handlers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub urged_count: Option<i32>,
    pub reopened_count: i32,
    /// Sent on (transferred, escalated, returned) more than three times.
    pub bounced: bool,
    pub rating: Option<String>,
    pub solved: Option<bool>,
    pub filed_at: chrono::DateTime<chrono::Utc>,
    pub resolved_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<&Ticket> for TicketView {
    fn from(t: &Ticket) -> Self {
        let list = |s: &str| {
            s.split(',')
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect()
        };
        TicketView {
            id: t.id,
            number: t.number.clone(),
            version: t.version,
            enterprise_id: t.enterprise_id,
            category: t.category.clone(),
            urgency: t.urgency.clone(),
            title: t.title.clone(),
            description: t.description.clone(),
            place_code: t.place_code.clone(),
            regions_involved: list(&t.regions_involved),
            whitelisted: t.whitelisted,
            chains: list(&t.chains),
            status: t.status.clone(),
            handling_department_id: t.handling_department_id,
            handling_department_name: None,
            handling_department_phone: None,
            assignee_id: Some(t.assignee_id),
            assignee_name: None,
            opinion_due_at: None,
            sign_due_at: t.sign_due_at.map(|at| at.and_utc()),
            resolve_due_at: t.resolve_due_at.map(|at| at.and_utc()),
            extension_pending: Some(t.extension_pending),
            overdue: t.overdue,
            escalation_level: t.escalation_level,
            urged_count: Some(t.urged_count),
            reopened_count: t.reopened_count,
            bounced: t.sent_on_count > crate::domain::ticket::BOUNCE_THRESHOLD,
            rating: t.rating.clone(),
            solved: t.solved,
            filed_at: t.filed_at.and_utc(),
            resolved_at: t.resolved_at.map(|at| at.and_utc()),
        }
    }
}

impl TicketView {
    /// The ticket as this caller may see it, named from `names`: the
    /// enterprise does not see staff's own business (who is assigned, urging,
    /// extension requests), but does see the handling department and its phone.
    pub fn seen_by(t: &Ticket, caller: &Caller, names: &Directory) -> TicketView {
        let mut v = TicketView::from(t);
        if let Some(d) = names.department(t.handling_department_id) {
            v.handling_department_name = Some(d.name.clone());
            v.handling_department_phone = d.phone.clone();
        }
        v.assignee_name = t.assignee_id.and_then(|id| names.person(id));
        if caller.role == Role::Enterprise {
            v.assignee_id = None;
            v.assignee_name = None;
            v.extension_pending = None;
            v.urged_count = None;
        }
        v
    }
}

/// One entry of a ticket's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// The event's number in the ticket's history; none for SLA entries.
    pub seq: Option<i32>,
    /// `file`, an action's name, `auto_close`, or (staff only) an SLA entry:
    /// `sign_warning`, `sign_overdue`, `resolve_warning`, `resolve_overdue`.
    pub action: String,
    pub actor_id: Option<i64>,
    /// Staff only: the actor's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_name: Option<String>,
    pub actor_department_id: Option<i64>,
    pub actor_department_name: Option<String>,
    pub from_status: Option<String>,
    /// None for SLA entries, which do not change the status.
    pub to_status: Option<String>,
    pub note: Option<String>,
    /// Action details (target department, rating, routing rule, ...).
    #[schema(value_type = Option<Object>)]
    pub detail: Option<serde_json::Value>,
    /// Hidden from the enterprise.
    pub internal: bool,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// A department involved besides the handling one.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvolvedDepartment {
    pub department_id: i64,
    pub department_name: Option<String>,
    /// Co-handlers: the deadline for the opinion (half the resolve window
    /// left when the department was asked).
    pub opinion_due_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Co-handlers: `running`, `warning`, `overdue`, `answered` or `released`.
    pub opinion_clock: Option<String>,
    /// Co-handlers: whether the opinion came by its deadline (once it came).
    pub opinion_on_time: Option<bool>,
    /// `passed` (handled it before) or `cohandler` (协办).
    pub role: String,
    pub opinion: Option<String>,
    pub opinion_posted: bool,
    pub released: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketDetail {
    #[serde(flatten)]
    pub ticket: TicketView,
    /// The sign-for and the resolve clock, with remaining working time.
    pub clocks: Option<super::sla::ClocksView>,
    pub departments: Vec<InvolvedDepartment>,
    pub timeline: Vec<EventView>,
}

fn etag(version: i32) -> String {
    format!("\"v{version}\"")
}

fn with_etag(mut res: HttpResponse, version: i32) -> HttpResponse {
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

fn detail(
    caller: &Caller,
    loaded: Loaded,
    events: Vec<TicketEvent>,
    now: chrono::DateTime<chrono::Utc>,
) -> TicketDetail {
    let enterprise = caller.role == Role::Enterprise;
    TicketDetail {
        ticket: TicketView::seen_by(&loaded.ticket, caller, &loaded.directory),
        clocks: loaded.clocks.map(|c| {
            let mut v = super::sla::ClocksView::from(c);
            // Who supervises is the staff's business.
            if enterprise {
                v.supervising_department_id = None;
                v.bounce_department_id = None;
            }
            v
        }),
        departments: loaded
            .departments
            .into_iter()
            .filter(|_| !enterprise)
            .map(|d| {
                let clock = loaded
                    .cohandling
                    .iter()
                    .find(|c| c.department_id == d.department_id && d.role == "cohandler");
                InvolvedDepartment {
                    opinion_due_at: clock.map(|c| c.due_at.and_utc()),
                    opinion_clock: clock
                        .map(|c| crate::services::cohandling::standing(c, now).to_string()),
                    opinion_on_time: clock.and_then(|c| c.answered_at.map(|a| a <= c.due_at)),
                    department_name: loaded.directory.department_name(d.department_id),
                    department_id: d.department_id,
                    role: d.role,
                    opinion: d.opinion,
                    opinion_posted: d.opinion_posted,
                    released: d.released,
                }
            })
            .collect(),
        timeline: timeline(enterprise, events, loaded.sla_events, &loaded.directory),
    }
}

/// The ticket's events and, for staff, its SLA entries, in time order.
pub(crate) fn timeline(
    enterprise: bool,
    events: Vec<TicketEvent>,
    sla_events: Vec<crate::storage::sla::SlaEvent>,
    names: &Directory,
) -> Vec<EventView> {
    let mut all: Vec<EventView> = events
        .into_iter()
        .filter(|e| !(enterprise && e.internal))
        .map(|e| {
            let detail: Option<serde_json::Value> =
                e.detail.and_then(|d| serde_json::from_str(&d).ok());
            // Why a ticket moved is written for colleagues; the enterprise
            // sees that it moved, and the reason only if it was made public.
            let moved = matches!(
                e.action.as_str(),
                "transfer" | "escalate" | "take_over" | "return"
            );
            let public = detail
                .as_ref()
                .and_then(|d| d.get("reason_public"))
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false);
            EventView {
                seq: Some(e.seq),
                action: e.action,
                actor_id: e.actor_id,
                actor_name: e
                    .actor_id
                    .filter(|_| !enterprise)
                    .and_then(|id| names.person(id)),
                actor_department_id: e.actor_department_id,
                actor_department_name: e
                    .actor_department_id
                    .and_then(|id| names.department_name(id)),
                from_status: e.from_status,
                to_status: Some(e.to_status),
                note: if enterprise && moved && !public {
                    None
                } else {
                    e.note
                },
                detail,
                internal: e.internal,
                at: e.created_at.and_utc(),
            }
        })
        .collect();
    if !enterprise {
        all.extend(sla_events.into_iter().map(|e| EventView {
            seq: None,
            action: e.kind,
            actor_id: None,
            actor_name: None,
            actor_department_id: None,
            actor_department_name: None,
            from_status: None,
            to_status: None,
            note: None,
            detail: Some(serde_json::json!({
                "level": e.level,
                "round": e.round,
                "due_at": e.due_at.and_utc(),
                "escalation_level": e.escalation_level,
                "handling_department": e.handling_department_id,
                "notified_department": e.notified_department_id,
            })),
            internal: true,
            at: e.created_at.and_utc(),
        }));
        // Stable: at the same instant, the ticket's own events come first.
        all.sort_by_key(|e| e.at);
    }
    all
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FilingBody {
    /// `worker_return`, `logistics`, `parts_supply`, `raw_materials`,
    /// `epidemic_control`, `energy`, `funding`, `policy`, `customs`, `other`.
    #[serde(default)]
    pub category: String,
    /// `normal`, `urgent` or `critical`.
    #[serde(default)]
    pub urgency: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// County code of the place; defaults to the enterprise's county.
    pub place: Option<String>,
    /// Other regions involved (e.g. the far end of a blocked route).
    #[serde(default)]
    pub regions_involved: Vec<String>,
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
        (status = 422, description = "Every invalid field; an unverified enterprise's critical problem or one past its open limit; an Idempotency-Key sent before with a different body (nothing filed)", body = Problem, content_type = "application/problem+json"),
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

#[derive(Debug, Deserialize, IntoParams)]
pub struct QueueQuery {
    pub status: Option<String>,
    pub category: Option<String>,
    pub urgency: Option<String>,
    pub overdue: Option<bool>,
    pub whitelisted: Option<bool>,
    pub chain: Option<String>,
    /// A region code: tickets placed in its subtree.
    pub region: Option<String>,
    pub assignee_id: Option<i64>,
    /// Only tickets the caller's department handles now.
    pub mine: Option<bool>,
    /// Only tickets waiting for the caller: to sign for, handle or give an
    /// opinion on (staff); to answer or rate (enterprise).
    pub needs_action: Option<bool>,
    /// Only this enterprise's tickets (staff; an enterprise sees its own anyway).
    pub enterprise_id: Option<i64>,
    /// Filed on or after this day (Beijing), `YYYY-MM-DD`.
    pub filed_from: Option<String>,
    /// Filed on or before this day (Beijing), `YYYY-MM-DD`.
    pub filed_to: Option<String>,
    /// Only tickets with an extension request awaiting a decision; with
    /// `needs_action`, those the calling lead decides (待审批).
    pub extension_pending: Option<bool>,
    /// Text in the title or description (a substring, case-insensitive for
    /// Latin letters). Terms of three characters or more are served by an
    /// index; shorter ones are found by scanning and may be slow when rare.
    pub q: Option<String>,
    /// `filed` (newest first, the default) or `deadline` (nearest resolve deadline first).
    pub sort: Option<String>,
    /// The `next_cursor` of the previous page, with the same `sort`; opaque.
    pub cursor: Option<String>,
    pub limit: Option<i64>,
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
    let limit = super::paging::limit(q.limit)?;
    super::paging::require_known_region(&state.db, q.region.as_deref()).await?;
    let filter = with_cursor(filter_of(&q, &who.caller)?, q.cursor.as_deref(), limit + 1)?;
    let by_deadline = filter.by_deadline;
    let mut found = tickets::queue(
        &state.db,
        &who.caller,
        filter,
        q.needs_action.unwrap_or(false),
    )
    .await?;
    let next_cursor = super::paging::next_cursor(&mut found, limit, |t| {
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

/// The filter from the position a client's cursor names, one page long.
pub(crate) fn with_cursor(
    filter: TicketFilter,
    cursor: Option<&str>,
    limit: i64,
) -> Result<TicketFilter, ApiError> {
    let at = cursor
        .filter(|c| !c.trim().is_empty())
        .map(|c| QueueCursor::decode(c, filter.by_deadline))
        .transpose()?;
    Ok(TicketFilter {
        after_id: at.map(|c| c.id),
        after_due: at.and_then(|c| c.due),
        limit,
        ..filter
    })
}

/// The queue's filters as a storage filter (no cursor, no limit).
pub(crate) fn filter_of(q: &QueueQuery, caller: &Caller) -> Result<TicketFilter, ApiError> {
    // A region code narrows by prefix: 310000 -> 31, 310100 -> 3101.
    let place_prefix = super::paging::region_prefix(q.region.as_deref())?;
    let by_deadline = match q.sort.as_deref() {
        None | Some("filed") => false,
        Some("deadline") => true,
        Some(_) => {
            return Err(ApiError::invalid_fields(vec![(
                "sort".into(),
                Message::new("排序应为 filed 或 deadline。", "Sort by filed or deadline."),
            )]))
        }
    };
    if q.q
        .as_deref()
        .is_some_and(crate::domain::ticket::has_control_characters)
    {
        return Err(ApiError::invalid_fields(vec![(
            "q".into(),
            Message::new(
                "搜索词不能含控制字符。",
                "A search has no control characters.",
            ),
        )]));
    }
    let day = |field: &str, v: &Option<String>| -> Result<Option<chrono::NaiveDate>, ApiError> {
        v.as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| {
                chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                    ApiError::invalid_fields(vec![(
                        field.to_string(),
                        Message::new(
                            "日期格式应为 YYYY-MM-DD，例如 2022-04-28。",
                            "A date is YYYY-MM-DD, e.g. 2022-04-28.",
                        ),
                    )])
                })
            })
            .transpose()
    };
    let (from, to) = (
        day("filed_from", &q.filed_from)?,
        day("filed_to", &q.filed_to)?,
    );
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(ApiError::invalid_fields(vec![(
                "filed_to".into(),
                Message::new(
                    "结束日期不能早于开始日期。",
                    "The end date is before the start date.",
                ),
            )]));
        }
    }
    let midnight = |d: chrono::NaiveDate| crate::services::metrics::beijing_midnight(d).naive_utc();
    Ok(TicketFilter {
        filed_from: from.map(midnight),
        filed_before: to.and_then(|d| d.succ_opt()).map(midnight),
        status: q.status.clone(),
        category: q.category.clone(),
        urgency: q.urgency.clone(),
        overdue: q.overdue,
        whitelisted: q.whitelisted,
        extension_pending: q.extension_pending,
        chain: q.chain.clone(),
        place_prefix,
        assignee_id: q.assignee_id,
        handling_department_id: q
            .mine
            .filter(|m| *m)
            .and(caller.department.as_ref().map(|d| d.id)),
        enterprise_id: q.enterprise_id,
        text: q.q.clone(),
        after_id: None,
        after_due: None,
        by_deadline,
        limit: 0,
    })
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

/// The fields of an action; each action reads the ones it needs.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ActionBody {
    /// transfer, escalate, take_over, return, request_extension, reopen, reject, withdraw.
    pub reason: Option<String>,
    /// transfer, escalate, take_over, return: show the reason to the
    /// enterprise too (by default it is for colleagues only; the enterprise
    /// still sees that the ticket moved, and where).
    pub reason_public: Option<bool>,
    /// request_info.
    pub question: Option<String>,
    /// provide_info.
    pub answer: Option<String>,
    /// resolve.
    pub resolution: Option<String>,
    /// post_opinion.
    pub opinion: Option<String>,
    /// decide_extension, urge.
    pub note: Option<String>,
    /// comment.
    pub text: Option<String>,
    /// comment: hidden from the enterprise.
    pub internal: Option<bool>,
    /// assign.
    pub assignee_id: Option<i64>,
    /// transfer (target), add_cohandler, release_cohandler.
    pub department_id: Option<i64>,
    /// request_extension.
    pub working_days: Option<i32>,
    /// decide_extension.
    pub approve: Option<bool>,
    /// rate: `satisfied`, `basically_satisfied` or `dissatisfied`.
    pub satisfaction: Option<String>,
    /// rate: was the problem solved.
    pub solved: Option<bool>,
    /// rate.
    pub comment: Option<String>,
}

fn required<T>(field: &'static str, v: Option<T>) -> Result<T, ApiError> {
    v.ok_or_else(|| {
        invalid(vec![issue(
            field,
            "此项为必填。",
            "This field is required.",
        )])
    })
}

async fn department_ref(state: &AppState, id: i64) -> Result<DepartmentRef, ApiError> {
    let d = state
        .db
        .run(move |conn| Ok(Department::find(conn, id)?))
        .await?;
    d.map(|d| DepartmentRef {
        id: d.id,
        path: d.path,
    })
    .ok_or_else(|| {
        invalid(vec![issue(
            "department_id",
            "没有这个部门。",
            "There is no such department.",
        )])
    })
}

pub(crate) async fn parse_action(
    state: &AppState,
    name: &str,
    b: ActionBody,
) -> Result<Action, ApiError> {
    let text = |v: Option<String>| v.unwrap_or_default();
    Ok(match name {
        "sign_for" => Action::SignFor,
        "assign" => Action::Assign {
            assignee: required("assignee_id", b.assignee_id)?,
        },
        "transfer" => Action::Transfer {
            target: department_ref(state, required("department_id", b.department_id)?).await?,
            reason: text(b.reason),
            reason_public: b.reason_public.unwrap_or(false),
        },
        "escalate" => Action::Escalate {
            reason: text(b.reason),
            reason_public: b.reason_public.unwrap_or(false),
        },
        "take_over" => Action::TakeOver {
            reason: text(b.reason),
            reason_public: b.reason_public.unwrap_or(false),
        },
        "return" => Action::Return {
            reason: text(b.reason),
            reason_public: b.reason_public.unwrap_or(false),
        },
        "add_cohandler" => Action::AddCohandler {
            department: department_ref(state, required("department_id", b.department_id)?).await?,
        },
        "post_opinion" => Action::PostOpinion {
            opinion: text(b.opinion),
        },
        "release_cohandler" => Action::ReleaseCohandler {
            department_id: required("department_id", b.department_id)?,
        },
        "request_info" => Action::RequestInfo {
            question: text(b.question),
        },
        "provide_info" => Action::ProvideInfo {
            answer: text(b.answer),
        },
        "request_extension" => Action::RequestExtension {
            reason: text(b.reason),
            working_days: required("working_days", b.working_days)?,
        },
        "decide_extension" => Action::DecideExtension {
            approve: required("approve", b.approve)?,
            note: text(b.note),
        },
        "urge" => Action::Urge { note: text(b.note) },
        "resolve" => Action::Resolve {
            resolution: text(b.resolution),
        },
        "rate" => Action::Rate {
            satisfaction: required(
                "satisfaction",
                b.satisfaction.as_deref().and_then(Satisfaction::parse),
            )?,
            solved: required("solved", b.solved)?,
            comment: text(b.comment),
        },
        "reopen" => Action::Reopen {
            reason: text(b.reason),
        },
        "reject" => Action::Reject {
            reason: text(b.reason),
        },
        "withdraw" => Action::Withdraw {
            reason: text(b.reason),
        },
        "comment" => Action::Comment {
            text: text(b.text),
            internal: b.internal.unwrap_or(false),
        },
        other => {
            return Err(ApiError::not_found(
                format!("没有“{other}”这个操作。"),
                format!("There is no action `{other}`."),
            ))
        }
    })
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
        .ok_or_else(|| {
            ApiError::new(ProblemKind::BadRequest).with_detail(
                "If-Match 应为本接口返回的 ETag，例如 \"v3\"。",
                "If-Match must be an ETag this API returned, such as \"v3\".",
            )
        })
}

/// Takes an action on a ticket (its name as in the domain specification).
/// Send `If-Match` with the ETag read; a concurrent change answers 409.
#[utoipa::path(
    tag = "tickets",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path),
        ("action" = String, Path, description = "sign_for, assign, transfer, escalate, take_over, return, add_cohandler, post_opinion, release_cohandler, request_info, provide_info, request_extension, decide_extension, urge, resolve, rate, reopen, reject, withdraw, comment"),
        ("If-Match" = Option<String>, Header, description = "The ETag read, e.g. \"v3\""),
    ),
    request_body = ActionBody,
    responses(
        (status = 200, description = "Done; the new ETag is returned", body = TicketDetail),
        (status = 403, description = "The caller may not take this action", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket or action", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible in the current status, or someone else's change came first (without If-Match)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a version that is no longer the ticket's", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing or a rule forbids it", body = Problem, content_type = "application/problem+json"),
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
    let limit = state.settings.server.json_limit_bytes;
    if body.len() > limit {
        return Err(ApiError::new(ProblemKind::PayloadTooLarge)
            .with_detail(
                format!("请求体超过上限 {limit} 字节。"),
                format!("The body exceeds the limit of {limit} bytes."),
            )
            .into());
    }
    // Actions without fields may send no body at all.
    let b = if body.iter().all(u8::is_ascii_whitespace) {
        ActionBody::default()
    } else {
        serde_json::from_slice::<ActionBody>(&body).map_err(|e| {
            let kind = if e.is_data() {
                ProblemKind::Validation
            } else {
                ProblemKind::BadRequest
            };
            ApiError::new(kind).with_detail(
                format!("请求体不是有效的 JSON：{e}"),
                format!("The body is not valid JSON: {e}"),
            )
        })?
    };
    let expected = expected_version(&req)?;
    let action = parse_action(&state, &name, b).await?;
    tickets::act(&state.db, &state.sla, &who.caller, id, action, expected)
        .await
        .map_err(ApiError::from)?;
    let (loaded, events) = tickets::get(&state.db, &state.sla, &who.caller, id)
        .await
        .map_err(ApiError::from)?;
    let version = loaded.ticket.version;
    Ok(with_etag(
        HttpResponse::Ok().json(detail(&who.caller, loaded, events, state.sla.now())),
        version,
    ))
}
