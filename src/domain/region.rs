//! Regions of the GB/T 2260 tree and the departments that serve them.
//!
//! Codes are prefix-structured (`31` province, `3101` prefecture, `310115`
//! county), padded to six digits. Some prefecture rows are nominal: the
//! municipalities' `市辖区`/`县` rows and the provinces' "directly administered
//! county-level" rows have no department of their own; their counties report
//! to the province department. Three prefectures without counties (东莞, 中山,
//! 儋州) carry a county row with the city's own code, served by the city.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A six-digit region code, e.g. `310115`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct RegionCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionCodeError {
    #[error("a region code has 6 digits, got {0} characters")]
    Length(usize),
    #[error("a region code has only digits, got `{0}`")]
    NotDigits(String),
}

impl RegionCode {
    /// Parses a 6-digit code; 2- and 4-digit forms are padded (`31` -> `310000`).
    pub fn parse(s: &str) -> Result<RegionCode, RegionCodeError> {
        let s = s.trim();
        if !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(RegionCodeError::NotDigits(s.chars().take(16).collect()));
        }
        match s.len() {
            2 => Ok(RegionCode(format!("{s}0000"))),
            4 => Ok(RegionCode(format!("{s}00"))),
            6 => Ok(RegionCode(s.to_string())),
            n => Err(RegionCodeError::Length(n)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The code of the province this code lies in.
    pub fn province(&self) -> RegionCode {
        RegionCode(format!("{}0000", &self.0[..2]))
    }

    /// The code of the prefecture this code lies in.
    pub fn city(&self) -> RegionCode {
        RegionCode(format!("{}00", &self.0[..4]))
    }

    /// The code prefix shared by everything inside the region, judged by its
    /// zeros: `310000` -> `31`, `310100` -> `3101`, `310115` -> `310115`.
    pub fn subtree_prefix(&self) -> &str {
        if self.0.ends_with("0000") {
            &self.0[..2]
        } else if self.0.ends_with("00") {
            &self.0[..4]
        } else {
            &self.0
        }
    }

    /// Whether `other` lies inside the region this code names at `level`.
    pub fn contains(&self, level: RegionLevel, other: &RegionCode) -> bool {
        let n = match level {
            RegionLevel::Province => 2,
            RegionLevel::City => 4,
            RegionLevel::County => 6,
        };
        self.0[..n] == other.0[..n]
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for RegionCode {
    type Err = RegionCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RegionCode::parse(s)
    }
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "lowercase")]
pub enum RegionLevel {
    Province,
    City,
    County,
}

impl RegionLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            RegionLevel::Province => "province",
            RegionLevel::City => "city",
            RegionLevel::County => "county",
        }
    }

    pub fn parse(s: &str) -> Option<RegionLevel> {
        match s {
            "province" => Some(RegionLevel::Province),
            "city" => Some(RegionLevel::City),
            "county" => Some(RegionLevel::County),
            _ => None,
        }
    }
}

/// Municipalities directly under the central government: 北京, 天津, 上海, 重庆.
pub fn is_municipality(province: &RegionCode) -> bool {
    matches!(&province.as_str()[..2], "11" | "12" | "31" | "50")
}

/// Prefecture rows that stand for no real city government.
pub fn is_nominal_city_name(name: &str) -> bool {
    matches!(
        name,
        "市辖区" | "县" | "省直辖县级行政区划" | "自治区直辖县级行政区划"
    )
}

/// The kinds of department: one per level of the tree, the ministry at the
/// root, and the ministry's industry-chain coordination desks.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum DepartmentKind {
    Ministry,
    Province,
    City,
    County,
    ChainPlatform,
}

impl DepartmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DepartmentKind::Ministry => "ministry",
            DepartmentKind::Province => "province",
            DepartmentKind::City => "city",
            DepartmentKind::County => "county",
            DepartmentKind::ChainPlatform => "chain_platform",
        }
    }

    pub fn parse(s: &str) -> Option<DepartmentKind> {
        match s {
            "ministry" => Some(DepartmentKind::Ministry),
            "province" => Some(DepartmentKind::Province),
            "city" => Some(DepartmentKind::City),
            "county" => Some(DepartmentKind::County),
            "chain_platform" => Some(DepartmentKind::ChainPlatform),
            _ => None,
        }
    }
}

impl From<RegionLevel> for DepartmentKind {
    fn from(level: RegionLevel) -> Self {
        match level {
            RegionLevel::Province => DepartmentKind::Province,
            RegionLevel::City => DepartmentKind::City,
            RegionLevel::County => DepartmentKind::County,
        }
    }
}

/// One region as a person names it among the regions a problem involves:
/// `吴中区`, `朝阳区（长春市）` (the places above it in brackets, to tell
/// apart regions of one name), or its six-digit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionAsked {
    /// As written, for the message when it names none or several.
    pub written: String,
    pub name: String,
    /// The names above it that were given (`吉林省`, `长春市`).
    pub within: Vec<String>,
}

impl RegionAsked {
    /// A six-digit code rather than a name.
    pub fn code(&self) -> Option<&str> {
        (self.within.is_empty()
            && self.name.len() == 6
            && self.name.bytes().all(|b| b.is_ascii_digit()))
        .then_some(self.name.as_str())
    }

