//! Routing rules: the order they are tried in, their conditions, the
//! level they send to; created, changed, reordered (by position) and
//! disabled here as through the API.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::super::AppState;
use super::admin;
use crate::domain::catalogue::Terms;
use crate::http::pages::labels;
use crate::http::pages::session::{check_csrf, page_lang, Viewer};
use crate::http::pages::{
    failed, fill, lang_of, page, say, see_other, Chrome, FormErrors, PageError,
};
use crate::http::problem::ApiError;
use crate::services::routing_rules::{self, RoutingRuleView};
use crate::storage::catalogue::{self, List};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/routing", web::get().to(list))
        .route("/admin/routing", web::post().to(create))
        .route("/admin/routing/{id}", web::post().to(update));
}

/// A rule as its form holds it (all text).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct RuleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub id: i64,
    #[serde(default)]
    pub position: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub enabled: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub urgency: String,
    #[serde(default)]
    pub listed: String,
    #[serde(default)]
    pub chain_code: String,
    #[serde(default)]
    pub reach: String,
    #[serde(default)]
    pub target_level: String,
    #[serde(default)]
    pub sla_policy: String,
    #[serde(default)]
    pub notify_chain_platform: String,
}

impl From<RoutingRuleView> for RuleForm {
    fn from(r: RoutingRuleView) -> Self {
        let s = |v: Option<String>| v.unwrap_or_default();
        RuleForm {
            csrf: String::new(),
            id: r.id,
            position: r.position.to_string(),
            name: r.name,
            enabled: if r.enabled {
                "true".into()
            } else {
                String::new()
            },
            category: s(r.category),
            urgency: s(r.urgency),
            listed: s(r.listed),
            chain_code: s(r.chain_code),
            reach: s(r.reach),
            target_level: r.target_level,
            sla_policy: s(r.sla_policy),
            notify_chain_platform: if r.notify_chain_platform {
                "true".into()
            } else {
                String::new()
            },
        }
    }
}

impl RuleForm {
    /// The level the rule sends to, in words.
    pub fn level_label(&self, en: bool) -> String {
        labels::target_level(&self.target_level, en)
    }

    /// The rule's time-limit policy, in words.
    pub fn policy_label(&self, en: bool) -> String {
        labels::policy_name(&self.sla_policy, en)
    }
}

pub struct RuleShown {
    pub f: RuleForm,
    pub errors: FormErrors,
    pub open: bool,
    /// The conditions in words.
    pub when: String,
}

