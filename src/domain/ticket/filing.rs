//! A problem as an enterprise types it, parsed: every field checked at
//! once, as `parse_enterprise` does for an enterprise's record. Whether the
//! category is on the list, and everything about the enterprise, is the
//! service's to check (it needs the database).

use crate::domain::enterprise::{is_county, issue, issue_with, FieldIssue};
use crate::domain::region::RegionCode;
use crate::domain::routing::Urgency;

/// What the filing form or body says.
pub struct FilingInput<'a> {
    pub category: &'a str,
    pub urgency: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub place: Option<&'a str>,
    pub regions_involved: &'a [String],
}

/// A filing whose fields are all well formed.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFiling {
    pub category: String,
    pub urgency: Urgency,
    pub title: String,
    pub description: String,
    /// A county; none: the enterprise's own county.
    pub place: Option<RegionCode>,
    pub involved: Vec<RegionCode>,
}

/// At most this many regions involved besides the place.
pub const MAX_REGIONS_INVOLVED: usize = 20;

fn text(field: &'static str, value: &str, max: usize, issues: &mut Vec<FieldIssue>) -> String {
    let v = value.trim().to_string();
    if v.is_empty() || v.chars().count() > max || super::has_control_characters(&v) {
        issues.push(issue_with(
            field,
            "field.text_required",
            [("max", max.to_string())],
        ));
    }
    v
}

pub fn parse_filing(input: &FilingInput) -> Result<ParsedFiling, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let category = input.category.trim().to_string();
    if category.is_empty() {
        issues.push(issue("category", "field.choose_category"));
    }
    let urgency = Urgency::parse(input.urgency.trim());
    if urgency.is_none() {
        issues.push(issue("urgency", "field.urgency"));
    }
    let title = text("title", input.title, 200, &mut issues);
    let description = text("description", input.description, 5000, &mut issues);
    let place = match input.place.map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => match RegionCode::parse(p).ok().filter(is_county) {
            Some(c) => Some(c),
            None => {
                issues.push(issue("place", "field.place_not_county"));
                None
            }
        },
    };
    let mut involved = Vec::new();
    if input.regions_involved.len() > MAX_REGIONS_INVOLVED {
        issues.push(issue("regions_involved", "field.too_many_regions"));
    }
    for r in input.regions_involved {
        match RegionCode::parse(r) {
            Ok(c) => involved.push(c),
            Err(_) => issues.push(issue_with(
                "regions_involved",
                "field.not_region_code",
                [("code", r.to_string())],
            )),
        }
    }
    match (urgency, issues.is_empty()) {
        (Some(urgency), true) => Ok(ParsedFiling {
            category,
            urgency,
            title,
            description,
            place,
            involved,
        }),
        _ => Err(issues),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(regions: &'a [String]) -> FilingInput<'a> {
        FilingInput {
            category: "logistics",
            urgency: "urgent",
            title: " 货车无法进园区 ",
            description: "卡口不放行。",
            place: Some("310115"),
            regions_involved: regions,
        }
    }

    #[test]
    fn a_well_formed_filing_is_trimmed_and_typed() {
        let p = parse_filing(&input(&["320500".into()])).unwrap();
        assert_eq!(p.title, "货车无法进园区");
        assert_eq!(p.urgency, Urgency::Urgent);
        assert_eq!(p.place.unwrap().as_str(), "310115");
        assert_eq!(p.involved.len(), 1);
    }

    #[test]
    fn every_bad_field_is_said_at_once() {
        let regions = vec!["x".to_string()];
        let bad = FilingInput {
            category: " ",
            urgency: "soon",
            title: "",
            description: "a\u{0}b",
            place: Some("310000"),
            regions_involved: &regions,
        };
        let fields: Vec<&str> = parse_filing(&bad)
            .unwrap_err()
            .iter()
            .map(|i| i.field)
            .collect();
        assert_eq!(
            fields,
            [
                "category",
                "urgency",
                "title",
                "description",
                "place",
                "regions_involved"
            ]
        );
    }
}
