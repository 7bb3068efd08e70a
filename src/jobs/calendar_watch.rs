//! Watches the work calendar: from 1 November, while next year's holidays
//! are not loaded, deadlines reaching into it are provisional, so the log
//! says so once a day (the gauge and the admin pages' banner say it always).

use std::time::Duration;

use chrono::NaiveDate;

use crate::services::calendar::watch;
use crate::services::sla::Sla;
use crate::storage::Database;

pub async fn run(db: Database, sla: Sla, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut warned_on: Option<NaiveDate> = None;
    loop {
        ticker.tick().await;
        match watch(&db, &sla).await {
            Ok(Some(year)) => {
                let today = sla
                    .now()
                    .with_timezone(&chrono_tz::Asia::Shanghai)
                    .date_naive();
                if warned_on != Some(today) {
                    warned_on = Some(today);
                    tracing::warn!(
                        year,
                        "the work calendar of {year} is not loaded: deadlines in {year} count its holidays as working days; load it with `yizhan calendar import` or on /admin/sla"
                    );
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "checking the work calendar failed"),
        }
    }
}
