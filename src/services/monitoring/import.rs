//! `yizhan import monitoring-list FILE --list NAME`: a list's enterprises
//! from CSV or XLSX, by credit code, with their industry codes, under the
//! same rules as the other imports (`services::imports`): a dry run checks
//! every row and writes nothing; a real run writes every row or none; the
//! same file twice changes nothing the second time.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::figures::follow_enterprises;
use super::lists::add_members;
use crate::domain::access::{may_monitor_enterprise, EnterpriseFacts};
use crate::domain::credit_code::CreditCode;
use crate::domain::enterprise::credit_code_issue;
use crate::domain::industry::parse_industry;
use crate::domain::region::RegionCode;
use crate::domain::words::Phrase;
use crate::services::auth::scope_of;
use crate::services::imports::{ImportError, ImportReport, RowError, Table};
use crate::storage::departments::Department;
use crate::storage::enterprises::Enterprise;
use crate::storage::monitoring::{self, MonitoringList, NewList, BY_HAND};
use crate::storage::{write_transaction, Database, StorageError};

/// Column names accepted for each field, English and Chinese.
const COLUMNS: [(&str, &[&str], bool); 3] = [
    (
        "credit_code",
        &["credit_code", "统一社会信用代码", "信用代码"],
        true,
    ),
    (
        "industry",
        &["industry", "industry_code", "行业代码", "国民经济行业代码"],
        false,
    ),
    ("name", &["name", "企业名称", "名称"], false),
];

fn file_error(key: &'static str, args: Vec<(&'static str, String)>) -> ImportError {
    let mut p = Phrase::new(key);
    p.args = args;
    ImportError::File(p)
}

/// Which list the rows go to: by name, within a department when given
/// (created there, kept by hand, if it does not exist yet).
#[derive(Debug, Clone)]
pub struct Target {
    pub list: String,
    pub department: Option<i64>,
}

