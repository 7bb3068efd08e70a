//! Bulk import of enterprises and white-list entries from CSV or XLSX.
//!
//! A dry run checks every row and reports each bad one (row, column,
//! reason), writing nothing. A real run writes all rows in one transaction
//! or none. Rows are keyed by credit code (enterprises) and by (credit code,
//! scope, batch) (white list), so importing the same file twice changes
//! nothing the second time.

use crate::domain::words::Phrase;
use std::collections::{HashMap, HashSet};
use std::io::Cursor;

use calamine::{Data, Reader};
use chrono::{DateTime, Utc};

use super::enterprises::{fields_of, known_chains, list_keeper};
use crate::domain::enterprise::{
    parse_enterprise, parse_whitelist, EnterpriseInput, FieldIssue, WhitelistInput, WhitelistScope,
};
use crate::storage::enterprises::{self, Enterprise};
use crate::storage::whitelist::{NewWhitelistEntry, WhitelistEntry};
use crate::storage::{write_transaction, AnyConnection, Database, StorageError};

/// Rows per database round trip.
const CHUNK: usize = 500;

/// A table read from a file: the header row and the data rows, with the
/// spreadsheet row number of each (the header is row 1).
#[derive(Debug, Clone)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file as a whole cannot be read: not CSV or XLSX, no header, a
    /// required column missing.
    #[error("{}", crate::words::phrase(crate::words::Lang::En, .0))]
    File(Phrase),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

fn file_error(key: &'static str) -> ImportError {
    ImportError::File(Phrase::new(key))
}

fn file_error_with<const N: usize>(
    key: &'static str,
    args: [(&'static str, String); N],
) -> ImportError {
    ImportError::File(Phrase::with(key, args))
}

/// One bad row: which row, which column, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub what: Phrase,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub dry_run: bool,
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub errors: Vec<RowError>,
    /// White-listed enterprises the file renames: shown before anything is
    /// written, applied only when renames are explicitly allowed.
    pub renames: Vec<Rename>,
}

/// A change of name of a white-listed enterprise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    pub row: usize,
    pub credit_code: String,
    pub from: String,
    pub to: String,
}

impl ImportReport {
    /// Whether anything was (or, in a dry run, would be) written.
    pub fn applied(&self) -> bool {
        !self.dry_run && self.errors.is_empty()
    }
}

/// Reads CSV (UTF-8, with or without BOM, or GB18030 as Chinese Excel
/// writes it) or XLSX (the first sheet), decided by the content.
pub fn read_table(bytes: &[u8]) -> Result<Table, ImportError> {
    let mut table = if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)?
    } else {
        read_csv(bytes)?
    };
    table.headers = table.headers.iter().map(|h| h.trim().to_string()).collect();
    // Trailing empty rows are common in spreadsheets.
    table
        .rows
        .retain(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()));
    if table.headers.iter().all(String::is_empty) {
        return Err(file_error("import.no_header"));
    }
    Ok(table)
}

fn read_csv(bytes: &[u8]) -> Result<Table, ImportError> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.trim_start_matches('\u{feff}').to_string(),
        Err(_) => {
            let (decoded, _, had_errors) = encoding_rs::GB18030.decode(bytes);
            if had_errors {
                return Err(file_error("import.encoding"));
            }
            decoded.into_owned()
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let headers = match records.next() {
        Some(Ok(h)) => h.iter().map(str::to_string).collect(),
        Some(Err(e)) => {
            return Err(file_error_with(
                "import.csv_malformed",
                [("why", e.to_string())],
            ))
        }
        None => return Err(file_error("import.empty")),
    };
    let mut rows = Vec::new();
    for (i, record) in records.enumerate() {
        let record = record.map_err(|e| {
            file_error_with(
                "import.csv_row_malformed",
                [("row", (i + 2).to_string()), ("why", e.to_string())],
            )
        })?;
        rows.push((i + 2, record.iter().map(str::to_string).collect()));
    }
    Ok(Table { headers, rows })
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => dt
            .as_datetime()
            .map(|d| d.date().format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<Table, ImportError> {
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e: calamine::XlsxError| {
            file_error_with("import.xlsx_unreadable", [("why", e.to_string())])
        })?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| file_error("import.xlsx_no_sheet"))?
        .map_err(|e| file_error_with("import.sheet_unreadable", [("why", e.to_string())]))?;
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let mut rows = range.rows();
    let headers = rows
        .next()
        .map(|r| r.iter().map(cell_text).collect())
        .ok_or_else(|| file_error("import.empty"))?;
    let rows = rows
        .enumerate()
        .map(|(i, r)| (first_row + i + 2, r.iter().map(cell_text).collect()))
        .collect();
    Ok(Table { headers, rows })
}

