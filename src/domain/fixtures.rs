//! Test fixtures shared by the domain's tests: a small department tree.

use super::access::{Caller, DepartmentScope, TicketFacts};
use super::region::{DepartmentKind, RegionCode, RegionLevel};
use super::role::Role;

/// A small tree: the ministry, the automotive platform, Shanghai with two
/// districts, Jiangsu with Nanjing and two of its districts.
pub fn dept(id: i64) -> DepartmentScope {
    let (kind, path, region, chain): (
        DepartmentKind,
        &str,
        Option<(&str, RegionLevel)>,
        Option<&str>,
    ) = match id {
        1 => (DepartmentKind::Ministry, "/1/", None, None),
        2 => (
            DepartmentKind::ChainPlatform,
            "/1/2/",
            None,
            Some("automotive"),
        ),
        30 => (
            DepartmentKind::Province,
            "/1/30/",
            Some(("310000", RegionLevel::Province)),
            None,
        ),
        400 => (
            DepartmentKind::County,
            "/1/30/400/",
            Some(("310115", RegionLevel::County)),
            None,
        ),
        401 => (
            DepartmentKind::County,
            "/1/30/401/",
            Some(("310101", RegionLevel::County)),
            None,
        ),
        20 => (
            DepartmentKind::Province,
            "/1/20/",
            Some(("320000", RegionLevel::Province)),
            None,
        ),
        100 => (
            DepartmentKind::City,
            "/1/20/100/",
            Some(("320100", RegionLevel::City)),
            None,
        ),
        500 => (
            DepartmentKind::County,
            "/1/20/100/500/",
            Some(("320102", RegionLevel::County)),
            None,
        ),
        501 => (
            DepartmentKind::County,
            "/1/20/100/501/",
            Some(("320115", RegionLevel::County)),
            None,
        ),
        _ => unreachable!(),
    };
    DepartmentScope {
        id,
        kind,
        path: path.into(),
        region: region.map(|(c, l)| (RegionCode::parse(c).unwrap(), l)),
        chain_code: chain.map(Into::into),
    }
}

pub const DEPTS: [i64; 9] = [1, 2, 30, 400, 401, 20, 100, 500, 501];
pub const COUNTY_DEPTS: [i64; 4] = [400, 401, 500, 501];

pub fn county_of(d: i64) -> RegionCode {
    dept(d).region.unwrap().0
}

pub fn staff(role: Role, d: i64) -> Caller {
    Caller {
        user_id: 1000 + d,
        role,
        department: Some(dept(d)),
        enterprise_id: None,
    }
}

pub fn enterprise(id: i64) -> Caller {
    Caller {
        user_id: 5000 + id,
        role: Role::Enterprise,
        department: None,
        enterprise_id: Some(id),
    }
}

pub fn ticket(enterprise_id: i64, county_dept: i64, handling: i64) -> TicketFacts {
    TicketFacts {
        enterprise_id,
        enterprise_chains: vec![],
        place: county_of(county_dept),
        handling: dept(handling).as_ref(),
        passed_through: vec![],
        cohandlers: vec![],
    }
}

/// A Pudong (department 400) ticket just filed at `at`, to be resolved
/// within seven days.
pub fn filed_state(at: chrono::DateTime<chrono::Utc>) -> super::ticket::TicketState {
    super::ticket::TicketState {
        status: super::ticket::Status::PendingSign,
        handling: dept(400).as_ref(),
        sent_from: None,
        assignee: None,
        cohandlers: vec![],
        extension_pending: false,
        resolve_due: Some(at + chrono::Duration::days(7)),
        resolved_at: None,
        closed_at: None,
        rating: None,
        solved: None,
        sent_on: 0,
        returns: 0,
        urged: 0,
        reopened: 0,
    }
}
