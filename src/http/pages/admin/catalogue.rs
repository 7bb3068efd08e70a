//! Categories and chains: the administrator adds, renames (both languages),
//! retires and restores them. A refused edit comes back with what was typed
//! and the reason beside the field.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::super::AppState;
use super::admin;
use crate::domain::catalogue::{Term, TermInput};
use crate::http::pages::session::{check_csrf, page_lang, Viewer};
use crate::http::pages::{failed, page, see_other, Chrome, FormErrors, PageError};
use crate::http::problem::ApiError;
use crate::services::catalogue::{self, CatalogueError};
use crate::storage::catalogue::List;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/catalogue", web::get().to(show))
        .route("/admin/catalogue/{list}", web::post().to(add))
        .route("/admin/catalogue/{list}/{code}", web::post().to(change));
}

/// A term's row, or the add form: what the form holds and what was wrong.
pub struct TermForm {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub active: bool,
    pub errors: FormErrors,
}

impl From<Term> for TermForm {
    fn from(t: Term) -> Self {
        TermForm {
            code: t.code,
            name_zh: t.name_zh,
            name_en: t.name_en,
            active: t.active,
            errors: FormErrors::default(),
        }
    }
}

impl TermForm {
    fn blank() -> TermForm {
        TermForm {
            code: String::new(),
            name_zh: String::new(),
            name_en: String::new(),
            active: true,
            errors: FormErrors::default(),
        }
    }
}

/// One list on the page.
pub struct Section {
    /// `categories` or `chains`, as in the forms' addresses.
    pub key: &'static str,
    pub title: &'static str,
    pub hint: &'static str,
    pub rows: Vec<TermForm>,
    pub new_term: TermForm,
}

#[derive(Template)]
#[template(path = "admin_catalogue.html")]
struct CataloguePage {
    c: Chrome,
    sections: Vec<Section>,
    done: bool,
}

fn list_of(key: &str) -> Option<List> {
    match key {
        "categories" => Some(List::Categories),
        "chains" => Some(List::Chains),
        _ => None,
    }
}

/// A refused form to show again: in which list, for which code (none: the
/// add form), with what was typed.
struct Refused {
    list: List,
    code: Option<String>,
    form: TermForm,
}

async fn render(
    state: &AppState,
    req: &HttpRequest,
    v: &Viewer,
    refused: Option<Refused>,
    done: bool,
) -> Result<HttpResponse, actix_web::Error> {
    let c = Chrome::for_viewer(req, v);
    let (categories, chains) = catalogue::both(&state.db)
        .await
        .map_err(|e| failed(req, ApiError::from(e)))?;
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut refused = refused;
    let mut section = |list: List, terms: crate::domain::catalogue::Terms| {
        let mut rows: Vec<TermForm> = terms.0.into_iter().map(TermForm::from).collect();
        let mut new_term = TermForm::blank();
        if let Some(r) = refused.take_if(|r| r.list == list) {
            match r.code {
                Some(code) => {
                    if let Some(row) = rows.iter_mut().find(|t| t.code == code) {
                        *row = r.form;
                    }
                }
                None => new_term = r.form,
            }
        }
        (rows, new_term)
    };
    let (cat_rows, cat_new) = section(List::Categories, categories);
    let (chain_rows, chain_new) = section(List::Chains, chains);
    let p = CataloguePage {
        sections: vec![
            Section {
                key: "categories",
                title: c.t("admin_catalogue.categories"),
                hint: c.t("admin_catalogue.categories_hint"),
                rows: cat_rows,
                new_term: cat_new,
            },
            Section {
                key: "chains",
                title: c.t("admin_catalogue.chains"),
                hint: c.t("admin_catalogue.chains_hint"),
                rows: chain_rows,
                new_term: chain_new,
            },
        ],
        done,
        c,
    };
    Ok(page(status, p.render()))
}

#[derive(Debug, Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    let v = admin(&req, v)?;
    render(&state, &req, &v, None, q.done.is_some()).await
}

#[derive(Debug, Deserialize)]
struct TermFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name_zh: String,
    #[serde(default)]
    name_en: String,
    /// `true` or `false` to restore or retire; empty keeps the state.
    #[serde(default)]
    active: String,
}

async fn save(
    state: &AppState,
    req: &HttpRequest,
    v: &Viewer,
    list: List,
    existing: Option<String>,
    f: TermFields,
) -> Result<HttpResponse, actix_web::Error> {
    check_csrf(req, &f.csrf)?;
    let code = existing
        .clone()
        .unwrap_or_else(|| f.code.trim().to_string());
    let active = match f.active.as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    };
    // Adding a code that exists would silently rename it: say so instead.
    let known = catalogue::terms(&state.db, list)
        .await
        .map_err(|e| failed(req, ApiError::from(e)))?;
    let input = TermInput {
        name_zh: f.name_zh.clone(),
        name_en: f.name_en.clone(),
        active,
    };
    let lang = page_lang(req);
    let taken = existing.is_none() && known.get(&code).is_some();
    let outcome = if taken {
        let mut e = FormErrors::default();
        e.fields.insert(
            "code".into(),
            crate::http::pages::say(lang, "admin_catalogue.code_exists_already"),
        );
        Err(e)
    } else {
        catalogue::save(&state.db, &v.caller, list, &code, input, state.sla.now())
            .await
            .map_err(|e| match e {
                CatalogueError::Invalid(_) => FormErrors::of(ApiError::from(e), lang),
                other => FormErrors::general(ApiError::from(other).to_problem(lang).title),
            })
    };
    match outcome {
        Ok(_) => Ok(see_other("/admin/catalogue?done=1")),
        Err(errors) => {
            let form = TermForm {
                code: code.clone(),
                name_zh: f.name_zh,
                name_en: f.name_en,
                active: active
                    .or_else(|| known.get(&code).map(|t| t.active))
                    .unwrap_or(true),
                errors,
            };
            let refused = Refused {
                list,
                code: existing,
                form,
            };
            render(state, req, v, Some(refused), false).await
        }
    }
}

async fn add(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<String>,
    f: web::Form<TermFields>,
) -> Result<HttpResponse, actix_web::Error> {
    let v = admin(&req, v)?;
    let Some(list) = list_of(&path.into_inner()) else {
        return Err(PageError::not_found(&req).into());
    };
    save(&state, &req, &v, list, None, f.into_inner()).await
}

async fn change(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    path: web::Path<(String, String)>,
    f: web::Form<TermFields>,
) -> Result<HttpResponse, actix_web::Error> {
    let v = admin(&req, v)?;
    let (key, code) = path.into_inner();
    let Some(list) = list_of(&key) else {
        return Err(PageError::not_found(&req).into());
    };
    let known = catalogue::terms(&state.db, list)
        .await
        .map_err(|e| failed(&req, ApiError::from(e)))?;
    if known.get(&code).is_none() {
        return Err(PageError::not_found(&req).into());
    }
    save(&state, &req, &v, list, Some(code), f.into_inner()).await
}
