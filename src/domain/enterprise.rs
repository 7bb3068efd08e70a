//! The enterprise record and the white list, as values that parse.
//! The same rules serve the API, the web forms and bulk imports.

use std::collections::HashSet;
use std::sync::OnceLock;

use chrono::NaiveDate;

use super::credit_code::{CreditCode, CreditCodeError};
use super::email::{Email, EmailError};
use super::region::{RegionCode, RegionLevel};
use super::words::Phrase;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnterpriseSize {
    Large,
    Medium,
    Small,
    Micro,
}

impl EnterpriseSize {
    pub fn as_str(self) -> &'static str {
        match self {
            EnterpriseSize::Large => "large",
            EnterpriseSize::Medium => "medium",
            EnterpriseSize::Small => "small",
            EnterpriseSize::Micro => "micro",
        }
    }

    /// `large` or `大` / `大型` / `大型企业`, and so on.
    pub fn parse(s: &str) -> Option<EnterpriseSize> {
        let s = s.trim().to_lowercase();
        let s = s.trim_end_matches("企业").trim_end_matches('型');
        match s {
            "large" | "大" => Some(EnterpriseSize::Large),
            "medium" | "中" => Some(EnterpriseSize::Medium),
            "small" | "小" => Some(EnterpriseSize::Small),
            "micro" | "微" => Some(EnterpriseSize::Micro),
            _ => None,
        }
    }
}

/// A problem with one field: the field and what is wrong with it, as a
/// key of the word catalogues (`field.*`) with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldIssue {
    pub field: &'static str,
    pub what: Phrase,
}

/// A problem with a field, told by a catalogue key without placeholders.
pub fn issue(field: &'static str, key: &'static str) -> FieldIssue {
    FieldIssue {
        field,
        what: Phrase::new(key),
    }
}

/// A problem with a field, told by a catalogue key and its placeholders'
/// values.
pub fn issue_with<const N: usize>(
    field: &'static str,
    key: &'static str,
    args: [(&'static str, String); N],
) -> FieldIssue {
    FieldIssue {
        field,
        what: Phrase::with(key, args),
    }
}

/// The county codes of the division tree compiled into the binary.
pub fn is_county(code: &RegionCode) -> bool {
    static COUNTIES: OnceLock<HashSet<String>> = OnceLock::new();
    COUNTIES
        .get_or_init(|| {
            crate::seed::reference_plan()
                .regions
                .into_iter()
                .filter(|r| r.level == RegionLevel::County)
                .map(|r| r.code.to_string())
                .collect()
        })
        .contains(code.as_str())
}

/// An enterprise record whose every field is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnterpriseRecord {
    pub credit_code: CreditCode,
    pub name: String,
    pub county: RegionCode,
    pub address: String,
    pub chains: Vec<String>,
    pub size: Option<EnterpriseSize>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
}

/// The raw fields of an enterprise, as typed or read from a file.
#[derive(Debug, Clone, Default)]
pub struct EnterpriseInput {
    pub credit_code: String,
    pub name: String,
    pub county_code: String,
    pub address: String,
    /// Chain codes or Chinese names, separated by `;`, `、`, `,` or `|`.
    pub chains: String,
    pub size: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
}

fn optional(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// A department's desk phone from a settings form: blank removes it.
pub fn desk_phone(p: &str) -> Result<Option<String>, FieldIssue> {
    let p = p.trim();
    if p.is_empty() {
        return Ok(None);
    }
    if valid_phone(p) {
        Ok(Some(p.to_string()))
    } else {
        Err(issue("phone", "field.desk_phone_invalid"))
    }
}

/// A phone number for people who may not call it: the first three and
/// the last four digits kept, the rest starred (`138****5678`).
pub fn mask_phone(p: &str) -> String {
    let digits = p.chars().filter(char::is_ascii_digit).count();
    let mut seen = 0;
    p.chars()
        .map(|c| {
            if !c.is_ascii_digit() {
                return c;
            }
            seen += 1;
            if seen <= 3 || seen > digits.saturating_sub(4) {
                c
            } else {
                '*'
            }
        })
        .collect()
}

pub fn valid_phone(p: &str) -> bool {
    let digits = p.chars().filter(char::is_ascii_digit).count();
    (5..=20).contains(&digits) && p.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c))
}

