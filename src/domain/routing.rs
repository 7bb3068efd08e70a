//! Routing: which level of department a new ticket goes to. Rules are data
//! (ordered, first match wins); with no match, the county of the place.

use super::region::{RegionCode, RegionLevel};

/// The problem categories a fresh database starts with (migration 20 loads
/// them; administrators then keep the list, see [`super::catalogue`]).
pub const CATEGORIES: [(&str, &str); 10] = [
    ("worker_return", "员工返岗"),
    ("logistics", "物流运输"),
    ("parts_supply", "零部件供应"),
    ("raw_materials", "原材料保供"),
    ("epidemic_control", "防疫与闭环生产"),
    ("energy", "能源保障"),
    ("funding", "资金融资"),
    ("policy", "政策咨询兑现"),
    ("customs", "进出口通关"),
    ("other", "其他"),
];

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Urgency {
    Normal,
    Urgent,
    Critical,
}

impl Urgency {
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Normal => "normal",
            Urgency::Urgent => "urgent",
            Urgency::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Urgency> {
        match s {
            "normal" => Some(Urgency::Normal),
            "urgent" => Some(Urgency::Urgent),
            "critical" => Some(Urgency::Critical),
            _ => None,
        }
    }
}

/// The level a rule sends a ticket to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum TargetLevel {
    County,
    City,
    Province,
    Ministry,
}

impl TargetLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetLevel::County => "county",
            TargetLevel::City => "city",
            TargetLevel::Province => "province",
            TargetLevel::Ministry => "ministry",
        }
    }

    pub fn parse(s: &str) -> Option<TargetLevel> {
        match s {
            "county" => Some(TargetLevel::County),
            "city" => Some(TargetLevel::City),
            "province" => Some(TargetLevel::Province),
            "ministry" => Some(TargetLevel::Ministry),
            _ => None,
        }
    }

    /// The region whose department receives a ticket placed in `county`.
    pub fn region_for(self, county: &RegionCode) -> Option<(RegionCode, RegionLevel)> {
        match self {
            TargetLevel::County => Some((county.clone(), RegionLevel::County)),
            TargetLevel::City => Some((county.city(), RegionLevel::City)),
            TargetLevel::Province => Some((county.province(), RegionLevel::Province)),
            TargetLevel::Ministry => None,
        }
    }
}

/// How the white list must match for a rule to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListedMatch {
    /// On any list.
    Any,
    /// On the national list.
    National,
    /// On a provincial list.
    Provincial,
}

/// Whether the regions involved reach beyond the place's city or province.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    OutsideCity,
    OutsideProvince,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingRule {
    pub id: i64,
    pub name: String,
    pub category: Option<String>,
    pub urgency: Option<Urgency>,
    pub listed: Option<ListedMatch>,
    pub chain: Option<String>,
    pub reach: Option<Reach>,
    pub target: TargetLevel,
    /// A stricter SLA policy to apply, by name.
    pub sla_policy: Option<String>,
    /// Tell the chain platforms of the enterprise's chains.
    pub notify_chain_platform: bool,
}

/// What routing knows about a new ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingInput {
    pub category: String,
    pub urgency: Urgency,
    pub place: RegionCode,
    pub regions_involved: Vec<RegionCode>,
    pub national_listed: bool,
    pub provincial_listed: bool,
    pub chains: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingDecision {
    /// The rule that matched; none when the default (the county) applies.
    pub rule_id: Option<i64>,
    pub target: TargetLevel,
    pub sla_policy: Option<String>,
    pub notify_chain_platform: bool,
    /// Why, for the event log.
    pub reason: String,
}

fn reaches(input: &RoutingInput, reach: Reach) -> bool {
    input.regions_involved.iter().any(|r| match reach {
        Reach::OutsideCity => r.as_str()[..4] != input.place.as_str()[..4],
        Reach::OutsideProvince => r.as_str()[..2] != input.place.as_str()[..2],
    })
}

fn matches(rule: &RoutingRule, input: &RoutingInput) -> bool {
    rule.category.as_ref().is_none_or(|c| *c == input.category)
        && rule.urgency.is_none_or(|u| u == input.urgency)
        && rule.chain.as_ref().is_none_or(|c| input.chains.contains(c))
        && rule.reach.is_none_or(|r| reaches(input, r))
        && rule.listed.is_none_or(|l| match l {
            ListedMatch::Any => input.national_listed || input.provincial_listed,
            ListedMatch::National => input.national_listed,
            ListedMatch::Provincial => input.provincial_listed,
        })
}

