//! Reference data compiled into the binary, and the plan that turns it into
//! rows: the national division tree (NBS 2023 edition), the default industry
//! chains, one department per region plus the ministry and its chain
//! platforms, and the holiday calendar. Pure code: `storage::reference`
//! writes the plan.

use crate::domain::region::{
    is_municipality, is_nominal_city_name, DepartmentKind, RegionCode, RegionLevel,
};
use std::collections::HashMap;

pub mod demo;

const PROVINCES_CSV: &str = include_str!("regions/provinces.csv");
const CITIES_CSV: &str = include_str!("regions/cities.csv");
const AREAS_CSV: &str = include_str!("regions/areas.csv");
const HOLIDAYS_CSV: &str = include_str!("holidays/cn_holidays.csv");

/// Public holidays and make-up workdays of 2019-2026 (State Council notices):
/// the calendar a fresh installation starts with.
pub fn marked_days() -> Vec<crate::domain::calendar::MarkedDay> {
    crate::domain::calendar::parse_marked_days(HOLIDAYS_CSV)
        .expect("the embedded holiday data is a valid calendar file")
}

/// [`marked_days`] as the calendar takes them.
pub fn holidays() -> Vec<(chrono::NaiveDate, crate::domain::calendar::DayKind)> {
    marked_days()
        .into_iter()
        .map(|d| (d.date, d.kind))
        .collect()
}

/// The ministry's department, the root of the tree.
pub const MINISTRY_NAME: &str = "工业和信息化部";

/// Default industry chains: (code, Chinese name, English name).
pub const DEFAULT_CHAINS: [(&str, &str, &str); 8] = [
    ("automotive", "汽车", "Automotive"),
    ("integrated_circuits", "集成电路", "Integrated circuits"),
    ("medical_supplies", "医疗物资", "Medical supplies"),
    ("biomedicine", "生物医药", "Biomedicine"),
    ("equipment", "装备制造", "Equipment manufacturing"),
    ("consumer_electronics", "消费电子", "Consumer electronics"),
    ("farm_supplies", "农用物资", "Farm supplies"),
    ("food", "食品", "Food"),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedRegion {
    pub code: RegionCode,
    pub level: RegionLevel,
    pub name: String,
    pub parent_code: Option<RegionCode>,
    pub province_code: RegionCode,
    /// A prefecture row with no government of its own, or the county row of
    /// a prefecture without counties: served by the department above.
    pub nominal: bool,
    /// Id of the department serving the region (see [`ReferencePlan`]).
    pub department_id: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedDepartment {
    pub id: i64,
    pub kind: DepartmentKind,
    pub name: String,
    pub region: Option<(RegionCode, RegionLevel)>,
    pub chain_code: Option<String>,
    pub parent_id: Option<i64>,
    /// Ids from the root down to this department: `/1/12/345/`.
    pub path: String,
}

#[derive(Debug, Clone)]
pub struct ReferencePlan {
    pub regions: Vec<SeedRegion>,
    pub departments: Vec<SeedDepartment>,
}

struct Row {
    code: String,
    name: String,
    parent: Option<String>,
}

fn read_rows(csv_text: &str, parent_column: Option<usize>) -> Vec<Row> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.expect("embedded region data is valid CSV");
            Row {
                code: r[0].to_string(),
                name: r[1].to_string(),
                parent: parent_column.map(|c| r[c].to_string()),
            }
        })
        .collect()
}

fn code(s: &str) -> RegionCode {
    RegionCode::parse(s).expect("embedded region codes are valid")
}