/// Resolves chain codes or names against the known chains: (code, zh name).
pub fn parse_chains(raw: &str, known: &[(String, String)]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for part in raw
        .split([';', '；', ',', '，', '、', '|'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let found = known
            .iter()
            .find(|(code, zh)| code.eq_ignore_ascii_case(part) || zh == part)
            .map(|(code, _)| code.clone());
        match found {
            Some(code) if !out.contains(&code) => out.push(code),
            Some(_) => {}
            None => return Err(part.to_string()),
        }
    }
    Ok(out)
}

/// Checks every field; returns the record or every problem found.
/// `waive_checksum` accepts a code whose check character is wrong (an
/// administrator's explicit decision).
pub fn parse_enterprise(
    input: &EnterpriseInput,
    known_chains: &[(String, String)],
    waive_checksum: bool,
) -> Result<(EnterpriseRecord, bool), Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let mut waived = false;
    let code = match CreditCode::parse_lenient(&input.credit_code) {
        Ok((c, Ok(()))) => Some(c),
        Ok((c, Err(_))) if waive_checksum => {
            waived = true;
            Some(c)
        }
        Ok((_, Err(e))) | Err(e) => {
            issues.push(credit_code_issue(&e));
            None
        }
    };
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 {
        issues.push(issue("name", "field.enterprise_name_length"));
    }
    let county = RegionCode::parse(&input.county_code).ok().filter(is_county);
    if county.is_none() {
        issues.push(issue_with(
            "county_code",
            "field.not_county_code",
            [("code", input.county_code.trim().to_string())],
        ));
    }
    let address = input.address.trim().to_string();
    if address.chars().count() > 300 {
        issues.push(issue("address", "field.address_too_long"));
    }
    let chains = parse_chains(&input.chains, known_chains).unwrap_or_else(|unknown| {
        issues.push(issue_with(
            "chains",
            "field.no_such_chain",
            [("chain", unknown.to_string())],
        ));
        Vec::new()
    });
    let size = match optional(&input.size) {
        None => None,
        Some(s) => EnterpriseSize::parse(&s).or_else(|| {
            issues.push(issue("size", "field.enterprise_size"));
            None
        }),
    };
    let contact_name = optional(&input.contact_name);
    if contact_name
        .as_ref()
        .is_some_and(|n| n.chars().count() > 50)
    {
        issues.push(issue("contact_name", "field.contact_name_too_long"));
    }
    let contact_phone = optional(&input.contact_phone);
    if contact_phone.as_deref().is_some_and(|p| !valid_phone(p)) {
        issues.push(issue("contact_phone", "field.contact_phone_invalid"));
    }
    let contact_email = match optional(&input.contact_email) {
        None => None,
        Some(e) => match Email::parse(&e) {
            Ok(e) => Some(e.to_string()),
            Err(_) => {
                issues.push(issue("contact_email", "field.contact_email_invalid"));
                None
            }
        },
    };
    match (code, county, issues.is_empty()) {
        (Some(credit_code), Some(county), true) => Ok((
            EnterpriseRecord {
                credit_code,
                name,
                county,
                address,
                chains,
                size,
                contact_name,
                contact_phone,
                contact_email,
            },
            waived,
        )),
        _ => Err(issues),
    }
}

pub fn credit_code_issue(e: &CreditCodeError) -> FieldIssue {
    let field = "credit_code";
    match e {
        CreditCodeError::Length(n) => {
            issue_with(field, "field.credit_code_length", [("n", n.to_string())])
        }
        CreditCodeError::Character { position, found } => issue_with(
            field,
            "field.credit_code_character",
            [
                ("position", position.to_string()),
                ("found", found.to_string()),
            ],
        ),
        CreditCodeError::Region(r) => issue_with(
            field,
            "field.credit_code_region",
            [("found", r.to_string())],
        ),
        CreditCodeError::Checksum { expected, found } => issue_with(
            field,
            "field.credit_code_checksum",
            [
                ("expected", expected.to_string()),
                ("found", found.to_string()),
            ],
        ),
    }
}