/// A field's column as a person calls it: its Chinese header, or the
/// English one.
pub fn column_name(field: &str, en: bool) -> String {
    if en {
        return field.to_string();
    }
    ENTERPRISE_COLUMNS
        .iter()
        .chain(WHITELIST_COLUMNS.iter())
        .find(|(f, _, _)| *f == field)
        .map_or_else(|| field.to_string(), |(_, names, _)| names[1].to_string())
}

/// Column names accepted for each field, English and Chinese.
const ENTERPRISE_COLUMNS: [(&str, &[&str], bool); 9] = [
    (
        "credit_code",
        &["credit_code", "统一社会信用代码", "信用代码"],
        true,
    ),
    ("name", &["name", "企业名称", "名称"], true),
    (
        "county_code",
        &["county_code", "所在区县代码", "区县代码", "区划代码"],
        true,
    ),
    ("address", &["address", "地址", "企业地址"], false),
    ("chains", &["chains", "产业链"], false),
    ("size", &["size", "规模", "企业规模"], false),
    ("contact_name", &["contact_name", "联系人"], false),
    (
        "contact_phone",
        &["contact_phone", "联系电话", "电话"],
        false,
    ),
    (
        "contact_email",
        &["contact_email", "联系邮箱", "邮箱", "电子邮箱"],
        false,
    ),
];

const WHITELIST_COLUMNS: [(&str, &[&str], bool); 7] = [
    (
        "credit_code",
        &["credit_code", "统一社会信用代码", "信用代码"],
        true,
    ),
    ("scope", &["scope", "范围", "名单范围"], true),
    ("batch", &["batch", "批次"], true),
    ("listed_on", &["listed_on", "列入日期"], true),
    ("chain", &["chain", "产业链"], false),
    ("note", &["note", "备注"], false),
    ("removed_on", &["removed_on", "移出日期"], false),
];

/// Field name -> column index, or the missing required columns.
fn map_columns(
    headers: &[String],
    spec: &[(&'static str, &[&str], bool)],
) -> Result<HashMap<&'static str, usize>, ImportError> {
    let mut map = HashMap::new();
    let mut missing = Vec::new();
    for (field, names, required) in spec {
        let found = headers
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)));
        match found {
            Some(i) => {
                map.insert(*field, i);
            }
            None if *required => missing.push(names[1]),
            None => {}
        }
    }
    if missing.is_empty() {
        Ok(map)
    } else {
        Err(file_error_with(
            "import.columns_missing",
            [("columns", missing.join(", "))],
        ))
    }
}

fn cell(cells: &[String], columns: &HashMap<&str, usize>, field: &str) -> String {
    columns
        .get(field)
        .and_then(|i| cells.get(*i))
        .cloned()
        .unwrap_or_default()
}

fn row_errors(row: usize, issues: Vec<FieldIssue>) -> impl Iterator<Item = RowError> {
    issues.into_iter().map(move |i| RowError {
        row,
        column: i.field.to_string(),
        what: i.what,
    })
}

