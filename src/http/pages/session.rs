//! Web sessions: the API's own tokens kept in cookies (HttpOnly,
//! SameSite=Strict, Secure when served over TLS) and renewed with the
//! refresh token when the access token runs out; and a CSRF token on every
//! form: an HMAC of a random session id kept in its own cookie (the signed
//! double-submit pattern), so nothing is stored on the server.

use std::future::Future;
use std::pin::Pin;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{time::Duration as CookieAge, Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use base64::Engine;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;

use super::super::caller::client_address;
use super::super::lang::Lang;
use super::super::AppState;
use crate::domain::access::Caller;
use crate::services::auth::{AuthError, Tokens};
use crate::storage::users::User;

pub const ACCESS: &str = "yz_at";
pub const REFRESH: &str = "yz_rt";
pub const SID: &str = "yz_sid";
pub const LANG: &str = "yz_lang";

/// The language of a page: `?lang=` (remembered in a cookie), the cookie,
/// then `Accept-Language`.
pub fn page_lang(req: &HttpRequest) -> Lang {
    let asked = req
        .query_string()
        .split('&')
        .find_map(|kv| kv.strip_prefix("lang="));
    match asked {
        Some("en") => Lang::En,
        Some("zh") => Lang::Zh,
        _ => match req.cookie(LANG).as_ref().map(Cookie::value) {
            Some("en") => Lang::En,
            Some("zh") => Lang::Zh,
            _ => Lang::from_request(req),
        },
    }
}

/// Cookies to set on the way out, gathered while the request is served.
#[derive(Default, Clone)]
struct Outgoing(Vec<Cookie<'static>>);

fn queue_cookie(req: &HttpRequest, cookie: Cookie<'static>) {
    let mut ext = req.extensions_mut();
    match ext.get_mut::<Outgoing>() {
        Some(out) => out.0.push(cookie),
        None => {
            ext.insert(Outgoing(vec![cookie]));
        }
    }
}

/// Adds the cookies a handler or extractor queued (a renewed session, a
/// new session id, the language) to the response.
pub async fn set_cookies(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let mut res = next.call(req).await?.map_into_boxed_body();
    let out = res.request().extensions().get::<Outgoing>().cloned();
    if let Some(Outgoing(cookies)) = out {
        for c in cookies {
            if let Ok(v) = HeaderValue::from_str(&c.to_string()) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
        }
    }
    Ok(res)
}

/// Served over TLS (directly, or by a proxy the service trusts).
fn over_tls(req: &HttpRequest, trust_proxy: bool) -> bool {
    if trust_proxy {
        req.connection_info().scheme() == "https"
    } else {
        req.app_config().secure()
    }
}

fn cookie(
    req: &HttpRequest,
    name: &'static str,
    value: String,
    age: Option<i64>,
) -> Cookie<'static> {
    let trust = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.settings.server.trust_proxy_headers);
    let mut c = Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(over_tls(req, trust))
        .finish();
    if let Some(secs) = age {
        c.set_max_age(CookieAge::seconds(secs));
    }
    c
}

/// Remembers a language chosen with `?lang=`.
pub fn remember_lang(req: &HttpRequest) {
    let asked = req
        .query_string()
        .split('&')
        .find_map(|kv| kv.strip_prefix("lang="));
    if let Some(l @ ("en" | "zh")) = asked {
        if req.cookie(LANG).as_ref().map(Cookie::value) != Some(l) {
            queue_cookie(req, cookie(req, LANG, l.to_string(), Some(365 * 86_400)));
        }
    }
}

/// Puts a log-in's tokens into cookies; a new session id comes with them.
pub fn start_session(req: &HttpRequest, tokens: &Tokens, user_id: i64) {
    bind_account(req, user_id);
    queue_cookie(
        req,
        cookie(
            req,
            ACCESS,
            tokens.access_token.clone(),
            Some(tokens.access_expires_in),
        ),
    );
    queue_cookie(
        req,
        cookie(
            req,
            REFRESH,
            tokens.refresh_token.clone(),
            Some(tokens.refresh_expires_in),
        ),
    );
    new_sid(req);
}

/// Clears the session's cookies.
pub fn end_session(req: &HttpRequest) {
    for name in [ACCESS, REFRESH, SID] {
        queue_cookie(req, cookie(req, name, String::new(), Some(0)));
    }
}