/// What is wrong with an e-mail address.
pub fn email_issue(field: &'static str, e: &EmailError) -> FieldIssue {
    let key = match e {
        EmailError::Empty => "field.email_required",
        EmailError::TooLong => "field.email_too_long",
        EmailError::Malformed => "field.email_invalid",
    };
    issue(field, key)
}

/// Which list an entry belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum WhitelistScope {
    /// The ministry's national list.
    National,
    /// A province's own list, by the province's code.
    Province(RegionCode),
}

impl WhitelistScope {
    /// `national` / `全国`, or a province code (`31`, `310000`).
    pub fn parse(s: &str) -> Option<WhitelistScope> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("national") || t == "全国" || t == "国家" {
            return Some(WhitelistScope::National);
        }
        let code = RegionCode::parse(t).ok()?;
        (code.province() == code && is_province(&code)).then_some(WhitelistScope::Province(code))
    }

    pub fn as_string(&self) -> String {
        match self {
            WhitelistScope::National => "national".into(),
            WhitelistScope::Province(c) => c.to_string(),
        }
    }
}

fn is_province(code: &RegionCode) -> bool {
    static PROVINCES: OnceLock<HashSet<String>> = OnceLock::new();
    PROVINCES
        .get_or_init(|| {
            crate::seed::reference_plan()
                .regions
                .into_iter()
                .filter(|r| r.level == RegionLevel::Province)
                .map(|r| r.code.to_string())
                .collect()
        })
        .contains(code.as_str())
}

/// A white-list row as read from a file.
#[derive(Debug, Clone, Default)]
pub struct WhitelistInput {
    pub credit_code: String,
    pub scope: String,
    pub batch: String,
    pub listed_on: String,
    pub chain: String,
    pub note: String,
    pub removed_on: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhitelistRecord {
    pub credit_code: CreditCode,
    pub scope: WhitelistScope,
    pub batch: i32,
    pub listed_on: NaiveDate,
    pub chain: Option<String>,
    pub note: Option<String>,
    pub removed_on: Option<NaiveDate>,
}

/// `2022-04-18`, `2022/4/18` or `2022年4月18日`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let t = s
        .trim()
        .replace(['年', '月', '/', '.'], "-")
        .replace('日', "");
    NaiveDate::parse_from_str(&t, "%Y-%m-%d").ok()
}