/// Imports enterprises at `now` (the caller's clock). `progress` is told
/// how many rows are done.
pub async fn import_enterprises(
    db: &Database,
    table: Table,
    dry_run: bool,
    allow_renames: bool,
    actor: Option<i64>,
    now: DateTime<Utc>,
    progress: impl Fn(usize) + Send + 'static,
) -> Result<ImportReport, ImportError> {
    let now = now.naive_utc();
    let columns = map_columns(&table.headers, &ENTERPRISE_COLUMNS)?;
    db.run(move |conn| {
        let chains = known_chains(conn)?;
        let mut report = ImportReport {
            dry_run,
            rows: table.rows.len(),
            ..Default::default()
        };
        let mut records = Vec::with_capacity(table.rows.len());
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (row, cells) in &table.rows {
            let input = EnterpriseInput {
                credit_code: cell(cells, &columns, "credit_code"),
                name: cell(cells, &columns, "name"),
                county_code: cell(cells, &columns, "county_code"),
                address: cell(cells, &columns, "address"),
                chains: cell(cells, &columns, "chains"),
                size: cell(cells, &columns, "size"),
                contact_name: cell(cells, &columns, "contact_name"),
                contact_phone: cell(cells, &columns, "contact_phone"),
                contact_email: cell(cells, &columns, "contact_email"),
            };
            match parse_enterprise(&input, &chains, false) {
                Ok((record, _)) => {
                    let code = record.credit_code.to_string();
                    if let Some(first) = seen.insert(code.clone(), *row) {
                        report.errors.push(RowError {
                            row: *row,
                            column: "credit_code".into(),
                            what: Phrase::with(
                                "import.credit_code_repeats",
                                [("first", first.to_string())],
                            ),
                        });
                    } else {
                        records.push((*row, record));
                    }
                }
                Err(issues) => report.errors.extend(row_errors(*row, issues)),
            }
        }
        // A white-listed enterprise renamed by a file is a mistake more often
        // than not (a code typed into the wrong row): it is shown, and
        // applied only when asked for.
        for chunk in records.chunks(CHUNK) {
            let codes: Vec<String> = chunk
                .iter()
                .map(|(_, r)| r.credit_code.to_string())
                .collect();
            let existing = Enterprise::by_codes(conn, &codes)?;
            let ids: Vec<i64> = existing.values().map(|e| e.id).collect();
            let listed = WhitelistEntry::listed_among(conn, &ids)?;
            for (row, record) in chunk {
                let Some(e) = existing.get(record.credit_code.as_str()) else {
                    continue;
                };
                let to = fields_of(record, false).name;
                if listed.contains(&e.id) && to != e.name {
                    report.renames.push(Rename {
                        row: *row,
                        credit_code: e.credit_code.clone(),
                        from: e.name.clone(),
                        to: to.clone(),
                    });
                    if !allow_renames {
                        report.errors.push(RowError {
                            row: *row,
                            column: "name".into(),
                            what: Phrase::with(
                                "import.listed_rename",
                                [("from", e.name.clone()), ("to", to.clone())],
                            ),
                        });
                    }
                }
            }
        }
        report.errors.sort_by_key(|e| e.row);
        let apply = !dry_run && report.errors.is_empty();
        let outcome = write_transaction(conn, |conn| {
            let mut done = 0;
            for chunk in records.chunks(CHUNK) {
                let codes: Vec<String> = chunk
                    .iter()
                    .map(|(_, r)| r.credit_code.to_string())
                    .collect();
                let existing = Enterprise::by_codes(conn, &codes)?;
                let ids: Vec<i64> = existing.values().map(|e| e.id).collect();
                let mut existing_chains = enterprises::chains_of(conn, &ids)?;
                let mut fresh = Vec::new();
                let mut fresh_chains = Vec::new();
                for (_, record) in chunk {
                    let mut fields = fields_of(record, false);
                    match existing.get(record.credit_code.as_str()) {
                        None => {
                            fresh_chains
                                .push((record.credit_code.to_string(), record.chains.clone()));
                            fresh.push(fields);
                        }
                        Some(e) => {
                            // A waiver granted before stays.
                            fields.checksum_waived = e.checksum_waived;
                            let mut chains_now = existing_chains.remove(&e.id).unwrap_or_default();
                            chains_now.sort();
                            let mut chains_new = record.chains.clone();
                            chains_new.sort();
                            let same = fields.name == e.name
                                && fields.county_code == e.county_code
                                && fields.address == e.address
                                && fields.size == e.size
                                && fields.contact_name == e.contact_name
                                && fields.contact_phone == e.contact_phone
                                && fields.contact_email == e.contact_email
                                && chains_now == chains_new;
                            if same {
                                report.unchanged += 1;
                            } else {
                                report.updated += 1;
                                if apply {
                                    Enterprise::update(conn, e.id, &fields, actor, now)?;
                                    enterprises::set_chains(conn, e.id, &record.chains)?;
                                    // Its monitoring figures move with it (issue 26).
                                    crate::services::monitoring::figures::follow_enterprises(
                                        conn,
                                        &[e.id],
                                    )?;
                                }
                            }
                        }
                    }
                }
                report.inserted += fresh.len();
                if apply && !fresh.is_empty() {
                    Enterprise::insert_many(conn, &fresh, actor, now)?;
                    let new_codes: Vec<String> =
                        fresh_chains.iter().map(|(c, _)| c.clone()).collect();
                    let created = Enterprise::by_codes(conn, &new_codes)?;
                    let rows: Vec<(i64, String)> = fresh_chains
                        .iter()
                        .flat_map(|(code, chains)| {
                            let id = created[code].id;
                            chains.iter().map(move |c| (id, c.clone()))
                        })
                        .collect();
                    if !rows.is_empty() {
                        enterprises::insert_chains(conn, &rows)?;
                    }
                }
                done += chunk.len();
                progress(done);
            }
            keep_if(apply)
        });
        settle(outcome, report)
    })
    .await
    .map_err(ImportError::from)
}

