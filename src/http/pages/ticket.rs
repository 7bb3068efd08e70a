//! One ticket as a page: its facts, both SLA clocks, the departments on
//! it, the timeline the viewer may see (the API's own visibility rules),
//! and a form for each action the viewer may take right now (and only
//! those: `domain::ticket::offered`). A form that fails comes back with
//! what was typed and why.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::labels::{self, beijing, remaining};
use super::session::{check_csrf, Viewer};
use super::ticket_desk::{self, FilerShown, CONFIRMED};
use super::ticket_names::load_names;
pub(super) use super::ticket_timeline::entry;
use super::AppState;
use super::{failed, lang_of, page, say, see_other, Chrome, FormErrors, PageError};
use crate::domain::access::TicketAction;
use crate::domain::role::Role;
use crate::http::problem::ApiError;
use crate::http::views::ticket::timeline;
use crate::services::ticket_actions::{parse_action, ActionBody};
use crate::services::tickets::{self, TicketError};

pub fn configure(cfg: &mut web::ServiceConfig) {
    super::ticket_files::configure(cfg);
    cfg.route("/tickets/{id}", web::get().to(show))
        .route("/tickets/{id}/print", web::get().to(super::print::show))
        .route("/tickets/{id}/act/{action}", web::post().to(act));
}

/// A ticket's head, in words.
pub struct Head {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub description: String,
    pub status: String,
    pub status_code: String,
    pub category: String,
    pub urgency: String,
    pub urgency_code: String,
    pub place: String,
    pub regions_involved: Vec<String>,
    pub whitelisted: bool,
    pub chains: Vec<String>,
    pub bounced: bool,
    pub overdue: bool,
    pub handling: String,
    /// The handling department's desk phone, if it has set one.
    pub handling_phone: Option<String>,
    pub assignee: Option<String>,
    pub filed_at: String,
    pub rating: Option<String>,
    pub version: i32,
}

pub struct ClockShown {
    pub label: &'static str,
    pub state: &'static str,
    pub state_label: String,
    pub due_at: String,
    /// UTC, RFC 3339: the script counts down to it.
    pub due_utc: String,
    /// What is left (or past), in the unit of the window's policy.
    pub remaining: String,
    /// The deadline in full, as the tooltip says it.
    pub due_title: String,
    /// Why the deadline may still move, if it may.
    pub provisional: Option<String>,
}

pub struct Involved {
    pub name: String,
    pub role: String,
    pub opinion: Option<String>,
    /// A co-handler's deadline for its opinion, where it stands in words,
    /// and its state code (for the style).
    pub clock: Option<(String, String, &'static str)>,
}

pub struct Entry {
    /// The files on the step.
    pub files: Vec<super::ticket_files::FileShown>,
    pub at: String,
    pub action: String,
    pub who: String,
    pub note: Option<String>,
    pub detail: Vec<String>,
    pub internal: bool,
    pub sla: bool,
}

/// A form for one action, with the choices it offers and what was typed.
pub struct ActionForm {
    pub name: &'static str,
    pub label: String,
    pub choices: Vec<(i64, String)>,
    pub draft: Draft,
    pub errors: FormErrors,
    pub open: bool,
    /// The next step people usually take: a prominent button.
    pub primary: bool,
    /// Ends the ticket or sends it away: asks for confirmation first.
    pub confirm: bool,
    /// The step carries files (a file field, posted as multipart).
    pub files: bool,
    /// Uploads kept from a refused try, sent again with the form.
    pub kept: usize,
}

/// What a person typed into an action's form (all text, as sent).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct Draft {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub question: String,
    #[serde(default)]
    pub answer: String,
    #[serde(default)]
    pub resolution: String,
    #[serde(default)]
    pub opinion: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub internal: String,
    #[serde(default)]
    pub reason_public: String,
    #[serde(default)]
    pub assignee_id: String,
    #[serde(default)]
    pub department_id: String,
    #[serde(default)]
    pub working_days: String,
    #[serde(default)]
    pub approve: String,
    #[serde(default)]
    pub satisfaction: String,
    #[serde(default)]
    pub solved: String,
    #[serde(default)]
    pub comment: String,
    /// A list to go back to after the action (urging from the supervision list).
    #[serde(default)]
    pub back: String,
    /// The confirmation step: `yes` acts, `edit` goes back to the form.
    #[serde(default)]
    pub confirm: String,
    /// Uploads stored by an earlier try of the form, comma-separated.
    #[serde(default)]
    pub attachment_ids: String,
}

