//! What one report adds to a list's daily figures, and where: the counts
//! ([`DayCounts`]) of one report, and the cells ([`Cell`]) they are added
//! to, so that a board sums a few rows per region instead of reading every
//! report. Storage keeps one row per list, cell, day and output unit.

use super::{OperatingStatus, Report};

/// A report's contribution, or the sum of many.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayCounts {
    pub reported: i64,
    pub running: i64,
    pub partial: i64,
    pub stopped: i64,
    pub not_resumed: i64,
    pub late: i64,
    pub staff_on_duty: i64,
    pub staff_usual: i64,
    /// Σ capacity utilisation (%) × usual staff: the weighted mean's numerator.
    pub capacity_weighted: i64,
    /// Σ output in thousandths of the row's unit.
    pub output_milli: i64,
    pub blockers: i64,
}

impl DayCounts {
    pub const FIELDS: usize = 11;

    /// What one report adds.
    pub fn of(report: &Report, late: bool) -> DayCounts {
        let is = |s: OperatingStatus| i64::from(report.status == s);
        DayCounts {
            reported: 1,
            running: is(OperatingStatus::Running),
            partial: is(OperatingStatus::Partial),
            stopped: is(OperatingStatus::Stopped),
            not_resumed: is(OperatingStatus::NotResumed),
            late: i64::from(late),
            staff_on_duty: i64::from(report.staff_on_duty),
            staff_usual: i64::from(report.staff_usual),
            capacity_weighted: i64::from(report.capacity_percent) * i64::from(report.staff_usual),
            output_milli: report.output.as_ref().map_or(0, |(m, _)| *m),
            blockers: report.blockers.len() as i64,
        }
    }

    pub fn fields(&self) -> [i64; Self::FIELDS] {
        [
            self.reported,
            self.running,
            self.partial,
            self.stopped,
            self.not_resumed,
            self.late,
            self.staff_on_duty,
            self.staff_usual,
            self.capacity_weighted,
            self.output_milli,
            self.blockers,
        ]
    }

    pub fn from_fields(f: [i64; Self::FIELDS]) -> DayCounts {
        DayCounts {
            reported: f[0],
            running: f[1],
            partial: f[2],
            stopped: f[3],
            not_resumed: f[4],
            late: f[5],
            staff_on_duty: f[6],
            staff_usual: f[7],
            capacity_weighted: f[8],
            output_milli: f[9],
            blockers: f[10],
        }
    }

    fn zip(&self, other: &DayCounts, f: impl Fn(i64, i64) -> i64) -> DayCounts {
        let (a, b) = (self.fields(), other.fields());
        let mut out = [0; Self::FIELDS];
        for i in 0..Self::FIELDS {
            out[i] = f(a[i], b[i]);
        }
        DayCounts::from_fields(out)
    }

    pub fn add(&mut self, other: &DayCounts) {
        *self = self.zip(other, |a, b| a + b);
    }

    pub fn sub(&mut self, other: &DayCounts) {
        *self = self.zip(other, |a, b| a - b);
    }

    pub fn is_zero(&self) -> bool {
        self.fields().iter().all(|n| *n == 0)
    }
}

/// Where an enterprise's reports count: its county, industry and chains,
/// as the list member recorded them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Placement {
    pub county: String,
    /// '' when the enterprise has none.
    pub industry: String,
    pub chains: Vec<String>,
}

/// A region's level in the daily figures.
pub const PROVINCE: i16 = 1;
pub const CITY: i16 = 2;
pub const COUNTY: i16 = 3;

/// One row key of the daily figures, besides list, day and unit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cell {
    pub level: i16,
    pub region: String,
    pub industry: String,
    /// '' for the row every chain adds to; else one chain's own row.
    pub chain: String,
}

/// The cells a placement adds to: its county, city and province, each
/// once for all chains ('') and once per chain of the enterprise.
pub fn cells(p: &Placement) -> Vec<Cell> {
    if p.county.len() != 6 || !p.county.is_ascii() {
        return Vec::new();
    }
    let regions = [
        (COUNTY, p.county.clone()),
        (CITY, format!("{}00", &p.county[..4])),
        (PROVINCE, format!("{}0000", &p.county[..2])),
    ];
    let mut chains = vec![String::new()];
    chains.extend(p.chains.iter().filter(|c| !c.is_empty()).cloned());
    chains.sort();
    chains.dedup();
    let mut out = Vec::new();
    for (level, region) in regions {
        for chain in &chains {
            out.push(Cell {
                level,
                region: region.clone(),
                industry: p.industry.clone(),
                chain: chain.clone(),
            });
        }
    }
    out
}

/// The unit a report's row is kept under ('' without output).
pub fn unit_of(report: &Report) -> String {
    report
        .output
        .as_ref()
        .map_or_else(String::new, |(_, u)| u.clone())
}

/// Chains packed as stored: `,a,b,` (so that `LIKE '%,a,%'` finds one).
pub fn pack_chains(chains: &[String]) -> String {
    let mut sorted: Vec<&String> = chains.iter().filter(|c| !c.is_empty()).collect();
    sorted.sort();
    sorted.dedup();
    if sorted.is_empty() {
        return String::new();
    }
    format!(
        ",{},",
        sorted
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(",")
    )
}

pub fn unpack_chains(packed: &str) -> Vec<String> {
    packed
        .split(',')
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect()
}