/// Imports white-list entries at `now` (the caller's clock); each names an
/// enterprise already registered.
pub async fn import_whitelist(
    db: &Database,
    table: Table,
    dry_run: bool,
    actor: Option<i64>,
    now: DateTime<Utc>,
    progress: impl Fn(usize) + Send + 'static,
) -> Result<ImportReport, ImportError> {
    let now = now.naive_utc();
    let columns = map_columns(&table.headers, &WHITELIST_COLUMNS)?;
    db.run(move |conn| {
        let chains = known_chains(conn)?;
        let mut report = ImportReport {
            dry_run,
            rows: table.rows.len(),
            ..Default::default()
        };
        let mut records = Vec::new();
        let mut seen = HashSet::new();
        for (row, cells) in &table.rows {
            let input = WhitelistInput {
                credit_code: cell(cells, &columns, "credit_code"),
                scope: cell(cells, &columns, "scope"),
                batch: cell(cells, &columns, "batch"),
                listed_on: cell(cells, &columns, "listed_on"),
                chain: cell(cells, &columns, "chain"),
                note: cell(cells, &columns, "note"),
                removed_on: cell(cells, &columns, "removed_on"),
            };
            match parse_whitelist(&input, &chains) {
                Ok(r) => {
                    let key = (r.credit_code.to_string(), r.scope.as_string(), r.batch);
                    if seen.insert(key) {
                        records.push((*row, r));
                    } else {
                        report.errors.push(RowError {
                            row: *row,
                            column: "batch".into(),
                            what: Phrase::new("import.listing_repeats"),
                        });
                    }
                }
                Err(issues) => report.errors.extend(row_errors(*row, issues)),
            }
        }
        let keepers = keepers(conn, records.iter().map(|(_, r)| r.scope.clone()))?;
        let codes: Vec<String> = records
            .iter()
            .map(|(_, r)| r.credit_code.to_string())
            .collect();
        let mut known = HashMap::new();
        for chunk in codes.chunks(CHUNK) {
            known.extend(
                Enterprise::by_codes(conn, chunk)?
                    .into_iter()
                    .map(|(c, e)| (c, e.id)),
            );
        }
        for (row, r) in &records {
            if !known.contains_key(r.credit_code.as_str()) {
                report.errors.push(RowError {
                    row: *row,
                    column: "credit_code".into(),
                    what: Phrase::with(
                        "import.unknown_credit_code",
                        [("code", r.credit_code.to_string())],
                    ),
                });
            }
        }
        report.errors.sort_by_key(|e| e.row);
        let apply = !dry_run && report.errors.is_empty();
        let outcome = write_transaction(conn, |conn| {
            for (done, (_, r)) in records.iter().enumerate() {
                let Some(enterprise_id) = known.get(r.credit_code.as_str()).copied() else {
                    continue;
                };
                let scope = r.scope.as_string();
                let new = NewWhitelistEntry {
                    enterprise_id,
                    scope: scope.clone(),
                    batch: r.batch,
                    issuing_department_id: keepers[&scope],
                    listed_on: r.listed_on,
                    removed_on: r.removed_on,
                    chain_code: r.chain.clone(),
                    note: r.note.clone(),
                    created_by: actor,
                    created_at: now,
                };
                match WhitelistEntry::find_key(conn, enterprise_id, &scope, r.batch)? {
                    None => {
                        report.inserted += 1;
                        if apply {
                            WhitelistEntry::insert(conn, &new)?;
                        }
                    }
                    Some(e)
                        if e.listed_on == new.listed_on
                            && e.removed_on == new.removed_on
                            && e.chain_code == new.chain_code
                            && e.note == new.note =>
                    {
                        report.unchanged += 1
                    }
                    Some(e) => {
                        report.updated += 1;
                        if apply {
                            WhitelistEntry::update_facts(conn, e.id, &new)?;
                        }
                    }
                }
                if done % CHUNK == 0 {
                    progress(done);
                }
            }
            progress(records.len());
            if apply {
                // Monitoring lists that follow white lists (issue 26).
                let listed: Vec<i64> = known.values().copied().collect();
                crate::services::monitoring::lists::follow_whitelists(
                    conn,
                    Some(listed.as_slice()),
                    now,
                )?;
            }
            keep_if(apply)
        });
        settle(outcome, report)
    })
    .await
    .map_err(ImportError::from)
}

/// Ends an import's transaction: commits when the rows are to be written,
/// rolls back a dry run or a file with errors.
fn keep_if(apply: bool) -> diesel::QueryResult<()> {
    if apply {
        Ok(())
    } else {
        Err(diesel::result::Error::RollbackTransaction)
    }
}

/// The report, unless the transaction failed for another reason.
fn settle(
    outcome: diesel::QueryResult<()>,
    report: ImportReport,
) -> Result<ImportReport, StorageError> {
    match outcome {
        Ok(()) | Err(diesel::result::Error::RollbackTransaction) => Ok(report),
        Err(e) => Err(e.into()),
    }
}

fn keepers(
    conn: &mut AnyConnection,
    scopes: impl Iterator<Item = WhitelistScope>,
) -> Result<HashMap<String, i64>, StorageError> {
    let mut map = HashMap::new();
    for scope in scopes.collect::<HashSet<_>>() {
        if let Some(id) = list_keeper(conn, &scope)? {
            map.insert(scope.as_string(), id);
        }
    }
    Ok(map)
}
