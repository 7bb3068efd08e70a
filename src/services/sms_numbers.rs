//! The mobile number an enterprise receives SMS notices on (受理, 要求补充,
//! 办结): read and changed by the enterprise itself, and by staff who may
//! change its record; shown in full to the enterprise only (staff of the
//! department handling a ticket see it in full beside that ticket).

use chrono::{DateTime, Utc};

use crate::domain::access::{may_see_sms_mobile, may_set_sms_mobile, Caller};
use crate::domain::channels::{mask_mobile, parse_mobile, Channel};
use crate::domain::enterprise::FieldIssue;
use crate::domain::region::RegionCode;
use crate::storage::enterprises::Enterprise;
use crate::storage::{mobiles, outbox, write_transaction, Database, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum SmsNumberError {
    /// No such enterprise, or not the caller's.
    #[error("no such enterprise for this caller")]
    NotFound,
    #[error("invalid mobile number")]
    Invalid(Vec<FieldIssue>),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// An enterprise's SMS number as the caller may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsNumber {
    pub enterprise_id: i64,
    /// In full for the enterprise itself, masked (`138****5678`) for staff.
    pub mobile: Option<String>,
    /// Whether this deployment sends SMS at all.
    pub sms_on: bool,
}

async fn load(
    db: &Database,
    caller: &Caller,
    enterprise_id: i64,
) -> Result<(Option<String>, bool), SmsNumberError> {
    let found = db
        .run(move |conn| {
            let Some(e) = Enterprise::find(conn, enterprise_id)? else {
                return Ok(None);
            };
            let on = outbox::channels_on(conn)?
                .iter()
                .any(|c| c == Channel::Sms.as_str());
            Ok(Some((e, mobiles::find(conn, enterprise_id)?, on)))
        })
        .await?;
    let Some((e, mobile, on)) = found else {
        return Err(SmsNumberError::NotFound);
    };
    let county_ok = RegionCode::parse(&e.county_code)
        .is_ok_and(|c| may_set_sms_mobile(caller, enterprise_id, &c));
    if !county_ok {
        return Err(SmsNumberError::NotFound);
    }
    Ok((mobile, on))
}

fn shown(caller: &Caller, enterprise_id: i64, mobile: Option<String>, on: bool) -> SmsNumber {
    let full = may_see_sms_mobile(caller, enterprise_id);
    SmsNumber {
        enterprise_id,
        mobile: mobile.map(|m| if full { m } else { mask_mobile(&m) }),
        sms_on: on,
    }
}

pub async fn get(
    db: &Database,
    caller: &Caller,
    enterprise_id: i64,
) -> Result<SmsNumber, SmsNumberError> {
    let (mobile, on) = load(db, caller, enterprise_id).await?;
    Ok(shown(caller, enterprise_id, mobile, on))
}

/// Sets the number (`138 1234 5678`, `+86 ...`); blank removes it (no SMS).
pub async fn set(
    db: &Database,
    caller: &Caller,
    enterprise_id: i64,
    typed: &str,
    at: DateTime<Utc>,
) -> Result<SmsNumber, SmsNumberError> {
    let mobile = parse_mobile(typed).map_err(|i| SmsNumberError::Invalid(vec![i]))?;
    let (_, on) = load(db, caller, enterprise_id).await?;
    let by = caller.user_id;
    let kept = mobile.clone();
    db.run_write(move |conn| {
        write_transaction(conn, |conn| {
            mobiles::set(
                conn,
                enterprise_id,
                kept.as_deref(),
                Some(by),
                at.naive_utc(),
            )
        })?;
        Ok(())
    })
    .await?;
    Ok(shown(caller, enterprise_id, mobile, on))
}
