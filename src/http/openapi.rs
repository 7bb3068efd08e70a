//! The OpenAPI document's frame; paths are collected from the routes.

use utoipa::OpenApi;

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
    tags(
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "reference", description = "Regions, departments and industry chains (public data)"),
    )
)]
pub struct ApiDoc;