/// Builds the reference plan. Department ids are assigned in a fixed order
/// (ministry, chain platforms, provinces, cities, counties), so every fresh
/// database gets the same ids on either backend.
pub fn reference_plan() -> ReferencePlan {
    let provinces = read_rows(PROVINCES_CSV, None);
    let cities = read_rows(CITIES_CSV, Some(2));
    let areas = read_rows(AREAS_CSV, Some(2));

    let mut departments = Vec::new();
    let mut next_id = 1i64;
    let mut add = |kind, name: String, region, chain_code, parent: Option<&SeedDepartment>| {
        let id = next_id;
        next_id += 1;
        let path = match parent {
            Some(p) => format!("{}{id}/", p.path),
            None => format!("/{id}/"),
        };
        SeedDepartment {
            id,
            kind,
            name,
            region,
            chain_code,
            parent_id: parent.map(|p| p.id),
            path,
        }
    };

    let ministry = add(
        DepartmentKind::Ministry,
        MINISTRY_NAME.into(),
        None,
        None,
        None,
    );
    departments.push(ministry.clone());
    for (chain, zh, _) in DEFAULT_CHAINS {
        let d = add(
            DepartmentKind::ChainPlatform,
            format!("{zh}产业链供应链协调平台"),
            None,
            Some(chain.to_string()),
            Some(&ministry),
        );
        departments.push(d);
    }

    let mut regions = Vec::new();
    // Department serving each province / prefecture, by padded code.
    let mut province_dept: HashMap<RegionCode, SeedDepartment> = HashMap::new();
    let mut city_dept: HashMap<RegionCode, SeedDepartment> = HashMap::new();
    let mut province_names: HashMap<RegionCode, String> = HashMap::new();
    let mut city_names: HashMap<RegionCode, String> = HashMap::new();

    for p in &provinces {
        let c = code(&p.code);
        let suffix = if is_municipality(&c) {
            "经济和信息化局"
        } else {
            "工业和信息化厅"
        };
        let d = add(
            DepartmentKind::Province,
            format!("{}{suffix}", p.name),
            Some((c.clone(), RegionLevel::Province)),
            None,
            Some(&ministry),
        );
        regions.push(SeedRegion {
            code: c.clone(),
            level: RegionLevel::Province,
            name: p.name.clone(),
            parent_code: None,
            province_code: c.clone(),
            nominal: false,
            department_id: d.id,
        });
        province_names.insert(c.clone(), p.name.clone());
        province_dept.insert(c, d.clone());
        departments.push(d);
    }

    for ci in &cities {
        let c = code(&ci.code);
        let province = code(ci.parent.as_deref().unwrap_or_default());
        let parent = province_dept[&province].clone();
        let nominal = is_nominal_city_name(&ci.name);
        let serving = if nominal {
            parent
        } else {
            let d = add(
                DepartmentKind::City,
                format!("{}工业和信息化局", ci.name),
                Some((c.clone(), RegionLevel::City)),
                None,
                Some(&parent),
            );
            departments.push(d.clone());
            d
        };
        regions.push(SeedRegion {
            code: c.clone(),
            level: RegionLevel::City,
            name: ci.name.clone(),
            parent_code: Some(province.clone()),
            province_code: province,
            nominal,
            department_id: serving.id,
        });
        city_names.insert(c.clone(), ci.name.clone());
        city_dept.insert(c, serving);
    }

    for a in &areas {
        let c = code(&a.code);
        let city = code(a.parent.as_deref().unwrap_or_default());
        let parent = city_dept[&city].clone();
        // 东莞, 中山, 儋州: the county row is the city itself.
        let same_as_city = c == city;
        let serving = if same_as_city {
            parent
        } else {
            let city_name = &city_names[&city];
            let prefix = if is_nominal_city_name(city_name) {
                &province_names[&c.province()]
            } else {
                city_name
            };
            let d = add(
                DepartmentKind::County,
                format!("{prefix}{}工业和信息化局", a.name),
                Some((c.clone(), RegionLevel::County)),
                None,
                Some(&parent),
            );
            departments.push(d.clone());
            d
        };
        regions.push(SeedRegion {
            code: c.clone(),
            level: RegionLevel::County,
            name: a.name.clone(),
            parent_code: Some(city),
            province_code: c.province(),
            nominal: same_as_city,
            department_id: serving.id,
        });
    }

    ReferencePlan {
        regions,
        departments,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(plan: &ReferencePlan, level: RegionLevel) -> usize {
        plan.regions.iter().filter(|r| r.level == level).count()
    }

    #[test]
    fn the_tree_has_every_division() {
        let plan = reference_plan();
        assert_eq!(count(&plan, RegionLevel::Province), 31);
        assert_eq!(count(&plan, RegionLevel::City), 342);
        assert_eq!(count(&plan, RegionLevel::County), 2978);
    }

    #[test]
    fn one_department_per_real_government() {
        let plan = reference_plan();
        let by_kind = |k| plan.departments.iter().filter(|d| d.kind == k).count();
        assert_eq!(by_kind(DepartmentKind::Ministry), 1);
        assert_eq!(by_kind(DepartmentKind::ChainPlatform), 8);
        assert_eq!(by_kind(DepartmentKind::Province), 31);
        // 342 prefectures less 9 nominal rows.
        assert_eq!(by_kind(DepartmentKind::City), 333);
        // 2,978 county rows less the 3 that are their prefecture.
        assert_eq!(by_kind(DepartmentKind::County), 2975);
        let ids: Vec<i64> = plan.departments.iter().map(|d| d.id).collect();
        assert_eq!(ids, (1..=ids.len() as i64).collect::<Vec<_>>());
    }

    #[test]
    fn municipal_districts_report_to_the_municipality() {
        let plan = reference_plan();
        let dept = |id| plan.departments.iter().find(|d| d.id == id).unwrap();
        let region = |c: &str, l| {
            plan.regions
                .iter()
                .find(|r| r.code.as_str() == c && r.level == l)
                .unwrap()
        };
        let shanghai = region("310000", RegionLevel::Province);
        let nominal = region("310100", RegionLevel::City);
        assert!(nominal.nominal);
        assert_eq!(nominal.department_id, shanghai.department_id);
        let pudong = dept(region("310115", RegionLevel::County).department_id);
        assert_eq!(pudong.parent_id, Some(shanghai.department_id));
        assert_eq!(pudong.name, "上海市浦东新区工业和信息化局");
        assert_eq!(dept(shanghai.department_id).parent_id, Some(1));
        assert!(pudong.path.starts_with(&dept(shanghai.department_id).path));
    }

    #[test]
    fn county_less_prefectures_are_served_by_the_city() {
        let plan = reference_plan();
        let dongguan: Vec<_> = plan
            .regions
            .iter()
            .filter(|r| r.code.as_str() == "441900")
            .collect();
        assert_eq!(dongguan.len(), 2);
        assert_eq!(dongguan[0].department_id, dongguan[1].department_id);
        // A province-administered county (仙桃, 429004) reports to the province.
        let xiantao = plan
            .regions
            .iter()
            .find(|r| r.code.as_str() == "429004")
            .unwrap();
        let d = plan
            .departments
            .iter()
            .find(|d| d.id == xiantao.department_id)
            .unwrap();
        let hubei = plan
            .regions
            .iter()
            .find(|r| r.code.as_str() == "420000")
            .unwrap();
        assert_eq!(d.parent_id, Some(hubei.department_id));
    }
}
