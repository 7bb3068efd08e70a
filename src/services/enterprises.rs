//! Enterprises and their white-list entries: create, change, find, list.

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::access::{
    enterprise_scope, may_keep_list, may_list_enterprise, may_manage_enterprise,
    may_read_enterprise, may_read_listing, may_verify_enterprise, Caller, EnterpriseFacts,
    EnterpriseScope,
};
use crate::domain::enterprise::{
    issue, issue_with, parse_enterprise, EnterpriseInput, EnterpriseRecord, FieldIssue,
    WhitelistScope,
};
use crate::domain::role::Role;
use crate::storage::chains::Chain;
use crate::storage::enterprises::{self, Enterprise, EnterpriseFields, EnterpriseFilter};
use crate::storage::whitelist::{NewWhitelistEntry, WhitelistEntry};
use crate::storage::{write_transaction, AnyConnection, Database, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum EnterpriseError {
    #[error("invalid fields")]
    Invalid(Vec<FieldIssue>),
    #[error("the credit code is registered already")]
    CodeTaken,
    /// Not there, or not the caller's to see: the two look the same.
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<diesel::result::Error> for EnterpriseError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => EnterpriseError::CodeTaken,
            other => EnterpriseError::Storage(other.into()),
        }
    }
}

/// An enterprise with its chains and every white-list entry.
#[derive(Debug, Clone)]
pub struct EnterpriseDetail {
    pub enterprise: Enterprise,
    pub chains: Vec<String>,
    pub listings: Vec<WhitelistEntry>,
}

/// The chains an input may name: (code, Chinese name).
pub fn known_chains(conn: &mut AnyConnection) -> Result<Vec<(String, String)>, StorageError> {
    Ok(Chain::all(conn)?
        .into_iter()
        .filter(|c| c.active)
        .map(|c| (c.code, c.name_zh))
        .collect())
}

pub fn fields_of(record: &EnterpriseRecord, waived: bool) -> EnterpriseFields {
    EnterpriseFields {
        credit_code: record.credit_code.to_string(),
        name: record.name.clone(),
        county_code: record.county.to_string(),
        checksum_waived: waived,
        address: record.address.clone(),
        size: record.size.map(|s| s.as_str().to_string()),
        contact_name: record.contact_name.clone(),
        contact_phone: record.contact_phone.clone(),
        contact_email: record.contact_email.clone(),
    }
}

fn facts(e: &Enterprise, chains: &[String]) -> Option<EnterpriseFacts> {
    Some(EnterpriseFacts {
        id: e.id,
        county: crate::domain::region::RegionCode::parse(&e.county_code).ok()?,
        chains: chains.to_vec(),
    })
}

fn detail(conn: &mut AnyConnection, e: Enterprise) -> Result<EnterpriseDetail, StorageError> {
    let chains = enterprises::chains_of(conn, &[e.id])?
        .remove(&e.id)
        .unwrap_or_default();
    let listings = WhitelistEntry::of_enterprise(conn, e.id)?;
    Ok(EnterpriseDetail {
        enterprise: e,
        chains,
        listings,
    })
}

fn only_admin_waives(caller: &Caller, waive: bool) -> Result<(), EnterpriseError> {
    if waive && caller.role != Role::Admin {
        return Err(EnterpriseError::Invalid(vec![issue(
            "accept_bad_checksum",
            "field.only_admin_waives_checksum",
        )]));
    }
    Ok(())
}

/// Registers an enterprise in the caller's jurisdiction, at `now` (the
/// app's clock).
pub async fn create(
    db: &Database,
    caller: &Caller,
    input: EnterpriseInput,
    waive: bool,
    now: DateTime<Utc>,
) -> Result<EnterpriseDetail, EnterpriseError> {
    only_admin_waives(caller, waive)?;
    let caller = caller.clone();
    let now = now.naive_utc();
    db.run(move |conn| {
        let chains = known_chains(conn)?;
        let (record, waived) = match parse_enterprise(&input, &chains, waive) {
            Ok(r) => r,
            Err(issues) => return Ok(Err(EnterpriseError::Invalid(issues))),
        };
        if let Some(issue) = unknown_county(conn, &record.county)? {
            return Ok(Err(EnterpriseError::Invalid(vec![issue])));
        }
        if !may_manage_enterprise(&caller, &record.county) {
            return Ok(Err(EnterpriseError::Invalid(vec![issue(
                "county_code",
                "field.register_in_jurisdiction",
            )])));
        }
        let fields = fields_of(&record, waived);
        let created = write_transaction(conn, |conn| {
            let e = Enterprise::insert(conn, &fields, Some(caller.user_id), now)?;
            enterprises::set_chains(conn, e.id, &record.chains)?;
            Ok::<_, diesel::result::Error>(e)
        });
        Ok(match created {
            Ok(e) => Ok(detail(conn, e)?),
            Err(e) => Err(EnterpriseError::from(e)),
        })
    })
    .await?
}