/// The first enabled rule that matches (rules come in their order), else the county.
pub fn route(rules: &[RoutingRule], input: &RoutingInput) -> RoutingDecision {
    match rules.iter().find(|r| matches(r, input)) {
        Some(rule) => RoutingDecision {
            rule_id: Some(rule.id),
            target: rule.target,
            sla_policy: rule.sla_policy.clone(),
            notify_chain_platform: rule.notify_chain_platform,
            reason: format!("rule {} “{}”", rule.id, rule.name),
        },
        None => RoutingDecision {
            rule_id: None,
            target: TargetLevel::County,
            sla_policy: None,
            notify_chain_platform: false,
            reason: "default: the county of the place".into(),
        },
    }
}

/// The rules every new installation starts with (domain spec section 5).
pub fn default_rules() -> Vec<RoutingRule> {
    vec![
        RoutingRule {
            id: 1,
            name: "跨省物流由省级部门办理".into(),
            category: Some("logistics".into()),
            urgency: None,
            listed: None,
            chain: None,
            reach: Some(Reach::OutsideProvince),
            target: TargetLevel::Province,
            sla_policy: None,
            notify_chain_platform: false,
        },
        RoutingRule {
            id: 2,
            name: "全国白名单企业特急诉求由市级部门办理并通知产业链平台".into(),
            category: None,
            urgency: Some(Urgency::Critical),
            listed: Some(ListedMatch::National),
            chain: None,
            reach: None,
            target: TargetLevel::City,
            sla_policy: None,
            notify_chain_platform: true,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    fn input() -> RoutingInput {
        RoutingInput {
            category: "worker_return".into(),
            urgency: Urgency::Normal,
            place: code("310115"),
            regions_involved: vec![],
            national_listed: false,
            provincial_listed: false,
            chains: vec![],
        }
    }

    #[test]
    fn the_county_by_default() {
        let d = route(&default_rules(), &input());
        assert_eq!((d.rule_id, d.target), (None, TargetLevel::County));
    }

    #[test]
    fn cross_province_logistics_goes_to_the_province() {
        let mut i = input();
        i.category = "logistics".into();
        i.regions_involved = vec![code("320102")];
        let d = route(&default_rules(), &i);
        assert_eq!((d.rule_id, d.target), (Some(1), TargetLevel::Province));
        // Within the province it stays local.
        i.regions_involved = vec![code("310101")];
        assert_eq!(route(&default_rules(), &i).target, TargetLevel::County);
    }

    #[test]
    fn critical_national_listed_goes_to_the_city_and_the_platform() {
        let mut i = input();
        i.urgency = Urgency::Critical;
        i.national_listed = true;
        let d = route(&default_rules(), &i);
        assert_eq!(
            (d.rule_id, d.target, d.notify_chain_platform),
            (Some(2), TargetLevel::City, true)
        );
        i.national_listed = false;
        i.provincial_listed = true;
        assert_eq!(route(&default_rules(), &i).rule_id, None);
    }

    #[test]
    fn target_regions() {
        let pudong = code("310115");
        assert_eq!(
            TargetLevel::City.region_for(&pudong),
            Some((code("310100"), RegionLevel::City))
        );
        assert_eq!(
            TargetLevel::Province.region_for(&pudong),
            Some((code("310000"), RegionLevel::Province))
        );
        assert_eq!(TargetLevel::Ministry.region_for(&pudong), None);
    }

    proptest! {
        #[test]
        fn the_first_matching_rule_wins(n in 0usize..5, cat in prop::sample::select(CATEGORIES.iter().map(|c| c.0.to_string()).collect::<Vec<_>>())) {
            // n catch-all rules in front: the first of them always wins.
            let mut rules: Vec<RoutingRule> = (0..n)
                .map(|k| RoutingRule { id: 100 + k as i64, name: format!("r{k}"), target: TargetLevel::Ministry, ..default_rules()[0].clone() })
                .map(|mut r| { r.category = None; r.reach = None; r })
                .collect();
            rules.extend(default_rules());
            let mut i = input();
            i.category = cat;
            let d = route(&rules, &i);
            if n > 0 {
                prop_assert_eq!(d.rule_id, Some(100));
            } else {
                prop_assert!(d.rule_id.is_none() || d.rule_id == Some(1));
            }
        }
    }
}
