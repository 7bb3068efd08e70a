//! A browser without a screen: keeps cookies, reads the CSRF token from
//! the pages it loads, sends forms as a browser does, follows no
//! redirects by itself (tests look at them).

use std::sync::Arc;

use reqwest::cookie::{CookieStore, Jar};

use crate::helpers::{TestApp, PASSWORD};

pub struct Browser {
    pub client: reqwest::Client,
    pub jar: Arc<Jar>,
    base: String,
}

/// A page as loaded: status, where it redirects, and its HTML.
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub html: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Page {
    /// The value of the first hidden input with this name.
    pub fn hidden(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.html.find(&marker)? + marker.len();
        let end = self.html[start..].find('"')? + start;
        Some(self.html[start..end].to_string())
    }

    /// The actions the page offers forms for: `/act/{name}` in form targets.
    pub fn offered_actions(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .html
            .match_indices("/act/")
            .map(|(i, _)| {
                self.html[i + 5..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect()
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(jar.clone())
            .build()
            .unwrap();
        Browser {
            client,
            jar,
            base: app.address.clone(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn page(res: reqwest::Response) -> Page {
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        let headers = res.headers().clone();
        Page {
            status,
            location,
            html: res.text().await.unwrap(),
            headers,
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        Browser::page(self.client.get(self.url(path)).send().await.unwrap()).await
    }

    /// The CSRF token forms of this browser carry (from the log-in page,
    /// which every browser may load).
    /// A form token as the person's pages carry it: from a page of the
    /// signed-in session (tokens are bound to it), or the log-in page.
    pub async fn csrf(&self) -> String {
        let page = if self.cookie("yz_rt").is_some_and(|v| !v.is_empty()) {
            "/account/password"
        } else {
            "/login"
        };
        self.get(page)
            .await
            .hidden("csrf")
            .unwrap_or_else(|| panic!("{page} has a CSRF token"))
    }

    /// Sends a form with this browser's CSRF token added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf().await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &csrf));
        self.post_raw(path, &all).await
    }

    /// Sends a form as given (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        Browser::page(
            self.client
                .post(self.url(path))
                .form(fields)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Logs in through the log-in page with the test password.
    pub async fn login(&self, email: &str) -> Page {
        let p = self
            .post("/login", &[("email", email), ("password", PASSWORD)])
            .await;
        assert_eq!(p.status, 303, "log-in of {email}: {}", p.html);
        p
    }

    /// A cookie's value, if the browser holds it.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let url = self.base.parse().unwrap();
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split("; ")
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_string))
    }

    /// Forgets a cookie (as when it expires).
    pub fn drop_cookie(&self, name: &str) {
        let url = self.base.parse().unwrap();
        self.jar
            .add_cookie_str(&format!("{name}=; Max-Age=0; Path=/"), &url);
    }
}
