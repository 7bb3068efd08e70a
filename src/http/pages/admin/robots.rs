//! 群机器人: a department's WeCom, DingTalk and Feishu group robots, on
//! its settings page: register one, choose its notices, change it, send a
//! test message, remove it. Its lead or an administrator, as
//! `services::robots` allows; to anyone else the page does not exist.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::super::AppState;
use crate::domain::channels::{mask_secret, mask_webhook, RobotInput, RobotService, ROBOT_NOTICES};
use crate::http::pages::session::{check_csrf, Viewer};
use crate::http::pages::{failed, page, say, see_other, Chrome, FormErrors, PageError};
use crate::http::problem::ApiError;
use crate::http::views::robots::service_name;
use crate::services::robots::{self, RobotChange, RobotError};
use crate::storage::robots::Robot;
use crate::words::{fill, lang_of};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/departments/{id}/robots", web::get().to(show))
        .route("/admin/departments/{id}/robots", web::post().to(add))
        .route(
            "/admin/departments/{id}/robots/{robot}",
            web::post().to(change),
        )
        .route(
            "/admin/departments/{id}/robots/{robot}/delete",
            web::post().to(delete),
        )
        .route(
            "/admin/departments/{id}/robots/{robot}/test",
            web::post().to(test),
        );
}

/// A robot's form: as saved, or as typed and refused.
pub struct RobotForm {
    /// None: the new robot's form.
    pub id: Option<i64>,
    /// What its fields' ids end with.
    pub key: String,
    pub service: String,
    pub service_name: String,
    pub name: String,
    /// The saved webhook, masked (the field itself starts empty).
    pub webhook_shown: String,
    pub webhook_typed: String,
    pub secret_shown: Option<String>,
    /// (code, label, chosen).
    pub notices: Vec<(&'static str, &'static str, bool)>,
    pub notice_names: String,
    pub active: bool,
    pub errors: FormErrors,
    /// What a test of this robot gave: (delivered, text).
    pub tested: Option<(bool, String)>,
}

#[derive(Template)]
#[template(path = "admin_robots.html")]
struct RobotsPage {
    c: Chrome,
    department_id: i64,
    department_name: String,
    /// The robots' forms, then the new robot's.
    forms: Vec<RobotForm>,
    /// Whether the department has robots.
    has_robots: bool,
    /// (code, label).
    services: Vec<(&'static str, &'static str)>,
    done: Option<String>,
}

/// The form's pairs, where `notices` repeats.
type Pairs = Vec<(String, String)>;

fn first<'a>(f: &'a Pairs, name: &str) -> &'a str {
    f.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn chosen(f: &Pairs) -> Vec<String> {
    f.iter()
        .filter(|(k, _)| k == "notices")
        .map(|(_, v)| v.clone())
        .collect()
}

fn notice_boxes(chosen: &[String], en: bool) -> Vec<(&'static str, &'static str, bool)> {
    ROBOT_NOTICES
        .iter()
        .map(|n| {
            let code = n.as_str();
            let label = crate::channels::robots::notice_label(*n, lang_of(en));
            (code, label, chosen.iter().any(|c| c == code))
        })
        .collect()
}

fn saved_form(r: &Robot, en: bool) -> RobotForm {
    let chosen: Vec<String> = r
        .notice_list()
        .iter()
        .map(|n| n.as_str().to_string())
        .collect();
    let names: Vec<&str> = r
        .notice_list()
        .iter()
        .map(|n| crate::channels::robots::notice_label(*n, lang_of(en)))
        .collect();
    RobotForm {
        id: Some(r.id),
        key: r.id.to_string(),
        service: r.service.clone(),
        service_name: service_name(&r.service, lang_of(en)).to_string(),
        name: r.name.clone(),
        webhook_shown: mask_webhook(&r.webhook_url),
        webhook_typed: String::new(),
        secret_shown: r.secret.as_deref().map(mask_secret),
        notices: notice_boxes(&chosen, en),
        notice_names: names.join(crate::words::text(lang_of(en), "robots_sms.list_separator")),
        active: r.active,
        errors: FormErrors::default(),
        tested: None,
    }
}

fn new_form(en: bool) -> RobotForm {
    let all: Vec<String> = ROBOT_NOTICES
        .iter()
        .map(|n| n.as_str().to_string())
        .collect();
    RobotForm {
        id: None,
        key: "new".into(),
        service: RobotService::Dingtalk.as_str().into(),
        service_name: String::new(),
        name: String::new(),
        webhook_shown: String::new(),
        webhook_typed: String::new(),
        secret_shown: None,
        notices: notice_boxes(&all, en),
        notice_names: String::new(),
        active: true,
        errors: FormErrors::default(),
        tested: None,
    }
}

/// What came back to the page: the form as typed and why not, or a test's outcome.
enum Returned {
    Form(Option<i64>, Pairs, FormErrors),
    Tested(i64, bool, String),
}

