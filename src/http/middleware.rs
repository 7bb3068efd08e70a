//! The one middleware every request passes: request id, tracing span, one log
//! line, metrics, and the final rendering of problem details.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing::Instrument;

use super::lang::Lang;
use super::problem::{problem_response, ApiError, ProblemKind, PROBLEM_JSON};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the request being served, in the request's extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// A caller-supplied id is kept if it is short, printable ASCII.
fn accepted_request_id(value: &HeaderValue) -> Option<String> {
    let s = value.to_str().ok()?.trim();
    let ok = !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| s.to_string())
}

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(accepted_request_id)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let method_label = method_label(req.method());
    let method = req.method().to_string();
    let path = req.path().to_string();
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
    let lang = Lang::from_request(req.request());
    let span = tracing::info_span!("request", request_id = %request_id, %method, %path);

    // Cloning the request before routing would stop actix from routing it,
    // so an error that escapes the services is only logged and counted here.
    let result = next.call(req).instrument(span.clone()).await;
    let status = match &result {
        Ok(res) => res.status().as_u16(),
        Err(e) => e.as_response_error().status_code().as_u16(),
    };
    record(
        &span,
        (&method, method_label),
        &path,
        route,
        status,
        started,
    );
    let mut res = render_problem(result?.map_into_boxed_body(), lang, &request_id);
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    protective_headers(res.headers_mut(), status);
    Ok(res)
}

/// The method as a metric label: from a closed set, since every distinct
/// label value is a new time series kept for the life of the process and any
/// client may invent method names.
fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// One log line and the request metrics. `route` is the matched route's
/// template (or `unmatched`), never the raw path.
fn record(
    span: &tracing::Span,
    (method, method_label): (&str, &'static str),
    path: &str,
    route: String,
    status: u16,
    started: Instant,
) {
    let elapsed = started.elapsed();
    let labels = [
        ("method", method_label.to_string()),
        ("route", route),
        ("status", status.to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
    span.in_scope(|| {
        let latency_ms = elapsed.as_secs_f64() * 1000.0;
        if status >= 500 {
            tracing::error!(%method, %path, status, latency_ms, "request served");
        } else {
            tracing::info!(%method, %path, status, latency_ms, "request served");
        }
    });
}

/// Headers every response carries: no content sniffing; a 401 names the
/// scheme it wants (RFC 9110 §11.6.1).
fn protective_headers(headers: &mut header::HeaderMap, status: u16) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if status == 401 && !headers.contains_key(header::WWW_AUTHENTICATE) {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"yizhan\""),
        );
    }
}

/// Renders an [`ApiError`] in the caller's language; turns any other error
/// response under `/api/` (e.g. actix's bare 405) into problem details too.
fn render_problem(
    res: ServiceResponse<BoxBody>,
    lang: Lang,
    request_id: &str,
) -> ServiceResponse<BoxBody> {
    let api_error = res.response().extensions().get::<ApiError>().cloned();
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == PROBLEM_JSON.as_bytes());
    let error = match api_error {
        Some(e) => e,
        None if res.status().as_u16() >= 400
            && !is_problem
            && res.request().path().starts_with("/api/") =>
        {
            ApiError::new(ProblemKind::from_status(res.status()))
        }
        None => return res,
    };
    let mut problem = error.to_problem(lang);
    problem.status = res.status().as_u16();
    problem.instance = Some(res.request().path().to_string());
    problem.request_id = Some(request_id.to_string());
    let (req, mut old) = res.into_parts();
    let mut fresh = problem_response(&problem, error.retry_after_secs);
    // Keep what a handler or inner middleware attached (`body_limit` holds
    // the request body there) and its decision to close the connection.
    let attached = std::mem::take(&mut *old.extensions_mut());
    fresh.extensions_mut().extend(attached);
    if old.head().connection_type() == actix_web::http::ConnectionType::Close {
        fresh
            .head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
    }
    // Keep headers a handler set (Allow, Retry-After, ...), not its body.
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            fresh.headers_mut().insert(name.clone(), value.clone());
        }
    }
    ServiceResponse::new(req, fresh)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_from_callers_are_bounded() {
        let ok = HeaderValue::from_static("abc-123");
        assert_eq!(accepted_request_id(&ok).as_deref(), Some("abc-123"));
        let long = HeaderValue::from_str(&"a".repeat(129)).unwrap();
        assert_eq!(accepted_request_id(&long), None);
        let spaced = HeaderValue::from_static("a b");
        assert_eq!(accepted_request_id(&spaced), None);
    }

    #[test]
    fn method_labels_come_from_a_closed_set() {
        use actix_web::http::Method;
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::TRACE), "other");
        let invented = Method::from_bytes(b"FOO123").unwrap();
        assert_eq!(method_label(&invented), "other");
    }
}