pub fn parse_whitelist(
    input: &WhitelistInput,
    known_chains: &[(String, String)],
) -> Result<WhitelistRecord, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let code = CreditCode::parse(&input.credit_code)
        .map_err(|e| issues.push(credit_code_issue(&e)))
        .ok();
    let scope = WhitelistScope::parse(&input.scope);
    if scope.is_none() {
        issues.push(issue("scope", "field.list_scope"));
    }
    let batch = input
        .batch
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|b| (1..=1000).contains(b));
    if batch.is_none() {
        issues.push(issue("batch", "field.list_batch"));
    }
    let listed_on = parse_date(&input.listed_on);
    if listed_on.is_none() {
        issues.push(issue("listed_on", "field.listed_on_format"));
    }
    let removed_on = match optional(&input.removed_on) {
        None => None,
        Some(d) => match parse_date(&d) {
            Some(date) if listed_on.is_none_or(|l| date >= l) => Some(date),
            _ => {
                issues.push(issue("removed_on", "field.removed_on_format"));
                None
            }
        },
    };
    let chain = match parse_chains(&input.chain, known_chains) {
        Ok(list) if list.len() <= 1 => list.into_iter().next(),
        Ok(_) => {
            issues.push(issue("chain", "field.one_chain_per_entry"));
            None
        }
        Err(unknown) => {
            issues.push(issue_with(
                "chain",
                "field.no_such_chain",
                [("chain", unknown.to_string())],
            ));
            None
        }
    };
    let note = optional(&input.note);
    if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        issues.push(issue("note", "field.note_too_long"));
    }
    match (code, scope, batch, listed_on, issues.is_empty()) {
        (Some(credit_code), Some(scope), Some(batch), Some(listed_on), true) => {
            Ok(WhitelistRecord {
                credit_code,
                scope,
                batch,
                listed_on,
                chain,
                note,
                removed_on,
            })
        }
        _ => Err(issues),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_phone_keeps_its_ends() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("0512-6688 1234"), "051*-**** 1234");
        assert_eq!(mask_phone("12345"), "12345");
    }

    fn chains() -> Vec<(String, String)> {
        vec![
            ("automotive".into(), "汽车".into()),
            ("integrated_circuits".into(), "集成电路".into()),
        ]
    }

    fn good() -> EnterpriseInput {
        EnterpriseInput {
            credit_code: "91310115591693856a".into(),
            name: " 上海某汽车零部件有限公司 ".into(),
            county_code: "310115".into(),
            chains: "汽车、integrated_circuits".into(),
            size: "中型".into(),
            contact_email: "Li@Example.cn".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_row_parses_and_normalises() {
        let (r, waived) = parse_enterprise(&good(), &chains(), false).unwrap();
        assert!(!waived);
        assert_eq!(r.credit_code.as_str(), "91310115591693856A");
        assert_eq!(r.name, "上海某汽车零部件有限公司");
        assert_eq!(r.chains, ["automotive", "integrated_circuits"]);
        assert_eq!(r.size, Some(EnterpriseSize::Medium));
        assert_eq!(r.contact_email.as_deref(), Some("li@example.cn"));
    }

    #[test]
    fn every_bad_field_is_reported() {
        let bad = EnterpriseInput {
            credit_code: "91310115591693856B".into(),
            name: "".into(),
            county_code: "310100".into(),
            chains: "钢铁".into(),
            size: "huge".into(),
            contact_phone: "call me".into(),
            contact_email: "nope".into(),
            ..Default::default()
        };
        let issues = parse_enterprise(&bad, &chains(), false).unwrap_err();
        let fields: Vec<&str> = issues.iter().map(|i| i.field).collect();
        assert_eq!(
            fields,
            [
                "credit_code",
                "name",
                "county_code",
                "chains",
                "size",
                "contact_phone",
                "contact_email"
            ]
        );
        assert_eq!(issues[0].what.key, "field.credit_code_checksum");
        assert_eq!(issues[0].what.arg("expected"), Some("A"));
    }

    #[test]
    fn a_waived_checksum_is_reported_back() {
        let mut input = good();
        input.credit_code = "91310115591693856B".into();
        let (_, waived) = parse_enterprise(&input, &chains(), true).unwrap();
        assert!(waived);
    }

    #[test]
    fn white_list_rows() {
        let row = WhitelistInput {
            credit_code: "91310115591693856A".into(),
            scope: "全国".into(),
            batch: "2".into(),
            listed_on: "2022年4月18日".into(),
            chain: "汽车".into(),
            ..Default::default()
        };
        let r = parse_whitelist(&row, &chains()).unwrap();
        assert_eq!(r.scope, WhitelistScope::National);
        assert_eq!(r.listed_on, NaiveDate::from_ymd_opt(2022, 4, 18).unwrap());
        assert_eq!(r.chain.as_deref(), Some("automotive"));
        assert_eq!(
            WhitelistScope::parse("31"),
            Some(WhitelistScope::Province(
                RegionCode::parse("310000").unwrap()
            ))
        );
        assert_eq!(WhitelistScope::parse("310115"), None);
        assert_eq!(WhitelistScope::parse("990000"), None);
        let bad = WhitelistInput {
            scope: "310115".into(),
            batch: "0".into(),
            listed_on: "soon".into(),
            ..row
        };
        let fields: Vec<&str> = parse_whitelist(&bad, &chains())
            .unwrap_err()
            .iter()
            .map(|i| i.field)
            .collect();
        assert_eq!(fields, ["scope", "batch", "listed_on"]);
    }
}