#[derive(Template)]
#[template(path = "ticket.html")]
struct TicketPage {
    c: Chrome,
    t: Head,
    staff: bool,
    clocks: Vec<ClockShown>,
    departments: Vec<Involved>,
    timeline: Vec<Entry>,
    actions: Vec<ActionForm>,
    /// Errors of the page as a whole (a conflict, a refusal).
    errors: FormErrors,
    done: Option<String>,
    /// Who filed it (staff only).
    filer: Option<FilerShown>,
    /// The department's canned replies: (title, text).
    canned: Vec<(String, String)>,
    /// What the file fields take, in words.
    files_hint: String,
    /// The daily report (日报) whose blocker became this ticket: its day.
    from_report: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ShowQuery {
    done: Option<String>,
}

async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<i64>,
    q: web::Query<ShowQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    // Opening a ticket reads the viewer's notices about it (the bell counts down).
    let mut v = v;
    let id = *path;
    if v.unread > 0 {
        v.unread -= super::notifications::read_of_ticket(&state, &v, id).await;
    }
    let c = Chrome::for_viewer(&req, &v);
    let done = q.done.as_deref().and_then(|a| {
        TicketAction::ALL
            .into_iter()
            .map(TicketAction::name)
            .find(|n| *n == a)
    });
    let p = build(&state, &req, &v, c, path.into_inner(), None, done).await?;
    Ok(page(StatusCode::OK, p.render()))
}

/// A failed action: which, what was typed, and why.
struct Failed {
    action: &'static str,
    draft: Draft,
    errors: FormErrors,
}