/// Imports the table into the list at `now`; `progress` hears rows done.
pub async fn import_monitoring_list(
    db: &Database,
    table: Table,
    target: Target,
    dry_run: bool,
    now: DateTime<Utc>,
    progress: impl Fn(usize) + Send + 'static,
) -> Result<ImportReport, ImportError> {
    let mut columns: HashMap<&str, usize> = HashMap::new();
    let mut missing = Vec::new();
    for (field, names, required) in COLUMNS {
        match table
            .headers
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
        {
            Some(i) => {
                columns.insert(field, i);
            }
            None if required => missing.push(names[1]),
            None => {}
        }
    }
    if !missing.is_empty() {
        return Err(file_error(
            "import.columns_missing",
            vec![("columns", missing.join(", "))],
        ));
    }
    let at = now.naive_utc();
    let cell = move |cells: &[String], field: &str| {
        columns
            .get(field)
            .and_then(|i| cells.get(*i))
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    db.run_write(move |conn| {
        let mut report = ImportReport {
            dry_run,
            rows: table.rows.len(),
            ..Default::default()
        };
        let mut refused: Option<ImportError> = None;
        let outcome = write_transaction(conn, |conn| {
            // A whole-file refusal: nothing stays written.
            macro_rules! refuse {
                ($e:expr) => {{
                    refused = Some($e);
                    return Err(diesel::result::Error::RollbackTransaction);
                }};
            }
            let found = MonitoringList::find_by_name(conn, target.department, target.list.trim())?;
            let list = match (found.len(), target.department) {
                (1, _) => found.into_iter().next().expect("one"),
                (0, Some(d)) => {
                    if Department::find(conn, d)?.is_none() {
                        refuse!(file_error("daily_import.no_department", vec![]));
                    }
                    MonitoringList::insert(
                        conn,
                        &NewList {
                            department_id: d,
                            name: target.list.trim().to_string(),
                            source: BY_HAND.into(),
                            whitelist_scope: None,
                            whitelist_batch: None,
                            created_by: None,
                            created_at: at,
                            updated_at: at,
                        },
                    )?
                }
                (0, None) => refuse!(file_error(
                    "daily_import.no_such_list",
                    vec![("name", target.list.clone())]
                )),
                _ => refuse!(file_error(
                    "daily_import.several_lists",
                    vec![("name", target.list.clone())]
                )),
            };
            if list.source != BY_HAND {
                refuse!(file_error(
                    "daily_import.follows_whitelist",
                    vec![("name", list.name.clone())]
                ));
            }
            let keeper = Department::find(conn, list.department_id)?
                .map(|d| scope_of(&d))
                .ok_or(diesel::result::Error::NotFound)?;
            // Check every row first.
            let mut rows = Vec::new();
            let mut seen: HashMap<String, usize> = HashMap::new();
            for (row, cells) in &table.rows {
                let raw = cell(cells, "credit_code");
                let code = match CreditCode::parse_lenient(&raw) {
                    Ok((c, _)) => c.as_str().to_string(),
                    Err(e) => {
                        let i = credit_code_issue(&e);
                        report.errors.push(RowError {
                            row: *row,
                            column: i.field.into(),
                            what: i.what,
                        });
                        continue;
                    }
                };
                if let Some(first) = seen.insert(code.clone(), *row) {
                    report.errors.push(RowError {
                        row: *row,
                        column: "credit_code".into(),
                        what: Phrase::with(
                            "import.credit_code_repeats",
                            [("first", first.to_string())],
                        ),
                    });
                    continue;
                }
                let industry = match cell(cells, "industry").as_str() {
                    "" => None,
                    text => match parse_industry("industry", text) {
                        Ok(i) => Some(i.code),
                        Err(i) => {
                            report.errors.push(RowError {
                                row: *row,
                                column: "industry".into(),
                                what: i.what,
                            });
                            continue;
                        }
                    },
                };
                rows.push((*row, code, industry));
            }
            let codes: Vec<String> = rows.iter().map(|(_, c, _)| c.clone()).collect();
            let mut known = HashMap::new();
            for chunk in codes.chunks(500) {
                known.extend(
                    Enterprise::by_codes(conn, chunk)?
                        .into_iter()
                        .map(|(c, e)| (c, e.id)),
                );
            }
            let ids: Vec<i64> = known.values().copied().collect();
            let placed = monitoring::placements(conn, &ids)?;
            let members: HashSet<i64> =
                monitoring::member_ids(conn, list.id)?.into_iter().collect();
            let mut fresh = Vec::new();
            let mut recoded = Vec::new();
            for (row, code, industry) in &rows {
                let Some(id) = known.get(code).copied() else {
                    report.errors.push(RowError {
                        row: *row,
                        column: "credit_code".into(),
                        what: Phrase::with("import.unknown_credit_code", [("code", code.clone())]),
                    });
                    continue;
                };
                let p = &placed[&id];
                let inside = RegionCode::parse(&p.county).is_ok_and(|county| {
                    may_monitor_enterprise(
                        &keeper,
                        &EnterpriseFacts {
                            id,
                            county,
                            chains: p.chains.clone(),
                        },
                    )
                });
                if !inside {
                    report.errors.push(RowError {
                        row: *row,
                        column: "credit_code".into(),
                        what: Phrase::with("daily_import.outside", [("code", code.clone())]),
                    });
                    continue;
                }
                let changes_industry = industry.is_some_and(|i| i != p.industry);
                if changes_industry {
                    recoded.push((id, industry.expect("given")));
                }
                if !members.contains(&id) {
                    report.inserted += 1;
                    fresh.push(id);
                } else if changes_industry {
                    report.updated += 1;
                } else {
                    report.unchanged += 1;
                }
            }
            report.errors.sort_by_key(|e| e.row);
            let apply = !dry_run && report.errors.is_empty();
            if apply {
                for (i, (id, code)) in recoded.iter().enumerate() {
                    monitoring::set_industry(conn, *id, code, None, at)?;
                    if i % 500 == 0 {
                        progress(i);
                    }
                }
                let ids: Vec<i64> = recoded.iter().map(|(id, _)| *id).collect();
                follow_enterprises(conn, &ids)?;
                add_members(conn, list.id, &fresh, at)?;
                progress(table.rows.len());
                Ok(())
            } else {
                // A dry run, or a file with errors: nothing stays written.
                Err(diesel::result::Error::RollbackTransaction)
            }
        });
        match (outcome, refused) {
            (_, Some(e)) => Ok(Err(e)),
            (Ok(()) | Err(diesel::result::Error::RollbackTransaction), None) => Ok(Ok(report)),
            (Err(e), None) => Err(StorageError::from(e)),
        }
    })
    .await
    .map_err(ImportError::from)?
}