async fn render(
    state: &AppState,
    req: &HttpRequest,
    v: &Viewer,
    id: i64,
    returned: Option<Returned>,
    done: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, actix_web::Error> {
    let found = robots::list(&state.db, &v.caller, id)
        .await
        .map_err(|e| refused(req, e))?;
    let c = Chrome::for_viewer(req, v);
    let en = c.en;
    let mut new = new_form(en);
    let mut rows: Vec<RobotForm> = found.robots.iter().map(|r| saved_form(r, en)).collect();
    match returned {
        Some(Returned::Form(which, f, errors)) => {
            let form = match which {
                None => &mut new,
                Some(rid) => match rows.iter_mut().find(|r| r.id == Some(rid)) {
                    Some(r) => r,
                    None => &mut new,
                },
            };
            form.service = first(&f, "service").to_string();
            form.name = first(&f, "name").to_string();
            form.webhook_typed = first(&f, "webhook_url").to_string();
            form.notices = notice_boxes(&chosen(&f), en);
            form.active = first(&f, "active") == "on";
            form.errors = errors;
        }
        Some(Returned::Tested(rid, ok, said)) => {
            if let Some(r) = rows.iter_mut().find(|r| r.id == Some(rid)) {
                r.tested = Some((ok, said));
            }
        }
        None => {}
    }
    let services = RobotService::ALL
        .iter()
        .map(|s| (s.as_str(), service_name(s.as_str(), lang_of(en))))
        .collect();
    let has_robots = !rows.is_empty();
    rows.push(new);
    let p = RobotsPage {
        c,
        department_id: id,
        department_name: found.department.name,
        forms: rows,
        has_robots,
        services,
        done,
    };
    Ok(page(status, p.render()))
}

fn refused(req: &HttpRequest, e: RobotError) -> actix_web::Error {
    match e {
        RobotError::Storage(s) => failed(req, ApiError::from(s)),
        _ => PageError::not_found(req).into(),
    }
}

#[derive(Debug, serde::Deserialize)]
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
    let lang = Chrome::for_viewer(&req, &v).lang();
    let done = q.done.as_deref().and_then(|d| match d {
        "added" => Some(say(lang, "robots_sms.robot_added")),
        "saved" => Some(say(lang, "robots_sms.robot_saved")),
        "deleted" => Some(say(lang, "robots_sms.robot_deleted")),
        _ => None,
    });
    render(
        &state,
        &req,
        &v,
        path.into_inner(),
        None,
        done,
        StatusCode::OK,
    )
    .await
}

fn change_of(f: &Pairs, new: bool) -> RobotChange {
    // A new robot's empty secret is none; a saved one's empty secret is
    // kept, unless `clear_secret` is ticked.
    let typed = first(f, "secret").trim().to_string();
    let secret = if !typed.is_empty() || new || first(f, "clear_secret") == "on" {
        Some(typed)
    } else {
        None
    };
    RobotChange {
        input: RobotInput {
            service: first(f, "service").to_string(),
            name: first(f, "name").to_string(),
            webhook_url: first(f, "webhook_url").to_string(),
            secret,
            notices: chosen(f),
        },
        active: first(f, "active") == "on",
    }
}

async fn save(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    id: i64,
    robot: Option<i64>,
    f: Pairs,
) -> Result<HttpResponse, actix_web::Error> {
    check_csrf(&req, first(&f, "csrf"))?;
    let change = change_of(&f, robot.is_none());
    let (settings, now) = (&state.settings.robots, state.sla.now());
    let saved = match robot {
        None => robots::create(&state.db, &v.caller, id, change, settings, now)
            .await
            .map(|_| "added"),
        Some(r) => robots::update(&state.db, &v.caller, id, r, change, settings, now)
            .await
            .map(|_| "saved"),
    };
    match saved {
        Ok(done) => Ok(see_other(&format!(
            "/admin/departments/{id}/robots?done={done}"
        ))),
        Err(RobotError::Invalid(issues)) => {
            let lang = Chrome::for_viewer(&req, &v).lang();
            let errors = FormErrors::of(crate::http::problem::invalid(issues), lang);
            let back = Some(Returned::Form(robot, f, errors));
            render(
                &state,
                &req,
                &v,
                id,
                back,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(refused(&req, e)),
    }
}

async fn add(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<i64>,
    f: web::Form<Pairs>,
) -> Result<HttpResponse, actix_web::Error> {
    save(state, req, v, path.into_inner(), None, f.into_inner()).await
}

async fn change(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<(i64, i64)>,
    f: web::Form<Pairs>,
) -> Result<HttpResponse, actix_web::Error> {
    let (id, robot) = path.into_inner();
    save(state, req, v, id, Some(robot), f.into_inner()).await
}

async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<(i64, i64)>,
    f: web::Form<Pairs>,
) -> Result<HttpResponse, actix_web::Error> {
    check_csrf(&req, first(&f, "csrf"))?;
    let (id, robot) = path.into_inner();
    robots::delete(&state.db, &v.caller, id, robot)
        .await
        .map_err(|e| refused(&req, e))?;
    Ok(see_other(&format!(
        "/admin/departments/{id}/robots?done=deleted"
    )))
}

/// Sends a test message and shows the service's answer beside the robot.
async fn test(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<(i64, i64)>,
    f: web::Form<Pairs>,
) -> Result<HttpResponse, actix_web::Error> {
    check_csrf(&req, first(&f, "csrf"))?;
    let (id, robot) = path.into_inner();
    let lang = Chrome::for_viewer(&req, &v).lang();
    let outcome = robots::test(
        &state.db,
        &v.caller,
        id,
        robot,
        &state.settings.robots,
        &state.settings.server.base_url,
        state.sla.now(),
    )
    .await;
    let (ok, said, status) = match outcome {
        Ok(()) => (true, say(lang, "robots_sms.test_delivered"), StatusCode::OK),
        Err(RobotError::TestFailed(why)) => (
            false,
            fill(lang, "robots_sms.test_failed", &[("why", &why)]),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => return Err(refused(&req, e)),
    };
    let back = Some(Returned::Tested(robot, ok, said));
    render(&state, &req, &v, id, back, None, status).await
}
