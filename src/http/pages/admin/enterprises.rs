//! Enterprises and the white list: find enterprises, and import either
//! from a spreadsheet (CSV or XLSX), with a dry run that reports every bad
//! row before anything is written.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::StreamExt;
use serde::Deserialize;

use super::super::AppState;
use super::admin;
use crate::http::pages::session::{check_csrf, page_lang, url_escape, Viewer};
use crate::http::pages::{failed, fill, page, say, Chrome, FormErrors, PageError};
use crate::http::problem::ApiError;
use crate::services::enterprises;
use crate::services::imports::{import_enterprises, import_whitelist, read_table, ImportReport};
use crate::storage::catalogue::{self, List};
use crate::storage::enterprises::EnterpriseFilter;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/enterprises", web::get().to(show))
        .route("/admin/enterprises/import", web::post().to(import));
}

pub struct EnterpriseRow {
    pub id: i64,
    pub credit_code: String,
    pub name: String,
    pub county: String,
    pub chains: String,
}

pub struct ReportShown {
    pub kind: String,
    pub dry_run: bool,
    pub applied: bool,
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub errors: Vec<(usize, String, String)>,
    /// (row, credit code, old name, new name) of white-listed enterprises.
    pub renames: Vec<(usize, String, String, String)>,
}

#[derive(Template)]
#[template(path = "admin_enterprises.html")]
struct EnterprisesPage {
    c: Chrome,
    q: String,
    rows: Vec<EnterpriseRow>,
    next: Option<String>,
    report: Option<ReportShown>,
    errors: FormErrors,
}

#[derive(Debug, Default, Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
    cursor: Option<i64>,
}

async fn render(
    state: &AppState,
    req: &HttpRequest,
    v: &Viewer,
    q: SearchQuery,
    report: Option<ReportShown>,
    errors: FormErrors,
    status: StatusCode,
) -> Result<HttpResponse, actix_web::Error> {
    let c = Chrome::for_viewer(req, v);
    const PAGE: i64 = 50;
    let text = q.q.trim().to_string();
    // Eighteen letters and digits look like a credit code; anything else a name.
    let is_code = text.len() == 18 && text.chars().all(|ch| ch.is_ascii_alphanumeric());
    let filter = EnterpriseFilter {
        name: (!text.is_empty() && !is_code).then(|| text.clone()),
        credit_code: is_code.then(|| text.to_uppercase()),
        region_prefix: None,
        chain: None,
        listed: None,
        only_id: None,
        unverified: false,
        after_id: q.cursor,
        limit: PAGE + 1,
    };
    let mut found = enterprises::search(&state.db, &v.caller, filter)
        .await
        .map_err(|e| failed(req, e))?;
    let chain_terms = state
        .db
        .run(|conn| Ok(catalogue::load(conn, List::Chains)?))
        .await
        .map_err(|e| failed(req, ApiError::from(e)))?;
    let next = crate::http::views::paging::next_cursor(&mut found, PAGE, |(e, _)| e.id)
        .map(|n| format!("/admin/enterprises?q={}&cursor={n}", url_escape(&q.q)));
    // Counties by name, not by code.
    let codes: Vec<String> = found.iter().map(|(e, _)| e.county_code.clone()).collect();
    let counties: std::collections::HashMap<String, String> =
        crate::services::reference::regions_with_codes(&state.db, codes)
            .await
            .map_err(|e| failed(req, ApiError::from(e)))?
            .into_iter()
            .map(|r| (r.code, r.name))
            .collect();
    let p = EnterprisesPage {
        q: q.q,
        rows: found
            .into_iter()
            .map(|(e, chains)| EnterpriseRow {
                id: e.id,
                credit_code: e.credit_code,
                name: e.name,
                county: counties
                    .get(&e.county_code)
                    .cloned()
                    .unwrap_or(e.county_code),
                chains: chains
                    .iter()
                    .map(|code| chain_terms.label(code, c.en))
                    .collect::<Vec<_>>()
                    .join(if c.en { ", " } else { "、" }),
            })
            .collect(),
        next,
        report,
        errors,
        c,
    };
    Ok(page(status, p.render()))
}

