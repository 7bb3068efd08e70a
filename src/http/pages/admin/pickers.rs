//! The pickers of the administrators' forms: a department from the tree
//! (one `<select>`, a group per province, indented by level, that a
//! script can filter as one types) and an enterprise by name or credit
//! code (a text field; the script suggests from `/admin/pickers/enterprises`).
//! Without the script both work: the list is whole, and the server finds
//! the enterprise by what was typed.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::super::AppState;
use super::admin;
use crate::http::pages::session::Viewer;
use crate::http::pages::{failed, say};
use crate::http::problem::ApiError;
use crate::services::pickers::{self, DepartmentGroup};
use crate::words::Lang;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/admin/pickers/enterprises",
        web::get().to(enterprise_suggestions),
    );
}

/// One option of the department picker.
pub struct DepartmentOption {
    pub id: i64,
    /// The name, indented by full-width spaces for its level.
    pub text: String,
    pub selected: bool,
}

pub struct DepartmentOptionGroup {
    pub label: String,
    pub options: Vec<DepartmentOption>,
}

/// The department picker's groups, with `picked` selected.
pub struct DepartmentPicker {
    pub groups: Vec<DepartmentOptionGroup>,
}

impl DepartmentPicker {
    pub fn of(groups: Vec<DepartmentGroup>, picked: Option<i64>, lang: Lang) -> DepartmentPicker {
        DepartmentPicker {
            groups: groups
                .into_iter()
                .map(|g| DepartmentOptionGroup {
                    label: g
                        .province
                        .unwrap_or_else(|| say(lang, "desk_admin.ministry_group")),
                    options: g
                        .choices
                        .into_iter()
                        .map(|d| DepartmentOption {
                            selected: picked == Some(d.id),
                            text: format!("{}{}", "\u{3000}".repeat(d.depth), d.name),
                            id: d.id,
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// The picker as it stands in the database now.
    pub async fn load(
        state: &AppState,
        req: &HttpRequest,
        picked: Option<i64>,
        lang: Lang,
    ) -> Result<DepartmentPicker, actix_web::Error> {
        let groups = pickers::department_groups(&state.db)
            .await
            .map_err(|e| failed(req, ApiError::from(e)))?;
        Ok(DepartmentPicker::of(groups, picked, lang))
    }
}

/// The department field as posted: empty for none, else a chosen id.
pub fn department_field(s: &str) -> Result<Option<i64>, ()> {
    let s = s.trim();
    if s.is_empty() {
        Ok(None)
    } else {
        s.parse().map(Some).map_err(|_| ())
    }
}

#[derive(Debug, Deserialize)]
struct SuggestQuery {
    #[serde(default)]
    q: String,
}

/// Enterprises whose name holds the text, or with that credit code, as
/// JSON for the picker's script.
async fn enterprise_suggestions(
    state: web::Data<AppState>,
    req: HttpRequest,
    v: Viewer,
    q: web::Query<SuggestQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    admin(&req, v)?;
    let found = pickers::enterprise_suggestions(&state.db, &q.q)
        .await
        .map_err(|e| failed(&req, ApiError::from(e)))?;
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(found))
}