async fn build(
    state: &AppState,
    req: &HttpRequest,
    v: &Viewer,
    c: Chrome,
    id: i64,
    failed_action: Option<Failed>,
    done: Option<&'static str>,
) -> Result<TicketPage, actix_web::Error> {
    let (loaded, events) = tickets::get(&state.db, &state.sla, &v.caller, id)
        .await
        .map_err(|e| match e {
            TicketError::NotFound => PageError::not_found(req).into(),
            other => failed(req, other),
        })?;
    let en = c.en;
    let staff = v.caller.role != Role::Enterprise;
    let now = state.sla.now().naive_utc();
    let offers = crate::services::ticket_actions::offer(&state.db, &v.caller, &loaded, now)
        .await
        .map_err(|e| failed(req, ApiError::from(e)))?;
    let offer: Vec<TicketAction> = offers.iter().map(|o| o.action).collect();
    let entries = timeline(!staff, events, loaded.sla_events.clone(), &loaded.directory);
    let names = load_names(state, &loaded, &entries, &offers)
        .await
        .map_err(|e| failed(req, e))?;
    let dept = |id: i64| {
        names
            .departments
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("#{id}"))
    };
    let filer = ticket_desk::filer(&state.db, &v.caller, &loaded, en)
        .await
        .map_err(|e| failed(req, e))?;
    let canned = if staff {
        crate::services::canned_replies::of_caller(&state.db, &v.caller)
            .await
            .map_err(|e| match e {
                crate::services::canned_replies::CannedError::Storage(s) => failed(req, s),
                _ => PageError::not_found(req).into(),
            })?
            .into_iter()
            .map(|r| (r.title, r.body))
            .collect()
    } else {
        Vec::new()
    };
    let done = done.map(|a| ticket_desk::notice(a, &loaded, en));
    let primary = ticket_desk::primary(offer.iter().map(|a| a.name()));
    let from_report = loaded.from_report;
    let t = &loaded.ticket;
    let list = |codes: &crate::storage::codes::Codes| -> Vec<String> {
        codes
            .iter()
            .map(|code| {
                names
                    .regions
                    .get(code)
                    .cloned()
                    .unwrap_or_else(|| code.to_string())
            })
            .collect()
    };
    let head = Head {
        id: t.id,
        number: t.number.clone(),
        title: t.title.clone(),
        description: t.description.clone(),
        status: labels::status(t.status.as_str(), en),
        status_code: t.status.as_str().to_string(),
        category: names.categories.label(&t.category, en),
        urgency: labels::urgency(t.urgency.as_str(), en),
        urgency_code: t.urgency.as_str().to_string(),
        place: names
            .regions
            .get(&t.place_code)
            .cloned()
            .unwrap_or_else(|| t.place_code.clone()),
        regions_involved: list(&t.regions_involved),
        whitelisted: t.whitelisted,
        chains: t
            .chains
            .iter()
            .map(|code| names.chains.label(code, en))
            .collect(),
        bounced: t.sent_on_count > crate::domain::ticket::BOUNCE_THRESHOLD,
        overdue: t.overdue,
        handling: dept(t.handling_department_id),
        handling_phone: loaded
            .directory
            .department(t.handling_department_id)
            .and_then(|d| d.phone.clone()),
        assignee: t
            .assignee_id
            .map(|a| names.users.get(&a).cloned().unwrap_or_default()),
        filed_at: beijing(t.filed_at),
        rating: t.rating.map(|r| labels::satisfaction(r.as_str(), en)),
        version: t.version,
    };
    let mut clocks = Vec::new();
    if let Some(cl) = &loaded.clocks {
        let shown = |label, w: &crate::services::sla::WindowState| ClockShown {
            label,
            state: w.state,
            state_label: clock_state_label(w.state, en),
            due_at: labels::deadline(w.due_at.naive_utc(), en),
            due_utc: w.due_at.to_rfc3339(),
            remaining: remaining(&w.left, en),
            due_title: c.with("desk_ticket.due_title", "at", beijing(w.due_at.naive_utc())),
            provisional: w.provisional.then(|| {
                let year = crate::services::deadlines::beijing_year(w.due_at);
                c.with("ticket.provisional", "year", year)
            }),
        };
        if staff {
            clocks.push(shown(c.t("ticket.sign_deadline"), &cl.sign));
        }
        clocks.push(shown(c.t("ticket.resolution_deadline"), &cl.resolve));
    }
    let departments = if staff {
        loaded
            .departments
            .iter()
            .map(|d| Involved {
                name: dept(d.department_id),
                role: c
                    .t(if d.role == crate::domain::ticket::Involvement::Cohandler {
                        "ticket.cohandler"
                    } else {
                        "ticket.handled_before"
                    })
                    .into(),
                opinion: d.opinion.clone(),
                clock: loaded
                    .cohandling
                    .iter()
                    .find(|c| {
                        d.role == crate::domain::ticket::Involvement::Cohandler
                            && c.department_id == d.department_id
                    })
                    .map(|c| {
                        let state = crate::services::cohandling::standing(c, state.sla.now());
                        let key = match state {
                            "answered" if c.answered_at.is_some_and(|a| a <= c.due_at) => {
                                "ticket.answered_in_time"
                            }
                            "answered" => "ticket.answered_late",
                            "released" => "ticket.released",
                            "overdue" => "ticket.opinion_overdue",
                            "warning" => "ticket.opinion_due_soon",
                            _ => "ticket.opinion_running",
                        };
                        (beijing(c.due_at), say(lang_of(en), key), state)
                    }),
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut files = super::ticket_files::of_ticket(state, &v.caller, id, en)
        .await
        .map_err(|e| failed(req, e))?;
    let timeline = entries
        .iter()
        .map(|e| {
            let mut shown = entry(e, &names, staff, en);
            shown.files = super::ticket_files::take_step(&mut files, e.seq);
            shown
        })
        .collect();
    let mut failed_action = failed_action;
    let mut actions: Vec<ActionForm> = offer
        .iter()
        .filter(|a| staff || **a != TicketAction::CommentInternal)
        // One comment form: a staff member ticks "internal".
        .filter(|a| **a != TicketAction::CommentInternal || !offer.contains(&TicketAction::Comment))
        .map(|a| {
            let name = a.name();
            let (draft, errors, open) = match failed_action.take_if(|f| f.action == name) {
                Some(f) => (f.draft, f.errors, true),
                None => (Draft::default(), FormErrors::default(), false),
            };
            ActionForm {
                name,
                label: labels::action(name, en),
                choices: names.choices.get(name).cloned().unwrap_or_default(),
                errors,
                open,
                primary: primary == Some(name),
                confirm: CONFIRMED.contains(&name),
                files: crate::domain::attachments::carries_files(*a),
                kept: draft
                    .attachment_ids
                    .split(',')
                    .filter(|s| !s.trim().is_empty())
                    .count(),
                draft,
            }
        })
        .collect();
    // The primary next step first.
    actions.sort_by_key(|a| !a.primary);
    Ok(TicketPage {
        c,
        t: head,
        staff,
        clocks,
        departments,
        timeline,
        actions,
        errors: failed_action.map(|f| f.errors).unwrap_or_default(),
        done,
        filer,
        canned,
        files_hint: super::ticket_files::hint(&state.attachments.limits(), en),
        // The ticket came from a daily report's blocker (issue 26).
        from_report: from_report.map(|(day, _)| day.to_string()),
    })
}

fn clock_state_label(state: &str, en: bool) -> String {
    let state = match state {
        "running" | "warning" | "overdue" | "paused" => state,
        _ => "stopped",
    };
    labels::word("clock_state", state, en)
}

/// An action's form as the API's body; a malformed number is a field error.
fn body_of(d: &Draft, lang: crate::http::lang::Lang) -> Result<ActionBody, FormErrors> {
    let text = |s: &str| Some(s.to_string()).filter(|s| !s.trim().is_empty());
    let mut errors = FormErrors::default();
    let mut number = |field: &str, s: &str| -> Option<i64> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        match s.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors
                    .fields
                    .insert(field.to_string(), super::say(lang, "ticket.enter_number"));
                None
            }
        }
    };
    let assignee_id = number("assignee_id", &d.assignee_id);
    let department_id = number("department_id", &d.department_id);
    let working_days = number("working_days", &d.working_days).map(|n| n.clamp(-1, 1_000) as i32);
    let flag = |s: &str| match s {
        "true" | "on" => Some(true),
        "false" => Some(false),
        _ => None,
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ActionBody {
        reason: text(&d.reason),
        question: text(&d.question),
        answer: text(&d.answer),
        resolution: text(&d.resolution),
        opinion: text(&d.opinion),
        note: text(&d.note),
        text: text(&d.text),
        internal: flag(&d.internal),
        reason_public: flag(&d.reason_public),
        assignee_id,
        department_id,
        working_days,
        approve: flag(&d.approve),
        satisfaction: text(&d.satisfaction),
        solved: flag(&d.solved),
        comment: text(&d.comment),
        attachment_ids: d
            .attachment_ids
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect(),
    })
}

