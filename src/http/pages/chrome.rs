//! What every page's frame needs: the language, the CSRF token for its
//! forms, who is signed in and where they may go; and the errors a form
//! shows next to its fields.

use std::collections::BTreeMap;

use actix_web::HttpRequest;

use super::session::{csrf_token, page_lang, remember_lang, Viewer};
use crate::domain::role::Role;
use crate::http::lang::Lang;
use crate::http::problem::ApiError;

pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

pub struct SignedIn {
    pub name: String,
    pub role: &'static str,
    pub nav: Vec<NavLink>,
    /// Unread notices, and the bell's label saying so.
    pub unread: i64,
    pub bell_label: String,
}

pub struct Chrome {
    pub en: bool,
    pub csrf: String,
    pub user: Option<SignedIn>,
    /// The same page in the other language.
    pub switch_href: String,
    /// For administrators: the year whose work calendar is missing.
    pub calendar_missing: Option<i32>,
}

/// The pages a role works in: (path, catalogue key of its name).
fn nav_of(role: Role) -> &'static [(&'static str, &'static str)] {
    match role {
        Role::Enterprise => &[
            ("/portal", "nav.portal"),
            ("/tickets/new", "nav.tickets_new"),
            ("/join-requests", "nav.join_requests"),
            ("/account/sms", "robots_sms.nav_sms"),
            ("/daily", "daily.nav_report"),
        ],
        Role::Officer => &[
            ("/workbench", "nav.workbench"),
            ("/supervision", "nav.supervision"),
            ("/verifications", "nav.verifications"),
            ("/monitoring", "daily.nav_board"),
        ],
        Role::Lead => &[
            ("/workbench", "nav.workbench"),
            ("/supervision", "nav.supervision"),
            ("/verifications", "nav.verifications"),
            ("/admin/departments", "nav.admin_departments"),
            ("/monitoring", "daily.nav_board"),
        ],
        Role::Supervisor => &[
            ("/dashboard", "nav.dashboard"),
            ("/supervision", "nav.supervision"),
            ("/workbench", "nav.tickets"),
            ("/monitoring", "daily.nav_board"),
        ],
        Role::Admin => &[
            ("/admin/users", "nav.admin_users"),
            ("/admin/departments", "nav.departments"),
            ("/admin/enterprises", "nav.admin_enterprises"),
            ("/admin/sla", "nav.admin_sla"),
            ("/admin/routing", "nav.admin_routing"),
            ("/admin/catalogue", "nav.admin_catalogue"),
            ("/admin/delivery", "nav.admin_mail"),
        ],
    }
}

pub fn role_label(role: Role, en: bool) -> &'static str {
    let lang = if en { Lang::En } else { Lang::Zh };
    crate::words::text(lang, &format!("role.{}", role.as_str()))
}

/// A role's first page.
pub fn home_of(role: Role) -> &'static str {
    nav_of(role)[0].0
}

/// The bell's accessible name: 「通知，3 条未读」.
pub fn bell_label(lang: Lang, unread: i64) -> String {
    crate::words::fill(lang, "desk_notices.bell_label", &[("n", &unread)])
}

fn switch_href(req: &HttpRequest, lang: Lang) -> String {
    let other = if lang == Lang::En { "zh" } else { "en" };
    let mut query: Vec<&str> = req
        .query_string()
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("lang="))
        .collect();
    let lang_kv = format!("lang={other}");
    query.push(&lang_kv);
    format!("{}?{}", req.path(), query.join("&"))
}

impl Chrome {
    /// The frame for someone not signed in (log-in, registration, links
    /// from e-mails).
    pub fn public(req: &HttpRequest) -> Chrome {
        remember_lang(req);
        let lang = page_lang(req);
        Chrome {
            en: lang == Lang::En,
            csrf: csrf_token(req),
            user: None,
            switch_href: switch_href(req, lang),
            calendar_missing: None,
        }
    }

    pub fn for_viewer(req: &HttpRequest, v: &Viewer) -> Chrome {
        let mut c = Chrome::public(req);
        let en = c.en;
        let path = req.path();
        c.user = Some(SignedIn {
            name: v.user.display_name.clone(),
            role: role_label(v.caller.role, en),
            nav: nav_of(v.caller.role)
                .iter()
                .map(|(href, key)| NavLink {
                    href,
                    label: c.t(key),
                    current: path == *href || (path.starts_with(href) && href.len() > 1),
                })
                .collect(),
            unread: v.unread,
            bell_label: bell_label(c.lang(), v.unread),
        });
        if v.caller.role == Role::Admin {
            c.calendar_missing = req
                .app_data::<actix_web::web::Data<super::AppState>>()
                .and_then(|s| s.sla.missing_calendar_year());
        }
        c
    }

    /// An error page's frame: no forms, so no session id is made for it.
    pub fn bare(lang: Lang) -> Chrome {
        Chrome {
            en: lang == Lang::En,
            csrf: String::new(),
            user: None,
            switch_href: format!("/?lang={}", if lang == Lang::En { "zh" } else { "en" }),
            calendar_missing: None,
        }
    }

    pub fn lang(&self) -> Lang {
        if self.en {
            Lang::En
        } else {
            Lang::Zh
        }
    }

    /// The catalogue's text of a key, in the page's language.
    pub fn t(&self, key: &str) -> &'static str {
        crate::words::text(self.lang(), key)
    }

    /// The catalogue's text of a key with its one placeholder filled in.
    pub fn with(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        crate::words::fill(self.lang(), key, &[(name, &value)])
    }
}

/// A form's errors: for the form as a whole, and by field.
#[derive(Default)]
pub struct FormErrors {
    pub general: Vec<String>,
    pub fields: BTreeMap<String, String>,
}

impl FormErrors {
    pub fn is_empty(&self) -> bool {
        self.general.is_empty() && self.fields.is_empty()
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    pub fn general(text: String) -> FormErrors {
        FormErrors {
            general: vec![text],
            fields: BTreeMap::new(),
        }
    }

    /// A service's refusal, worded for the page: field errors by field,
    /// the rest for the form.
    pub fn of(e: ApiError, lang: Lang) -> FormErrors {
        let problem = e.to_problem(lang);
        let mut out = FormErrors::default();
        for f in problem.errors {
            out.fields
                .entry(f.field)
                .and_modify(|m| {
                    m.push(' ');
                    m.push_str(&f.message);
                })
                .or_insert(f.message);
        }
        if out.fields.is_empty() {
            out.general.push(problem.detail.unwrap_or(problem.title));
        }
        out
    }
}

/// One labelled input of a form built in code (registration, admin forms).
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub value: String,
    /// The input's type: `text`, `email`, `tel`, `number`, `date`, ...
    pub kind: &'static str,
    pub required: bool,
    pub hint: &'static str,
}

impl Field {
    pub fn new(name: &'static str, label: &'static str, value: impl Into<String>) -> Field {
        Field {
            name,
            label,
            value: value.into(),
            kind: "text",
            required: false,
            hint: "",
        }
    }

    pub fn kind(mut self, kind: &'static str) -> Field {
        self.kind = kind;
        self
    }

    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }

    pub fn hint(mut self, hint: &'static str) -> Field {
        self.hint = hint;
        self
    }
}