/// One enterprise, if the caller may see it.
pub async fn get(
    db: &Database,
    caller: &Caller,
    id: i64,
) -> Result<EnterpriseDetail, EnterpriseError> {
    let found = db
        .run(move |conn| match Enterprise::find(conn, id)? {
            Some(e) => Ok(Some(detail(conn, e)?)),
            None => Ok(None),
        })
        .await?
        .ok_or(EnterpriseError::NotFound)?;
    let visible =
        facts(&found.enterprise, &found.chains).is_some_and(|f| may_read_enterprise(caller, &f));
    if visible {
        Ok(found)
    } else {
        Err(EnterpriseError::NotFound)
    }
}

/// Changes the record, at `now` (the app's clock). Staff and administrators
/// change every field within their jurisdiction; an enterprise user changes
/// only its own contacts.
pub async fn update(
    db: &Database,
    caller: &Caller,
    id: i64,
    input: EnterpriseInput,
    waive: bool,
    now: DateTime<Utc>,
) -> Result<EnterpriseDetail, EnterpriseError> {
    only_admin_waives(caller, waive)?;
    let now = now.naive_utc();
    let current = get(db, caller, id).await?;
    let e = &current.enterprise;
    let own = caller.role == Role::Enterprise && caller.enterprise_id == Some(id);
    let county_ok = crate::domain::region::RegionCode::parse(&e.county_code)
        .is_ok_and(|c| may_manage_enterprise(caller, &c));
    if !own && !county_ok {
        return Err(EnterpriseError::NotFound);
    }
    let input = if own {
        // The registered facts stay as they are; only contacts change.
        EnterpriseInput {
            credit_code: e.credit_code.clone(),
            name: e.name.clone(),
            county_code: e.county_code.clone(),
            address: e.address.clone(),
            chains: current.chains.join(";"),
            size: e.size.clone().unwrap_or_default(),
            ..input
        }
    } else {
        input
    };
    let keep_waiver = e.checksum_waived
        && input
            .credit_code
            .trim()
            .eq_ignore_ascii_case(&e.credit_code);
    let caller = caller.clone();
    let had_chains = current.chains.clone();
    let result = db
        .run(move |conn| {
            // A chain retired since stays on the enterprise that has it.
            let mut chains = known_chains(conn)?;
            for code in &had_chains {
                if !chains.iter().any(|(c, _)| c == code) {
                    chains.extend(Chain::find(conn, code)?.map(|c| (c.code, c.name_zh)));
                }
            }
            let (record, waived) = match parse_enterprise(&input, &chains, waive || keep_waiver) {
                Ok(r) => r,
                Err(issues) => return Ok(Err(EnterpriseError::Invalid(issues))),
            };
            if let Some(issue) = unknown_county(conn, &record.county)? {
                return Ok(Err(EnterpriseError::Invalid(vec![issue])));
            }
            if !own && !may_manage_enterprise(&caller, &record.county) {
                return Ok(Err(EnterpriseError::Invalid(vec![issue(
                    "county_code",
                    "field.enterprise_stays_in_jurisdiction",
                )])));
            }
            let fields = fields_of(&record, waived);
            let outcome = write_transaction(conn, |conn| {
                let before = Enterprise::find(conn, id)?.ok_or(diesel::result::Error::NotFound)?;
                Enterprise::update(conn, id, &fields, Some(caller.user_id), now)?;
                enterprises::set_chains(conn, id, &record.chains)?;
                // Its monitoring figures move with a new county or chains (issue 26).
                crate::services::monitoring::figures::follow_enterprises(conn, &[id])?;
                if !same_address(
                    before.contact_email.as_deref(),
                    fields.contact_email.as_deref(),
                ) {
                    contact_changed(conn, &before, fields.contact_email.as_deref(), &caller, now)?;
                }
                let e = Enterprise::find(conn, id)?.ok_or(diesel::result::Error::NotFound)?;
                Ok::<_, diesel::result::Error>(e)
            });
            Ok(match outcome {
                Ok(e) => Ok(detail(conn, e)?),
                Err(e) => Err(EnterpriseError::from(e)),
            })
        })
        .await?;
    result
}

