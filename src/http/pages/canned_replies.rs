//! 常用语: the department lead's page to add, change and delete the
//! department's canned replies (its staff insert them on ticket pages).
//! Anyone else is refused with a 403 page.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::session::{check_csrf, Viewer};
use super::AppState;
use super::{failed, page, say, see_other, Chrome, FormErrors, PageError};
use crate::domain::access::may_edit_canned_replies;
use crate::http::problem::{ApiError, ProblemKind};
use crate::services::canned_replies::{self, CannedError, Draft};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/desk/replies", web::get().to(show))
        .route("/desk/replies", web::post().to(add))
        .route("/desk/replies/{id}", web::post().to(change))
        .route("/desk/replies/{id}/delete", web::post().to(delete));
}

pub struct Reply {
    pub id: i64,
    pub title: String,
    pub body: String,
    /// The form of this reply came back with errors.
    pub errors: FormErrors,
}

#[derive(Template)]
#[template(path = "canned_replies.html")]
struct RepliesPage {
    c: Chrome,
    replies: Vec<Reply>,
    /// The new reply's form: what was typed and why not.
    new_title: String,
    new_body: String,
    new_errors: FormErrors,
    done: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct ReplyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

#[derive(Debug, Deserialize)]
struct ShowQuery {
    done: Option<String>,
}

/// Only the department's lead comes further.
fn lead_only(req: &HttpRequest, v: &Viewer) -> Result<(), actix_web::Error> {
    let lead = v
        .caller
        .department
        .as_ref()
        .is_some_and(|d| may_edit_canned_replies(&v.caller, d.id));
    if lead {
        Ok(())
    } else {
        Err(forbidden(req))
    }
}

fn forbidden(req: &HttpRequest) -> actix_web::Error {
    PageError::from_api(
        req,
        ApiError::new(ProblemKind::Forbidden).with_detail("desk_ticket.only_lead"),
    )
    .into()
}

async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    q: web::Query<ShowQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    lead_only(&req, &v)?;
    let done = q.done.as_deref().and_then(|d| match d {
        "saved" => Some("desk_ticket.canned_saved"),
        "deleted" => Some("desk_ticket.canned_deleted"),
        _ => None,
    });
    render(&state, &req, &v, None, done, StatusCode::OK).await
}

/// A form that came back: which reply (None: the new one), what was typed, why.
type Returned = (Option<i64>, ReplyForm, FormErrors);

async fn render(
    state: &AppState,
    req: &HttpRequest,
    v: &Viewer,
    returned: Option<Returned>,
    done: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, actix_web::Error> {
    let c = Chrome::for_viewer(req, v);
    let found = canned_replies::of_caller(&state.db, &v.caller)
        .await
        .map_err(|e| settle_error(req, e))?;
    let mut returned = returned;
    let mut replies: Vec<Reply> = found
        .into_iter()
        .map(|r| match returned.take_if(|(id, _, _)| *id == Some(r.id)) {
            Some((_, f, errors)) => Reply {
                id: r.id,
                title: f.title,
                body: f.body,
                errors,
            },
            None => Reply {
                id: r.id,
                title: r.title,
                body: r.body,
                errors: FormErrors::default(),
            },
        })
        .collect();
    replies.sort_by_key(|r| r.errors.is_empty());
    let (new_title, new_body, new_errors) = match returned {
        Some((None, f, e)) => (f.title, f.body, e),
        _ => Default::default(),
    };
    let p = RepliesPage {
        done: done.map(|k| say(c.lang(), k)),
        c,
        replies,
        new_title,
        new_body,
        new_errors,
    };
    Ok(page(status, p.render()))
}

fn settle_error(req: &HttpRequest, e: CannedError) -> actix_web::Error {
    match e {
        CannedError::Forbidden => forbidden(req),
        CannedError::NotFound => PageError::not_found(req).into(),
        CannedError::Storage(s) => failed(req, ApiError::from(s)),
        CannedError::Invalid(_) => failed(req, ApiError::new(ProblemKind::Validation)),
    }
}

async fn save(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    id: Option<i64>,
    form: ReplyForm,
) -> Result<HttpResponse, actix_web::Error> {
    check_csrf(&req, &form.csrf)?;
    lead_only(&req, &v)?;
    let draft = Draft {
        title: form.title.clone(),
        body: form.body.clone(),
    };
    let now = state.sla.now().naive_utc();
    match canned_replies::save(&state.db, &v.caller, id, &draft, now).await {
        Ok(()) => Ok(see_other("/desk/replies?done=saved")),
        Err(CannedError::Invalid(issues)) => {
            let lang = Chrome::for_viewer(&req, &v).lang();
            let errors = FormErrors::of(crate::http::problem::invalid(issues), lang);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render(&state, &req, &v, Some((id, form, errors)), None, status).await
        }
        Err(e) => Err(settle_error(&req, e)),
    }
}

async fn add(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    form: web::Form<ReplyForm>,
) -> Result<HttpResponse, actix_web::Error> {
    save(state, req, v, None, form.into_inner()).await
}

async fn change(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<i64>,
    form: web::Form<ReplyForm>,
) -> Result<HttpResponse, actix_web::Error> {
    save(state, req, v, Some(path.into_inner()), form.into_inner()).await
}

#[derive(Debug, Deserialize)]
struct DeleteForm {
    #[serde(default)]
    csrf: String,
}

async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<i64>,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, actix_web::Error> {
    check_csrf(&req, &form.csrf)?;
    lead_only(&req, &v)?;
    canned_replies::delete(&state.db, &v.caller, path.into_inner())
        .await
        .map_err(|e| settle_error(&req, e))?;
    Ok(see_other("/desk/replies?done=deleted"))
}