async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    q: web::Query<SearchQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    let v = admin(&req, v)?;
    render(
        &state,
        &req,
        &v,
        q.into_inner(),
        None,
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// The fields of the upload form.
#[derive(Default)]
struct Upload {
    csrf: String,
    kind: String,
    dry_run: bool,
    allow_renames: bool,
    file: Vec<u8>,
}

async fn read_upload(mut form: Multipart, limit: usize) -> Result<Upload, String> {
    let mut up = Upload::default();
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| e.to_string())?;
        let name = field.name().unwrap_or_default().to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| e.to_string())?;
            if bytes.len() + chunk.len() > limit {
                return Err(format!("larger than {limit} bytes"));
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = || String::from_utf8_lossy(&bytes).trim().to_string();
        match name.as_str() {
            "csrf" => up.csrf = text(),
            "kind" => up.kind = text(),
            "dry_run" => up.dry_run = text() == "true",
            "allow_renames" => up.allow_renames = text() == "true",
            "file" => up.file = bytes,
            _ => {}
        }
    }
    Ok(up)
}

async fn import(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    form: Multipart,
) -> Result<HttpResponse, actix_web::Error> {
    let v = admin(&req, v)?;
    let lang = page_lang(&req);
    let limit = state.settings.server.upload_limit_bytes;
    let again = |errors: FormErrors, status| {
        let (state, req, v) = (&state, &req, &v);
        async move { render(state, req, v, SearchQuery::default(), None, errors, status).await }
    };
    let up = match read_upload(form, limit).await {
        Ok(up) => up,
        Err(why) => {
            let e = FormErrors::general(fill(
                lang,
                "admin_enterprises.file_did_not_arrive",
                &[("why", &why)],
            ));
            return again(e, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    check_csrf(&req, &up.csrf)?;
    if up.file.is_empty() {
        let e = FormErrors::general(say(lang, "admin_enterprises.choose_file_import"));
        return again(e, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let table = match read_table(&up.file) {
        Ok(t) => t,
        Err(e) => {
            let e = ApiError::from(e);
            if e.kind.status().is_server_error() {
                return Err(PageError::from_api(&req, e).into());
            }
            return again(FormErrors::of(e, lang), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let (who, now) = (Some(v.user.id), state.sla.now());
    let report: ImportReport = match up.kind.as_str() {
        "enterprises" => {
            let renames = up.allow_renames;
            import_enterprises(&state.db, table, up.dry_run, renames, who, now, |_| {}).await
        }
        "whitelist" => import_whitelist(&state.db, table, up.dry_run, who, now, |_| {}).await,
        _ => {
            let e = FormErrors::general(say(lang, "admin_enterprises.choose_what_import"));
            return again(e, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    }
    .map_err(|e| failed(&req, ApiError::from(e)))?;
    let en = lang == crate::http::lang::Lang::En;
    let status = if report.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let shown = ReportShown {
        kind: say(
            lang,
            if up.kind == "enterprises" {
                "admin_enterprises.kind_enterprises"
            } else {
                "admin_enterprises.kind_white_list"
            },
        ),
        renames: report
            .renames
            .iter()
            .map(|r| (r.row, r.credit_code.clone(), r.from.clone(), r.to.clone()))
            .collect(),
        dry_run: report.dry_run,
        applied: report.applied(),
        rows: report.rows,
        inserted: report.inserted,
        updated: report.updated,
        unchanged: report.unchanged,
        errors: report
            .errors
            .into_iter()
            .map(|r| {
                let column = crate::services::imports::column_name(&r.column, en);
                (
                    r.row,
                    column,
                    crate::words::phrase(crate::words::lang_of(en), &r.what),
                )
            })
            .collect(),
    };
    render(
        &state,
        &req,
        &v,
        SearchQuery::default(),
        Some(shown),
        FormErrors::default(),
        status,
    )
    .await
}
