//! The OpenAPI document's frame; paths are collected from the routes.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::problem::{FieldError, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "yizhan 一站",
        description = "Routes enterprises' problem reports to the industry-and-IT \
            departments of county, city, province and ministry. Every error is \
            `application/problem+json` (RFC 9457); titles are in Simplified Chinese \
            unless `Accept-Language` prefers English.",
        license(name = "MIT"),
    ),
    components(schemas(Problem, FieldError)),
    modifiers(&BearerAuth),
    tags(
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "reference", description = "Regions, departments and industry chains (public data)"),
        (name = "auth", description = "Log-in, tokens, the caller's own account"),
        (name = "accounts", description = "Users and enterprises, as far as the caller may see them"),
        (name = "enterprises", description = "Enterprises, as far as the caller's jurisdiction goes"),
        (name = "whitelist", description = "The white list: listings, mutual recognition, the public check"),
        (name = "tickets", description = "Problem reports (诉求工单): filing, the queue, the timeline, actions"),
        (name = "metrics", description = "Supervisors' numbers (三率 and more) for the caller's jurisdiction"),
        (name = "admin", description = "Administration (administrators only; 404 for everyone else)"),
        (name = "attachments", description = "Files on tickets' steps: upload first, then name them in a step's `attachment_ids`"),
        (name = "robots", description = "A department's group robots (WeCom, DingTalk, Feishu): its lead or an administrator"),
        (name = "sms", description = "The mobile number an enterprise receives SMS notices on"),
        (name = "monitoring", description = "Daily monitoring (每日调度): monitoring lists, enterprises' daily reports, the rates of a list, the missing list"),
    )
)]
pub struct ApiDoc;

/// Declares the `bearer` scheme the protected routes name.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Adds the answers every operation of a kind can give, besides those its
/// annotation names: the extractors, middleware and error mapping answer
/// them for every route alike (found by fuzzing the API against this
/// document). An annotation's own description of a status wins.
pub fn complete(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::RefOr;

    unique_operation_ids(&mut doc);

    for (path, item) in doc.paths.paths.iter_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in operations.into_iter().flatten() {
            let mut add = |status: u16, why: &str| {
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| RefOr::T(problem_response(why)));
            };
            if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                add(401, "Missing, invalid or expired access token");
            }
            if op
                .tags
                .as_ref()
                .is_some_and(|t| t.iter().any(|t| t == "admin"))
            {
                add(
                    404,
                    "Not found; also the answer to everyone but administrators",
                );
            }
            let params: Vec<ParameterIn> = op
                .parameters
                .iter()
                .flatten()
                .filter_map(|p| match p {
                    RefOr::T(p) => Some(p.parameter_in.clone()),
                    RefOr::Ref(_) => None,
                })
                .collect();
            if params.contains(&ParameterIn::Path) {
                add(
                    404,
                    "No such resource (or a path segment of the wrong type)",
                );
            }
            if params.contains(&ParameterIn::Query) {
                add(400, "A query parameter cannot be read");
                add(422, "A query parameter is out of range");
            }
            if params.contains(&ParameterIn::Header) {
                add(400, "A header cannot be read");
            }
            if let Some(RefOr::T(body)) = &op.request_body {
                add(
                    400,
                    "The body cannot be read (malformed JSON, or not UTF-8)",
                );
                add(413, "The body is larger than the configured limit");
                if body.content.contains_key("application/json") {
                    add(415, "The body is not sent as application/json");
                    add(422, "A field is missing, of the wrong type, or invalid");
                }
            }
            // Every route that reads the database; the liveness probe and
            // the metrics scrape do not.
            if path != "/healthz" && path != "/metrics" {
                add(503, "The database is unavailable; retry shortly");
            }
            // OpenAPI requires a description of every response: an
            // annotation that gave none gets what its status means.
            for (status, response) in op.responses.responses.iter_mut() {
                if let RefOr::T(r) = response {
                    if r.description.trim().is_empty() {
                        r.description = status_meaning(status).to_string();
                    }
                }
            }
        }
    }
    doc
}