/// Takes an action; back to the ticket on success, the form again (with
/// what was typed and why) on failure.
async fn act(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<(i64, String)>,
    form: web::Form<Draft>,
) -> Result<HttpResponse, actix_web::Error> {
    let (id, name) = path.into_inner();
    let draft = form.into_inner();
    check_csrf(&req, &draft.csrf)?;
    act_on(&state, &req, &v, id, &name, draft).await
}

/// Takes the action a form (url-encoded, or multipart with files stored
/// already) asked for.
pub(super) async fn act_on(
    state: &AppState,
    req: &HttpRequest,
    v: &Viewer,
    id: i64,
    name: &str,
    draft: Draft,
) -> Result<HttpResponse, actix_web::Error> {
    let (state, req) = (state, req.clone());
    let c = Chrome::for_viewer(&req, v);
    let lang = c.lang();
    let Some(action_name) = TicketAction::ALL
        .into_iter()
        .map(TicketAction::name)
        .find(|n| *n == name)
    else {
        return Err(PageError::not_found(&req).into());
    };
    let expected = draft.version.trim().parse::<i32>().ok();
    // The body is checked before anyone is asked to confirm it.
    let parsed = match body_of(&draft, lang) {
        Ok(body) => parse_action(&state.db, action_name, body)
            .await
            .map_err(|e| {
                let e = ApiError::from(e);
                (e.kind.status(), FormErrors::of(e, lang))
            }),
        Err(e) => Err((StatusCode::UNPROCESSABLE_ENTITY, e)),
    };
    let asks = CONFIRMED.contains(&action_name) && draft.confirm != "yes";
    let outcome: Result<(), (StatusCode, FormErrors)> = match parsed {
        Ok(_) if asks && draft.confirm == "edit" => Err((StatusCode::OK, FormErrors::default())),
        Ok(_) if asks => {
            return super::ticket_confirm::ask(state, &req, &v.caller, c, id, action_name, &draft)
                .await;
        }
        Ok(action) => {
            let files = state.attachments.step(
                body_of(&draft, lang)
                    .map(|b| b.attachment_ids)
                    .unwrap_or_default(),
            );
            tickets::act_with_files(
                &state.db, &state.sla, &v.caller, id, action, expected, files,
            )
            .await
            .map(drop)
            .map_err(|e| {
                let e = ApiError::from(e);
                (e.kind.status(), FormErrors::of(e, lang))
            })
        }
        Err(e) => Err(e),
    };
    if outcome.is_ok() {
        // The actor's own tabs count afresh, not from a few seconds ago.
        state.tab_counts.forget(v.caller.user_id);
    }
    match outcome {
        Ok(()) if draft.back == "/supervision" => {
            Ok(see_other(&format!("/supervision?done={action_name}")))
        }
        Ok(()) => Ok(see_other(&format!(
            "/tickets/{id}?done={action_name}#timeline"
        ))),
        Err((status, _)) if status == StatusCode::NOT_FOUND => {
            Err(PageError::not_found(&req).into())
        }
        Err((status, _)) if status.is_server_error() => Err(PageError::from_api(
            &req,
            ApiError::new(crate::http::problem::ProblemKind::from_status(status)),
        )
        .into()),
        // A refusal, or back from the confirmation step: the form as typed.
        Err((status, errors)) => {
            let f = Failed {
                action: action_name,
                draft,
                errors,
            };
            let p = build(state, &req, v, c, id, Some(f), None).await?;
            Ok(page(status, p.render()))
        }
    }
}

/// The ticket page with one action's form as it was sent and why it failed.
#[allow(clippy::too_many_arguments)]
pub(super) async fn failed_form(
    state: &AppState,
    req: &HttpRequest,
    v: &Viewer,
    c: Chrome,
    id: i64,
    name: &str,
    draft: Draft,
    errors: FormErrors,
    status: StatusCode,
) -> Result<HttpResponse, actix_web::Error> {
    let Some(action) = TicketAction::ALL
        .into_iter()
        .map(TicketAction::name)
        .find(|n| *n == name)
    else {
        return Err(PageError::not_found(req).into());
    };
    let f = Failed {
        action,
        draft,
        errors,
    };
    let p = build(state, req, v, c, id, Some(f), None).await?;
    Ok(page(status, p.render()))
}