/// A county code that is well formed but names no county on record.
pub fn unknown_county(
    conn: &mut AnyConnection,
    county: &crate::domain::region::RegionCode,
) -> Result<Option<FieldIssue>, diesel::result::Error> {
    let unknown = crate::storage::regions::Region::unknown(conn, &[county.to_string()])?;
    Ok((!unknown.is_empty()).then(|| {
        issue_with(
            "county_code",
            "field.no_such_county",
            [("county", county.to_string())],
        )
    }))
}

fn same_address(a: Option<&str>, b: Option<&str>) -> bool {
    let norm = |x: Option<&str>| x.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty());
    norm(a) == norm(b)
}

/// A changed contact e-mail is recorded (who changed it never approves a
/// join in its stead), audited, and told to the previous address, so that
/// an enterprise learns when someone points its contact elsewhere.
fn contact_changed(
    conn: &mut AnyConnection,
    before: &Enterprise,
    new_email: Option<&str>,
    caller: &Caller,
    now: chrono::NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    use crate::storage::departments::Department;
    use crate::storage::outbox::{self, NewMessage};
    use crate::storage::users::User;
    Enterprise::set_contact_changed_by(conn, before.id, caller.user_id)?;
    let old = before.contact_email.clone().unwrap_or_default();
    let detail = serde_json::json!({
        "enterprise_id": before.id,
        "from": old,
        "to": new_email.unwrap_or_default(),
    })
    .to_string();
    crate::storage::auth_events::AuthEvent::record(
        conn,
        &crate::storage::auth_events::NewAuthEvent {
            kind: "enterprise_contact_changed",
            user_id: None,
            email: before.contact_email.as_deref(),
            client_address: None,
            actor_id: Some(caller.user_id),
            detail: Some(&detail),
            created_at: now,
        },
    )?;
    if old.trim().is_empty() {
        return Ok(());
    }
    let changer = User::find(conn, caller.user_id)?;
    let changed_by = match changer.as_ref().and_then(|u| u.department_id) {
        Some(d) => Department::find(conn, d)?.map(|d| d.name),
        None => None,
    }
    .or_else(|| changer.as_ref().map(|u| u.display_name.clone()))
    .unwrap_or_default();
    let known = User::find_by_email(conn, old.trim())?;
    outbox::insert_all(
        conn,
        &[NewMessage {
            notice: crate::mail::MailKind::ContactChanged.as_str().into(),
            ticket_id: None,
            recipient_user_id: known.as_ref().map(|u| u.id),
            to_address: old.trim().to_string(),
            locale: known.map_or_else(|| "zh".to_string(), |u| u.locale),
            params: serde_json::json!({
                "enterprise": before.name,
                "credit_code": before.credit_code,
                "new_email": new_email.unwrap_or_default(),
                "changed_by": changed_by,
                "changed_at": now.and_utc(),
            })
            .to_string(),
            status: "pending".into(),
            next_attempt_at: now,
            created_at: now,
        }],
    )?;
    Ok(())
}

/// Verifies a self-registered enterprise at `now` (the app's clock): its
/// county department vouches that it is who it says, and the limits on
/// unverified filers end.
pub async fn verify(
    db: &Database,
    caller: &Caller,
    id: i64,
    now: DateTime<Utc>,
) -> Result<EnterpriseDetail, EnterpriseError> {
    let current = get(db, caller, id).await?;
    let county = crate::domain::region::RegionCode::parse(&current.enterprise.county_code)
        .map_err(|_| EnterpriseError::NotFound)?;
    if !may_verify_enterprise(caller, &county) {
        return Err(EnterpriseError::NotFound);
    }
    if current.enterprise.is_verified() {
        return Err(EnterpriseError::Invalid(vec![issue(
            "verification",
            "field.enterprise_verified_already",
        )]));
    }
    let by = caller.user_id;
    let at = now.naive_utc();
    let result = db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                Enterprise::verify(conn, id, by, at)?;
                crate::services::auth::audit(
                    conn,
                    "enterprise_verified",
                    None,
                    None,
                    None,
                    Some(by),
                    Some(&id.to_string()),
                )?;
                let e = Enterprise::find(conn, id)?.ok_or(diesel::result::Error::NotFound)?;
                Ok::<_, StorageError>(e)
            })
            .and_then(|e| detail(conn, e))
        })
        .await?;
    Ok(result)
}

