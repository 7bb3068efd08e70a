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