#[derive(Template)]
#[template(path = "admin_routing.html")]
struct RoutingPage {
    c: Chrome,
    rules: Vec<RuleShown>,
    /// The new-rule form (one).
    new_rule: Vec<RuleShown>,
    categories: Vec<(String, String)>,
    chains: Vec<(String, String)>,
    urgencies: Vec<(&'static str, String)>,
    done: bool,
}

fn words(f: &RuleForm, terms: &(Terms, Terms), en: bool) -> String {
    let mut parts = Vec::new();
    if !f.category.is_empty() {
        parts.push(terms.0.label(&f.category, en));
    }
    if !f.urgency.is_empty() {
        parts.push(labels::urgency(&f.urgency, en));
    }
    if !f.listed.is_empty() {
        parts.push(labels::listed(&f.listed, en));
    }
    if !f.chain_code.is_empty() {
        let name = terms.1.label(&f.chain_code, en);
        parts.push(fill(
            lang_of(en),
            "admin_routing.chain_condition",
            &[("name", &name)],
        ));
    }
    if !f.reach.is_empty() {
        parts.push(labels::reach(&f.reach, en));
    }
    if parts.is_empty() {
        parts.push(say(lang_of(en), "admin_routing.any_ticket"));
    }
    parts.join(" · ")
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

/// The form as the API's rule; a position that is not a number is a field error.
fn view_of(f: &RuleForm, lang: crate::http::lang::Lang) -> Result<RoutingRuleView, FormErrors> {
    let position = f.position.trim().parse::<i32>().map_err(|_| {
        let mut e = FormErrors::default();
        e.fields
            .insert("position".into(), say(lang, "common.enter_whole_number"));
        e
    })?;
    Ok(RoutingRuleView {
        id: f.id,
        position,
        name: f.name.clone(),
        enabled: f.enabled == "true",
        category: opt(&f.category),
        urgency: opt(&f.urgency),
        listed: opt(&f.listed),
        chain_code: opt(&f.chain_code),
        reach: opt(&f.reach),
        target_level: f.target_level.trim().to_string(),
        sla_policy: opt(&f.sla_policy),
        notify_chain_platform: f.notify_chain_platform == "true",
    })
}

async fn render(
    state: &AppState,
    req: &HttpRequest,
    v: &Viewer,
    failed_form: Option<(RuleForm, FormErrors)>,
    status: StatusCode,
    done: bool,
) -> Result<HttpResponse, actix_web::Error> {
    let c = Chrome::for_viewer(req, v);
    let en = c.en;
    let (rows, terms) = state
        .db
        .run(|conn| {
            let terms = (
                catalogue::load(conn, List::Categories)?,
                catalogue::load(conn, List::Chains)?,
            );
            Ok((
                crate::storage::routing_rules::all_routing_rules(conn)?,
                terms,
            ))
        })
        .await
        .map_err(|e| failed(req, ApiError::from(e)))?;
    let mut failed_form = failed_form;
    let rules = rows
        .into_iter()
        .map(|r| {
            let f = RuleForm::from(RoutingRuleView::from(r));
            match failed_form.take_if(|(ff, _)| ff.id == f.id && f.id != 0) {
                Some((ff, errors)) => RuleShown {
                    when: words(&f, &terms, en),
                    f: ff,
                    errors,
                    open: true,
                },
                None => RuleShown {
                    when: words(&f, &terms, en),
                    f,
                    errors: FormErrors::default(),
                    open: false,
                },
            }
        })
        .collect();
    let new_rule = match failed_form {
        Some((f, errors)) => RuleShown {
            when: String::new(),
            f,
            errors,
            open: true,
        },
        None => RuleShown {
            when: String::new(),
            f: RuleForm {
                position: "100".into(),
                enabled: "true".into(),
                target_level: "county".into(),
                ..RuleForm::default()
            },
            errors: FormErrors::default(),
            open: false,
        },
    };
    let p = RoutingPage {
        rules,
        new_rule: vec![new_rule],
        categories: terms.0.all(en),
        chains: terms.1.all(en),
        urgencies: labels::urgencies(en),
        done,
        c,
    };
    Ok(page(status, p.render()))
}

#[derive(Debug, Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    let v = admin(&req, v)?;
    render(&state, &req, &v, None, StatusCode::OK, q.done.is_some()).await
}

async fn save(
    state: &AppState,
    req: &HttpRequest,
    v: &Viewer,
    id: Option<i64>,
    f: RuleForm,
) -> Result<HttpResponse, actix_web::Error> {
    check_csrf(req, &f.csrf)?;
    let lang = page_lang(req);
    let saved = match view_of(&f, lang) {
        Err(errors) => Err((StatusCode::UNPROCESSABLE_ENTITY, errors)),
        Ok(view) => routing_rules::save(&state.db, id, view, state.sla.now())
            .await
            .map_err(|e| {
                let e = ApiError::from(e);
                (e.kind.status(), FormErrors::of(e, lang))
            }),
    };
    match saved {
        Ok(_) => Ok(see_other("/admin/routing?done=1")),
        Err((status, _)) if status.is_server_error() || status == StatusCode::NOT_FOUND => {
            Err(PageError::from_api(
                req,
                ApiError::new(crate::http::problem::ProblemKind::from_status(status)),
            )
            .into())
        }
        Err((status, errors)) => {
            let f = RuleForm {
                id: id.unwrap_or(0),
                ..f
            };
            render(state, req, v, Some((f, errors)), status, false).await
        }
    }
}

async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    f: web::Form<RuleForm>,
) -> Result<HttpResponse, actix_web::Error> {
    let v = admin(&req, v)?;
    save(&state, &req, &v, None, f.into_inner()).await
}

async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<i64>,
    f: web::Form<RuleForm>,
) -> Result<HttpResponse, actix_web::Error> {
    let v = admin(&req, v)?;
    save(&state, &req, &v, Some(path.into_inner()), f.into_inner()).await
}
