//! The configurable lists: problem categories and industry chains. Each
//! term has a stable code, a name in both languages, and may be retired: a
//! retired term stays on old tickets and in metrics, but is not offered
//! for new ones.

use super::enterprise::{issue, issue_with, FieldIssue};

/// One category or chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub active: bool,
}

impl Term {
    pub fn name(&self, en: bool) -> &str {
        if en {
            &self.name_en
        } else {
            &self.name_zh
        }
    }
}

/// A whole list, in its display order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Terms(pub Vec<Term>);

impl Terms {
    pub fn get(&self, code: &str) -> Option<&Term> {
        self.0.iter().find(|t| t.code == code)
    }

    /// The term's name; a code no list knows shows as itself.
    pub fn label(&self, code: &str, en: bool) -> String {
        self.get(code)
            .map_or_else(|| code.to_string(), |t| t.name(en).to_string())
    }

    /// The terms a new ticket or rule may choose: (code, name).
    pub fn offered(&self, en: bool) -> Vec<(String, String)> {
        self.0
            .iter()
            .filter(|t| t.active)
            .map(|t| (t.code.clone(), t.name(en).to_string()))
            .collect()
    }

    /// Every term, retired ones too, for filters over old tickets.
    pub fn all(&self, en: bool) -> Vec<(String, String)> {
        self.0
            .iter()
            .map(|t| (t.code.clone(), t.name(en).to_string()))
            .collect()
    }
}

/// What a new ticket's category may be.
pub fn choosable_category(terms: &Terms, code: &str) -> Result<(), FieldIssue> {
    match terms.get(code) {
        None => Err(issue("category", "field.no_such_category_choose")),
        Some(t) if !t.active => Err(issue_with(
            "category",
            "field.category_retired",
            [
                ("name_zh", t.name_zh.clone()),
                ("name_en", t.name_en.clone()),
            ],
        )),
        Some(_) => Ok(()),
    }
}

/// An administrator's edit of a term.
#[derive(Debug, Clone, Default)]
pub struct TermInput {
    pub name_zh: String,
    pub name_en: String,
    /// None keeps a term's state (a new one is active).
    pub active: Option<bool>,
}

/// A code: lowercase letters, digits and underscores, starting with a
/// letter, 2 to 40 characters; it is stored on tickets and never changes.
pub fn parse_code(raw: &str) -> Result<String, FieldIssue> {
    let code = raw.trim();
    let ok = (2..=40).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(code.to_string())
    } else {
        Err(issue("code", "field.term_code"))
    }
}

fn name(field: &'static str, raw: &str, issues: &mut Vec<FieldIssue>) -> String {
    let n = raw.trim();
    let chars = n.chars().count();
    if chars == 0 || chars > 40 || super::ticket::has_control_characters(n) {
        issues.push(issue(field, "field.term_name_length"));
    }
    n.to_string()
}

/// The term an edit makes of `code`: both names required; a retired or
/// restored state when given, else `current_active` (true for a new term).
pub fn parse_term(
    code: &str,
    input: &TermInput,
    current_active: Option<bool>,
) -> Result<Term, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let code = parse_code(code).map_err(|i| issues.push(i)).ok();
    let name_zh = name("name_zh", &input.name_zh, &mut issues);
    let name_en = name("name_en", &input.name_en, &mut issues);
    match (code, issues.is_empty()) {
        (Some(code), true) => Ok(Term {
            code,
            name_zh,
            name_en,
            active: input.active.or(current_active).unwrap_or(true),
        }),
        _ => Err(issues),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn terms() -> Terms {
        Terms(vec![
            Term {
                code: "logistics".into(),
                name_zh: "物流运输".into(),
                name_en: "Logistics".into(),
                active: true,
            },
            Term {
                code: "epidemic_control".into(),
                name_zh: "防疫与闭环生产".into(),
                name_en: "Epidemic control".into(),
                active: false,
            },
        ])
    }

    #[test]
    fn retired_terms_keep_their_names_but_are_not_offered() {
        let t = terms();
        assert_eq!(t.label("epidemic_control", false), "防疫与闭环生产");
        assert_eq!(t.label("gone", true), "gone");
        assert_eq!(
            t.offered(false),
            vec![("logistics".into(), "物流运输".into())]
        );
        assert_eq!(t.all(true).len(), 2);
        assert!(choosable_category(&t, "logistics").is_ok());
        let retired = choosable_category(&t, "epidemic_control").unwrap_err();
        assert_eq!(retired.what.key, "field.category_retired");
        assert!(choosable_category(&t, "nope").is_err());
    }

    #[test]
    fn an_edit_needs_both_names_and_keeps_the_state_unless_told() {
        let input = TermInput {
            name_zh: " 新能源 ".into(),
            name_en: "New energy".into(),
            active: None,
        };
        let t = parse_term("new_energy", &input, None).unwrap();
        assert_eq!((t.name_zh.as_str(), t.active), ("新能源", true));
        assert!(
            !parse_term("new_energy", &input, Some(false))
                .unwrap()
                .active
        );
        let blank = TermInput::default();
        let issues = parse_term("New Energy", &blank, None).unwrap_err();
        let fields: Vec<_> = issues.iter().map(|i| i.field).collect();
        assert_eq!(fields, ["code", "name_zh", "name_en"]);
    }

    proptest! {
        #[test]
        fn a_code_that_parses_is_stored_as_given(raw in "[a-z][a-z0-9_]{1,39}") {
            prop_assert_eq!(parse_code(&raw).unwrap(), raw);
        }

        #[test]
        fn codes_with_other_characters_are_refused(raw in "[a-z]{1,10}[A-Z/:@#.-]{1,3}") {
            prop_assert!(parse_code(&raw).is_err());
        }
    }
}