/// A page of the enterprises the caller may see, matching the filter.
pub async fn search(
    db: &Database,
    caller: &Caller,
    mut filter: EnterpriseFilter,
) -> Result<Vec<(Enterprise, Vec<String>)>, EnterpriseError> {
    match enterprise_scope(caller) {
        EnterpriseScope::All => {}
        EnterpriseScope::RegionPrefix(p) => {
            // Narrow further if asked, never widen.
            filter.region_prefix = match filter.region_prefix.take() {
                Some(asked) if asked.starts_with(&p) => Some(asked),
                Some(asked) if p.starts_with(&asked) => Some(p),
                Some(_) => return Ok(Vec::new()),
                None => Some(p),
            }
        }
        EnterpriseScope::Chain(c) => {
            if filter.chain.as_ref().is_some_and(|asked| asked != &c) {
                return Ok(Vec::new());
            }
            filter.chain = Some(c);
        }
        EnterpriseScope::Only(id) => filter.only_id = Some(id),
        EnterpriseScope::Nothing => return Ok(Vec::new()),
    }
    Ok(db
        .run(move |conn| {
            let found = Enterprise::search(conn, &filter)?;
            let ids: Vec<i64> = found.iter().map(|e| e.id).collect();
            let mut chains = enterprises::chains_of(conn, &ids)?;
            Ok(found
                .into_iter()
                .map(|e| {
                    let c = chains.remove(&e.id).unwrap_or_default();
                    (e, c)
                })
                .collect())
        })
        .await?)
}

/// An enterprise's white-list entries (mutual recognition: any staff).
pub async fn listings(
    db: &Database,
    caller: &Caller,
    id: i64,
) -> Result<Vec<WhitelistEntry>, EnterpriseError> {
    if !may_read_listing(caller, id) {
        return Err(EnterpriseError::NotFound);
    }
    let found = db
        .run(move |conn| match Enterprise::find(conn, id)? {
            Some(_) => Ok(Some(WhitelistEntry::of_enterprise(conn, id)?)),
            None => Ok(None),
        })
        .await?;
    found.ok_or(EnterpriseError::NotFound)
}

/// The department that keeps a list: the ministry, or the province's.
pub fn list_keeper(
    conn: &mut AnyConnection,
    scope: &WhitelistScope,
) -> Result<Option<i64>, StorageError> {
    use crate::storage::schema::departments::dsl as d;
    use diesel::prelude::*;
    let q = d::departments.select(d::id).into_boxed();
    let q = match scope {
        WhitelistScope::National => q.filter(d::kind.eq("ministry")),
        WhitelistScope::Province(code) => q
            .filter(d::region_code.eq(code.to_string()))
            .filter(d::region_level.eq("province")),
    };
    Ok(q.first(conn).optional()?)
}

#[derive(Debug, Clone)]
pub struct NewListing {
    pub scope: String,
    pub batch: i32,
    pub listed_on: NaiveDate,
    pub chain: Option<String>,
    pub note: Option<String>,
}