    /// Whether a region named `name` under the places `above` (its
    /// province's and city's names) is the one asked for: the name as
    /// written, or written without its last character (`吴中` for `吴中区`),
    /// and every place given in brackets one of those above it.
    pub fn fits(&self, name: &str, above: &[&str]) -> bool {
        let named = name == self.name
            || (self.name.chars().count() >= 2
                && name.starts_with(&self.name)
                && name.chars().count() == self.name.chars().count() + 1);
        named
            && self.within.iter().all(|w| {
                above.iter().any(|a| {
                    *a == w
                        || (a.starts_with(w.as_str()) && a.chars().count() == w.chars().count() + 1)
                })
            })
    }
}

/// Splits what was typed into the regions it names, separated by `、`,
/// commas or spaces outside brackets.
pub fn split_region_names(text: &str) -> Vec<RegionAsked> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    for ch in text.chars() {
        match ch {
            '（' | '(' => {
                depth += 1;
                current.push(ch);
            }
            '）' | ')' => {
                depth = depth.saturating_sub(1);
                current.push(ch);
            }
            '、' | '，' | ',' | '；' | ';' if depth == 0 => {
                parts.push(std::mem::take(&mut current))
            }
            c if c.is_whitespace() && depth == 0 => parts.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    parts.push(current);
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .map(|written| {
            let (name, within) = match written.find(['（', '(']) {
                Some(open) => {
                    let inner = written[open..]
                        .trim_start_matches(['（', '('])
                        .trim_end_matches(['）', ')']);
                    (
                        written[..open].trim().to_string(),
                        inner.split_whitespace().map(str::to_string).collect(),
                    )
                }
                None => (written.clone(), Vec::new()),
            };
            RegionAsked {
                written,
                name,
                within,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_pads_codes() {
        assert_eq!(RegionCode::parse("31").unwrap().as_str(), "310000");
        assert_eq!(RegionCode::parse("3101").unwrap().as_str(), "310100");
        assert_eq!(RegionCode::parse(" 310115 ").unwrap().as_str(), "310115");
        assert_eq!(
            RegionCode::parse("3101150"),
            Err(RegionCodeError::Length(7))
        );
        assert!(matches!(
            RegionCode::parse("31a115"),
            Err(RegionCodeError::NotDigits(_))
        ));
    }

    #[test]
    fn containment_follows_the_prefix() {
        let pudong = RegionCode::parse("310115").unwrap();
        let shanghai = RegionCode::parse("310000").unwrap();
        let nanjing = RegionCode::parse("320100").unwrap();
        assert!(shanghai.contains(RegionLevel::Province, &pudong));
        assert!(!nanjing.contains(RegionLevel::City, &pudong));
        assert_eq!(pudong.province(), shanghai);
        assert_eq!(pudong.city().as_str(), "310100");
        assert_eq!(shanghai.subtree_prefix(), "31");
        assert_eq!(pudong.city().subtree_prefix(), "3101");
        assert_eq!(pudong.subtree_prefix(), "310115");
    }

    #[test]
    fn municipalities_and_nominal_rows() {
        assert!(is_municipality(&RegionCode::parse("500000").unwrap()));
        assert!(!is_municipality(&RegionCode::parse("440000").unwrap()));
        assert!(is_nominal_city_name("市辖区"));
        assert!(is_nominal_city_name("省直辖县级行政区划"));
        assert!(!is_nominal_city_name("东莞市"));
    }

    proptest! {
        #[test]
        fn any_six_digits_parse_and_lie_in_their_own_province(code in "[0-9]{6}") {
            let c = RegionCode::parse(&code).unwrap();
            prop_assert_eq!(c.as_str(), code.as_str());
            prop_assert!(c.province().contains(RegionLevel::Province, &c));
            prop_assert!(c.city().contains(RegionLevel::City, &c));
        }

        #[test]
        fn anything_else_is_refused(s in "\\PC{0,12}") {
            let ok = s.trim().chars().all(|c| c.is_ascii_digit()) && [2, 4, 6].contains(&s.trim().len());
            prop_assert_eq!(RegionCode::parse(&s).is_ok(), ok);
        }
    }

    #[test]
    fn region_names_split_and_fit_as_people_write_them() {
        let asked = super::split_region_names("吴中区、朝阳区（吉林省 长春市）, 320506 浦东");
        let names: Vec<&str> = asked.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["吴中区", "朝阳区", "320506", "浦东"]);
        assert_eq!(asked[1].within, ["吉林省", "长春市"]);
        assert_eq!(asked[2].code(), Some("320506"));
        assert_eq!(asked[0].code(), None);
        assert!(asked[0].fits("吴中区", &["江苏省", "苏州市"]));
        assert!(
            !asked[3].fits("浦东新区", &["上海市"]),
            "two characters short is not a name"
        );
        assert!(super::split_region_names("吴中")[0].fits("吴中区", &["江苏省", "苏州市"]));
        assert!(asked[1].fits("朝阳区", &["吉林省", "长春市"]));
        assert!(!asked[1].fits("朝阳区", &["北京市"]));
        assert!(
            super::split_region_names("朝阳区（长春）")[0].fits("朝阳区", &["吉林省", "长春市"])
        );
        assert!(super::split_region_names(" 、 ,").is_empty());
    }
}
