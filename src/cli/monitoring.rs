//! `yizhan import monitoring-list FILE --list NAME`: a monitoring list's
//! enterprises from a file, with the other imports' rules (see
//! `services::monitoring::import`).

use crate::configuration::Settings;
use crate::services::clock::Clock;
use crate::words::{phrase, Lang};

use super::MonitoringListArgs;

pub(super) async fn import_monitoring_list(settings: Settings, args: MonitoringListArgs) -> i32 {
    use crate::services::imports::{read_table, ImportError};
    use crate::services::monitoring::import::{import_monitoring_list, Target};

    let bytes = match std::fs::read(&args.file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("yizhan: cannot read {}: {e}", args.file.display());
            return 2;
        }
    };
    let table = match read_table(&bytes) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("yizhan: {e}");
            return 2;
        }
    };
    let db = match super::prepared_database(&settings).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("yizhan: {e}");
            return 1;
        }
    };
    let department = match args.department.as_deref() {
        None => None,
        Some(text) => match crate::services::pickers::department_by_reference(&db, text).await {
            Ok(d) => Some(d.id),
            Err(e) => {
                eprintln!("yizhan: department: {e}");
                return 2;
            }
        },
    };
    let target = Target {
        list: args.list.clone(),
        department,
    };
    let result = import_monitoring_list(
        &db,
        table,
        target,
        args.dry_run,
        Clock::system().now(),
        |_| {},
    )
    .await;
    let report = match result {
        Ok(r) => r,
        Err(ImportError::File(why)) => {
            eprintln!("yizhan: {}", phrase(Lang::En, &why));
            return 2;
        }
        Err(e) => {
            eprintln!("yizhan: {e}");
            return 1;
        }
    };
    for e in &report.errors {
        eprintln!("row {}, {}: {}", e.row, e.column, phrase(Lang::En, &e.what));
    }
    let verb = if report.applied() {
        "imported"
    } else {
        "would import"
    };
    println!(
        "{verb} {} rows into “{}”: {} added, {} with a new industry, {} unchanged; {} errors{}",
        report.rows,
        args.list,
        report.inserted,
        report.updated,
        report.unchanged,
        report.errors.len(),
        if report.errors.is_empty() || args.dry_run {
            ""
        } else {
            "; nothing was imported"
        }
    );
    if report.errors.is_empty() {
        0
    } else {
        2
    }
}