fn random_sid() -> String {
    let bytes: [u8; 24] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The session id this response leaves in the browser: a new one is
/// queued, and recorded so that forms rendered now use it.
#[derive(Clone)]
struct CurrentSid(String);

fn new_sid(req: &HttpRequest) -> String {
    let sid = random_sid();
    queue_cookie(req, cookie(req, SID, sid.clone(), None));
    req.extensions_mut().insert(CurrentSid(sid.clone()));
    sid
}

fn current_sid(req: &HttpRequest) -> Option<String> {
    if let Some(CurrentSid(s)) = req.extensions().get::<CurrentSid>() {
        return Some(s.clone());
    }
    req.cookie(SID)
        .map(|c| c.value().to_string())
        .filter(|s| !s.is_empty())
}

/// The account whose session this request is served in, once known (a
/// page's viewer, or a log-in that just succeeded): tokens of its forms are
/// bound to it, so a token made for one session (a stranger's, or the
/// browser's before logging in) is no good in another.
#[derive(Clone, Copy)]
struct BoundAccount(i64);

fn bind_account(req: &HttpRequest, user_id: i64) {
    req.extensions_mut().insert(BoundAccount(user_id));
}

fn mac(req: &HttpRequest, sid: &str) -> Option<Hmac<Sha256>> {
    let state = req.app_data::<web::Data<AppState>>()?;
    let mut m =
        Hmac::<Sha256>::new_from_slice(state.settings.auth.jwt_secret.expose_secret().as_bytes())
            .ok()?;
    m.update(b"yizhan csrf ");
    m.update(sid.as_bytes());
    if let Some(BoundAccount(id)) = req.extensions().get::<BoundAccount>().copied() {
        m.update(format!(" account {id}").as_bytes());
    }
    Some(m)
}

/// The CSRF token forms of this response carry (a session id is made if
/// the browser has none yet, e.g. before logging in).
pub fn csrf_token(req: &HttpRequest) -> String {
    let sid = current_sid(req).unwrap_or_else(|| new_sid(req));
    mac(req, &sid)
        .map(|m| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(m.finalize().into_bytes()))
        .unwrap_or_default()
}

/// Whether a form's token belongs to the browser's session id.
pub fn csrf_ok(req: &HttpRequest, token: &str) -> bool {
    let Some(sid) = req
        .cookie(SID)
        .map(|c| c.value().to_string())
        .filter(|s| !s.is_empty())
    else {
        return false;
    };
    let Ok(given) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.trim()) else {
        return false;
    };
    mac(req, &sid).is_some_and(|m| m.verify_slice(&given).is_ok())
}

/// Refuses a form whose token is not this browser's (a stale page, or a
/// form sent from elsewhere) with a page that says so.
pub fn check_csrf(req: &HttpRequest, token: &str) -> Result<(), actix_web::Error> {
    if csrf_ok(req, token) {
        Ok(())
    } else {
        Err(super::PageError::stale_form(req).into())
    }
}

/// A signed-in person looking at pages.
pub struct Viewer {
    pub caller: Caller,
    pub user: User,
    /// Their unread notices inside the application: the header's bell.
    pub unread: i64,
}

/// The signed-in viewer with their unread count (one indexed count; a
/// failure shows no count rather than no page).
async fn viewer(state: &AppState, caller: Caller, user: User) -> Viewer {
    let unread = crate::services::notifications::unread(&state.db, user.id)
        .await
        .unwrap_or(0);
    Viewer {
        caller,
        user,
        unread,
    }
}

/// Not signed in (or the session ended): to the log-in page, and back here after.
#[derive(Debug)]
pub struct LoginRequired {
    next: String,
}

impl std::fmt::Display for LoginRequired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "log-in required")
    }
}

impl ResponseError for LoginRequired {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::SEE_OTHER
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let next: String = url_escape(&self.next);
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/login?next={next}")))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish()
    }
}

/// Percent-encodes everything but unreserved characters and `/`.
pub fn url_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A path on this site to go back to after logging in; anything else
/// (another host, `//evil`) becomes the home page.
pub fn safe_next(next: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    if ok {
        next.to_string()
    } else {
        "/".to_string()
    }
}

impl FromRequest for Viewer {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let next = match req.query_string() {
                "" => req.path().to_string(),
                q => format!("{}?{q}", req.path()),
            };
            let login = || LoginRequired { next: next.clone() };
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(login)?;
            if let Some(access) = req.cookie(ACCESS) {
                match state.auth.authenticate(access.value()).await {
                    Ok((caller, user)) => {
                        bind_account(&req, user.id);
                        return Ok(viewer(&state, caller, user).await);
                    }
                    Err(AuthError::Storage(e)) => {
                        return Err(super::unavailable(&req, &e.to_string()).into())
                    }
                    Err(_) => {}
                }
            }
            // The access token ran out (or is gone): renew with the refresh token.
            let Some(refresh) = req.cookie(REFRESH).map(|c| c.value().to_string()) else {
                return Err(login().into());
            };
            let client = client_address(&req, state.settings.server.trust_proxy_headers);
            match state.auth.renew_session(&refresh, &client).await {
                Ok(renewed) => {
                    let (caller, user) = match state.auth.authenticate(&renewed.access_token).await
                    {
                        Ok(found) => found,
                        Err(AuthError::Storage(e)) => {
                            return Err(super::unavailable(&req, &e.to_string()).into())
                        }
                        Err(_) => return Err(login().into()),
                    };
                    let (access, expires_in) = (renewed.access_token, renewed.access_expires_in);
                    queue_cookie(&req, cookie(&req, ACCESS, access, Some(expires_in)));
                    // None: a concurrent request rotated it and sets the new one.
                    if let Some((refresh, expires_in)) = renewed.refresh {
                        queue_cookie(&req, cookie(&req, REFRESH, refresh, Some(expires_in)));
                    }
                    bind_account(&req, user.id);
                    Ok(viewer(&state, caller, user).await)
                }
                Err(AuthError::Storage(e)) => Err(super::unavailable(&req, &e.to_string()).into()),
                Err(_) => {
                    end_session(&req);
                    Err(login().into())
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_gone_back_to() {
        assert_eq!(safe_next("/tickets/7?x=1"), "/tickets/7?x=1");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next(""), "/");
        assert_eq!(url_escape("/a b?c=d&e"), "/a%20b%3Fc%3Dd%26e");
    }
}