/// Operation ids are the handlers' names, and several areas name a handler
/// `create` or `get`: OpenAPI wants each id once (client generators name
/// their methods by it), so a repeated one is prefixed with its tag.
fn unique_operation_ids(doc: &mut utoipa::openapi::OpenApi) {
    use std::collections::HashMap;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let each = |doc: &mut utoipa::openapi::OpenApi,
                f: &mut dyn FnMut(&mut utoipa::openapi::path::Operation)| {
        for item in doc.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                f(op);
            }
        }
    };
    each(doc, &mut |op| {
        if let Some(id) = &op.operation_id {
            *seen.entry(id.clone()).or_default() += 1;
        }
    });
    each(doc, &mut |op| {
        let Some(id) = op.operation_id.clone() else {
            return;
        };
        if seen.get(&id).copied().unwrap_or(0) > 1 {
            let tag = op
                .tags
                .as_ref()
                .and_then(|t| t.first().cloned())
                .unwrap_or_default();
            op.operation_id = Some(format!("{tag}_{id}"));
        }
    });
}

/// What a status says, for a response described by nothing else.
fn status_meaning(status: &str) -> &'static str {
    match status {
        "200" => "Success",
        "201" => "Created",
        "202" => "Accepted",
        "204" => "Done; no content",
        "303" => "See the resource at Location",
        "304" => "Not modified",
        "400" => "The request cannot be read",
        "401" => "Missing, invalid or expired access token",
        "403" => "Refused",
        "404" => "No such resource, or not the caller's",
        "409" => "Conflicts with the resource's current state",
        "412" => "The resource changed since the version given in If-Match",
        "413" => "The body is larger than the configured limit",
        "415" => "Unsupported media type",
        "422" => "A field is missing, of the wrong type, or invalid",
        "428" => "If-Match is required",
        "429" => "Too many requests; retry after the time given",
        "503" => "Unavailable; retry shortly",
        _ => "See the problem document",
    }
}

fn problem_response(description: &str) -> utoipa::openapi::Response {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// The methods the document gives a concrete path (`/api/v1/tickets/7`),
/// e.g. `GET, POST`; None for a path it does not describe (the web pages).
pub fn allowed_methods(path: &str) -> Option<String> {
    use std::sync::OnceLock;
    static TEMPLATES: OnceLock<Vec<(Vec<String>, Vec<&'static str>)>> = OnceLock::new();
    let templates = TEMPLATES.get_or_init(|| {
        super::openapi_document()
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let methods = [
                    ("GET", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("PATCH", item.patch.is_some()),
                ];
                let segments = template.split('/').map(str::to_string).collect();
                let names = methods.iter().filter(|m| m.1).map(|m| m.0).collect();
                (segments, names)
            })
            .collect()
    });
    let wanted: Vec<&str> = path.split('/').collect();
    let mut allowed: Vec<&str> = Vec::new();
    for (segments, methods) in templates {
        let fits = segments.len() == wanted.len()
            && segments
                .iter()
                .zip(&wanted)
                .all(|(t, w)| t == w || (t.starts_with('{') && t.ends_with('}')));
        if fits {
            for m in methods {
                if !allowed.contains(m) {
                    allowed.push(m);
                }
            }
        }
    }
    (!allowed.is_empty()).then(|| allowed.join(", "))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    /// The document keys schemas by name, and a second type of the same
    /// name silently replaces the first: an endpoint is then described by
    /// another's fields (the monitoring board's `Figures` once replaced the
    /// ticket metrics'). Every type that derives `ToSchema` has a name of
    /// its own, or an `as = ...` that gives it one.
    #[test]
    fn every_schema_has_a_name_of_its_own() {
        fn walk(dir: &Path, found: &mut BTreeMap<String, Vec<String>>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, found);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    let mut pending: Option<Option<String>> = None;
                    for line in text.lines().map(str::trim) {
                        if line.starts_with("#[derive(") && line.contains("ToSchema") {
                            pending = Some(None);
                        } else if let Some(alias) = pending.as_mut() {
                            if let Some(rest) = line.strip_prefix("#[schema(as = ") {
                                *alias = Some(rest.trim_end_matches(")]").to_string());
                            } else if let Some(name) = line
                                .strip_prefix("pub struct ")
                                .or_else(|| line.strip_prefix("pub enum "))
                            {
                                let name: String = name
                                    .chars()
                                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                                    .collect();
                                let key = alias.take().unwrap_or(name);
                                found
                                    .entry(key)
                                    .or_default()
                                    .push(path.display().to_string());
                                pending = None;
                            } else if !line.is_empty()
                                && !line.starts_with("#[")
                                && !line.starts_with("//")
                            {
                                pending = None;
                            }
                        }
                    }
                }
            }
        }
        let mut found = BTreeMap::new();
        walk(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut found,
        );
        assert!(
            found.len() > 50,
            "the scan found too few schemas: {found:?}"
        );
        let twice: Vec<_> = found.iter().filter(|(_, files)| files.len() > 1).collect();
        assert!(twice.is_empty(), "schema names used twice: {twice:?}");
    }
}