/// Puts an enterprise on a list the caller keeps, at `now` (the app's clock).
pub async fn add_listing(
    db: &Database,
    caller: &Caller,
    enterprise_id: i64,
    input: NewListing,
    now: DateTime<Utc>,
) -> Result<WhitelistEntry, EnterpriseError> {
    let Some(scope) = WhitelistScope::parse(&input.scope) else {
        return Err(EnterpriseError::Invalid(vec![issue(
            "scope",
            "field.list_scope",
        )]));
    };
    let province = match &scope {
        WhitelistScope::National => None,
        WhitelistScope::Province(p) => Some(p.clone()),
    };
    if !(1..=1000).contains(&input.batch) {
        return Err(EnterpriseError::Invalid(vec![issue(
            "batch",
            "field.list_batch",
        )]));
    }
    let actor = caller.user_id;
    let caller = caller.clone();
    let outcome = db
        .run(move |conn| {
            // An enterprise the caller may not read does not exist for it,
            // whatever else is wrong with the request.
            let Some(e) = Enterprise::find(conn, enterprise_id)? else {
                return Ok(Err(EnterpriseError::NotFound));
            };
            let chains = enterprises::chains_of(conn, &[e.id])?
                .remove(&e.id)
                .unwrap_or_default();
            let Some(f) = facts(&e, &chains).filter(|f| may_read_enterprise(&caller, f)) else {
                return Ok(Err(EnterpriseError::NotFound));
            };
            if !may_keep_list(&caller, province.as_ref()) {
                return Ok(Err(EnterpriseError::Invalid(vec![issue(
                    "scope",
                    "field.list_not_yours",
                )])));
            }
            if !may_list_enterprise(province.as_ref(), &f) {
                return Ok(Err(EnterpriseError::Invalid(vec![issue(
                    "scope",
                    "field.provincial_list_own_province",
                )])));
            }
            if let Some(chain) = &input.chain {
                if !known_chains(conn)?.iter().any(|(c, _)| c == chain) {
                    return Ok(Err(EnterpriseError::Invalid(vec![issue_with(
                        "chain",
                        "field.no_such_chain",
                        [("chain", chain.to_string())],
                    )])));
                }
            }
            let Some(keeper) = list_keeper(conn, &scope)? else {
                return Ok(Err(EnterpriseError::NotFound));
            };
            let new = NewWhitelistEntry {
                enterprise_id,
                scope: scope.as_string(),
                batch: input.batch,
                issuing_department_id: keeper,
                listed_on: input.listed_on,
                removed_on: None,
                chain_code: input.chain.clone(),
                note: input.note.clone(),
                created_by: Some(actor),
                created_at: now.naive_utc(),
            };
            // The listing and the monitoring lists that follow white
            // lists (issue 26) change together.
            let listed = write_transaction(conn, |conn| {
                let entry = WhitelistEntry::insert(conn, &new)?;
                crate::services::monitoring::lists::follow_whitelists(
                    conn,
                    Some(&[new.enterprise_id][..]),
                    new.created_at,
                )?;
                Ok(entry)
            });
            Ok(
                listed.map_err(|e: diesel::result::Error| match EnterpriseError::from(e) {
                    EnterpriseError::CodeTaken => {
                        EnterpriseError::Invalid(vec![issue("batch", "field.already_in_batch")])
                    }
                    other => other,
                }),
            )
        })
        .await?;
    outcome
}

/// Ends a listing; the entry stays as history.
pub async fn remove_listing(
    db: &Database,
    caller: &Caller,
    entry_id: i64,
    on: NaiveDate,
) -> Result<WhitelistEntry, EnterpriseError> {
    let caller = caller.clone();
    let outcome = db
        .run(move |conn| {
            let Some(entry) = WhitelistEntry::find(conn, entry_id)? else {
                return Ok(Err(EnterpriseError::NotFound));
            };
            let province = match WhitelistScope::parse(&entry.scope) {
                Some(WhitelistScope::Province(p)) => Some(p),
                _ => None,
            };
            let listed = Enterprise::find(conn, entry.enterprise_id)?;
            let chains = enterprises::chains_of(conn, &[entry.enterprise_id])?
                .remove(&entry.enterprise_id)
                .unwrap_or_default();
            let readable = listed
                .as_ref()
                .and_then(|e| facts(e, &chains))
                .is_some_and(|f| may_read_enterprise(&caller, &f));
            if !readable || !may_keep_list(&caller, province.as_ref()) {
                return Ok(Err(EnterpriseError::NotFound));
            }
            if entry.removed_on.is_some() || on < entry.listed_on {
                return Ok(Err(EnterpriseError::Invalid(vec![issue(
                    "removed_on",
                    "field.entry_removed_or_date_early",
                )])));
            }
            write_transaction(conn, |conn| {
                WhitelistEntry::remove(conn, entry_id, on, caller.user_id)?;
                // Monitoring lists that follow white lists (issue 26).
                crate::services::monitoring::lists::follow_whitelists(
                    conn,
                    Some(&[entry.enterprise_id][..]),
                    entry.created_at,
                )
            })?;
            Ok(WhitelistEntry::find(conn, entry_id)?.ok_or(EnterpriseError::NotFound))
        })
        .await?;
    outcome
}
