//! Who is calling: the bearer token turned into a [`Caller`], and the
//! client's address for throttling and audit.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{web, FromRequest, HttpRequest};

use super::problem::{ApiError, ProblemKind};
use super::AppState;
use crate::domain::access::{may_administer, Caller};
use crate::security::jwt::TokenError;
use crate::services::auth::AuthError;
use crate::storage::users::User;

/// A signed-in caller; extracting it answers 401 without a valid token.
pub struct Authenticated {
    pub caller: Caller,
    pub user: User,
}

pub fn unauthorized(expired: bool) -> ApiError {
    let e = ApiError::new(ProblemKind::Unauthorized);
    if expired {
        e.with_detail("problem.access_token_expired")
    } else {
        e.with_detail("problem.log_in_first")
    }
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

impl FromRequest for Authenticated {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::new(ProblemKind::Internal))?;
            let token = token.ok_or_else(|| unauthorized(false))?;
            match state.auth.authenticate(&token).await {
                Ok((caller, user)) => Ok(Authenticated { caller, user }),
                Err(AuthError::InvalidAccessToken(Some(TokenError::Expired))) => {
                    Err(unauthorized(true).into())
                }
                Err(AuthError::Storage(e)) => Err(ApiError::from(e).into()),
                Err(_) => Err(unauthorized(false).into()),
            }
        })
    }
}

/// A JSON body whose errors the handler raises after checking the caller:
/// extractors resolve concurrently, and a 401 or 404 must win over a 422.
pub type Body<T> = Result<web::Json<T>, actix_web::Error>;

/// A signed-in administrator. To anyone else the route does not exist:
/// 404, decided before the body is read, so nothing about it leaks.
pub struct Admin(pub Authenticated);

impl FromRequest for Admin {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let who = Authenticated::from_request(req, payload);
        let (method, path) = (req.method().clone(), req.path().to_string());
        Box::pin(async move {
            let who = who.await?;
            if may_administer(&who.caller) {
                Ok(Admin(who))
            } else {
                Err(ApiError::not_found_with(
                    "problem.no_such_endpoint",
                    [("method", method.to_string()), ("path", path.to_string())],
                )
                .into())
            }
        })
    }
}

/// The client's address: the peer, or the proxy-reported one when the
/// service is configured to trust its proxy.
pub fn client_address(req: &HttpRequest, trust_proxy_headers: bool) -> String {
    // A proxy appends the address it saw to X-Forwarded-For: the last entry
    // is the proxy's word, the earlier ones are the client's.
    let forwarded = || {
        req.headers()
            .get("x-forwarded-for")?
            .to_str()
            .ok()?
            .rsplit(',')
            .map(str::trim)
            .find(|s| !s.is_empty())
            .map(str::to_string)
    };
    let peer = || req.peer_addr().map(|a| a.ip().to_string());
    let addr = if trust_proxy_headers {
        forwarded().or_else(peer)
    } else {
        peer()
    };
    let addr = addr.unwrap_or_else(|| "unknown".into());
    // `ip:port` from a proxy header: keep the host part.
    match addr.parse::<std::net::SocketAddr>() {
        Ok(sa) => sa.ip().to_string(),
        Err(_) => addr,
    }
}

/// Counts a request against the per-client limit of the public routes
/// (`server.public_check_per_minute`); over it, 429 with `Retry-After`.
pub fn public_limit(
    state: &super::AppState,
    client: &str,
    key: &'static str,
) -> Result<(), super::problem::ApiError> {
    if let Err(wait) = state.check_limiter.check_key(&client.to_string()) {
        let secs = wait
            .wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            ))
            .as_secs()
            .max(1);
        let mut e = super::problem::ApiError::new(super::problem::ProblemKind::TooManyRequests)
            .with_detail(key);
        e.retry_after_secs = Some(secs);
        return Err(e);
    }
    Ok(())
}
