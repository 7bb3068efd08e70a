//! Joining an enterprise on record: someone who proved an address asks to
//! speak for it, and the enterprise's own accounts (or, when it has none,
//! its county department's lead) decide. Until then there is no account, so
//! nobody can file, add information or rate in its name by changing a
//! contact e-mail and registering (issue 20).

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::json;

use super::auth::audit;
use crate::domain::access::{may_decide_join, Caller, JoinFacts};
use crate::domain::region::RegionCode;
use crate::mail::MailKind;
use crate::storage::enterprises::Enterprise;
use crate::storage::join_requests::{
    self, JoinRequest, NewJoinRequest, APPROVED, PENDING, REFUSED,
};
use crate::storage::outbox::{self, NewMessage};
use crate::storage::users::{NewUser, User};
use crate::storage::{write_transaction, AnyConnection, Database, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    /// No such request, or not one the caller decides.
    #[error("not found")]
    NotFound,
    /// Decided already (by someone else, or before).
    #[error("decided already")]
    Decided,
    /// The address has an account by now.
    #[error("the address has an account")]
    EmailTaken,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<diesel::result::Error> for JoinError {
    fn from(e: diesel::result::Error) -> Self {
        JoinError::Storage(e.into())
    }
}

/// A pending request with the enterprise it asks for.
#[derive(Debug, Clone)]
pub struct PendingJoin {
    pub request: JoinRequest,
    pub enterprise: Enterprise,
}

/// Who decides joins of this enterprise: its accounts, or its county leads
/// other than the one who changed its contact e-mail. (id, e-mail, locale).
fn deciders(
    conn: &mut AnyConnection,
    e: &Enterprise,
) -> diesel::QueryResult<Vec<(i64, String, String)>> {
    let accounts = join_requests::active_accounts(conn, e.id)?;
    if !accounts.is_empty() {
        return Ok(accounts);
    }
    Ok(join_requests::county_leads(conn, &e.county_code)?
        .into_iter()
        .filter(|(id, _, _)| Some(*id) != e.contact_changed_by)
        .collect())
}

fn facts(conn: &mut AnyConnection, e: &Enterprise) -> diesel::QueryResult<Option<JoinFacts>> {
    let Ok(county) = RegionCode::parse(&e.county_code) else {
        return Ok(None);
    };
    Ok(Some(JoinFacts {
        enterprise_id: e.id,
        county,
        has_accounts: !join_requests::active_accounts(conn, e.id)?.is_empty(),
        contact_changed_by: e.contact_changed_by,
    }))
}

/// What a person who asks to join gives (their address proven by the
/// activation link).
pub struct Applicant<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub phone: Option<&'a str>,
    pub locale: &'a str,
    pub password_hash: &'a str,
}

/// Records a request to join `e` and tells its deciders, in the caller's
/// transaction.
pub fn request(
    conn: &mut AnyConnection,
    e: &Enterprise,
    who: &Applicant,
    at: NaiveDateTime,
) -> Result<JoinRequest, StorageError> {
    let request = JoinRequest::insert(
        conn,
        &NewJoinRequest {
            enterprise_id: e.id,
            email: who.email,
            display_name: who.display_name,
            phone: who.phone,
            locale: who.locale,
            password_hash: who.password_hash,
            status: PENDING,
            requested_at: at,
        },
    )?;
    let params = json!({
        "enterprise": e.name,
        "name": who.display_name,
        "email": who.email,
        "requested_at": at.and_utc(),
    })
    .to_string();
    let messages: Vec<NewMessage> = deciders(conn, e)?
        .into_iter()
        .map(|(id, email, locale)| NewMessage {
            notice: MailKind::JoinRequested.as_str().into(),
            ticket_id: None,
            recipient_user_id: Some(id),
            to_address: email,
            locale,
            params: params.clone(),
            status: "pending".into(),
            next_attempt_at: at,
            created_at: at,
        })
        .collect();
    outbox::insert_all(conn, &messages)?;
    audit(
        conn,
        "join_requested",
        None,
        Some(who.email),
        None,
        None,
        Some(&e.credit_code),
    )?;
    Ok(request)
}

/// The pending requests the caller decides, oldest first.
pub async fn pending(db: &Database, caller: &Caller) -> Result<Vec<PendingJoin>, JoinError> {
    let caller = caller.clone();
    Ok(db
        .run(move |conn| {
            // Candidates: the caller's own enterprise's requests, or those
            // for enterprises of a county department's county.
            let candidates: Vec<(JoinRequest, Enterprise)> =
                match (caller.enterprise_id, &caller.department) {
                    (Some(id), _) => match Enterprise::find(conn, id)? {
                        Some(e) => JoinRequest::pending_for(conn, &[id])?
                            .into_iter()
                            .map(|r| (r, e.clone()))
                            .collect(),
                        None => Vec::new(),
                    },
                    (None, Some(d)) => match &d.region {
                        Some((code, _)) => JoinRequest::pending_in_county(conn, code.as_str())?,
                        None => Vec::new(),
                    },
                    _ => Vec::new(),
                };
            let mut out = Vec::new();
            for (request, enterprise) in candidates {
                if facts(conn, &enterprise)?.is_some_and(|f| may_decide_join(&caller, &f)) {
                    out.push(PendingJoin {
                        request,
                        enterprise,
                    });
                }
            }
            Ok(out)
        })
        .await?)
}

/// Approves (creating the account, which may act from now on) or refuses a
/// request; tells the person who asked.
pub async fn decide(
    db: &Database,
    caller: &Caller,
    id: i64,
    approve: bool,
    now: DateTime<Utc>,
) -> Result<JoinRequest, JoinError> {
    let caller = caller.clone();
    db.run(move |conn| {
        write_transaction(conn, |conn| {
            let t = now.naive_utc();
            let Some(request) = JoinRequest::find(conn, id)? else {
                return Ok(Err(JoinError::NotFound));
            };
            let Some(e) = Enterprise::find(conn, request.enterprise_id)? else {
                return Ok(Err(JoinError::NotFound));
            };
            if !facts(conn, &e)?.is_some_and(|f| may_decide_join(&caller, &f)) {
                return Ok(Err(JoinError::NotFound));
            }
            if request.status != PENDING {
                return Ok(Err(JoinError::Decided));
            }
            let user = if approve {
                if User::find_by_email(conn, &request.email)?.is_some() {
                    return Ok(Err(JoinError::EmailTaken));
                }
                Some(User::insert(
                    conn,
                    &NewUser {
                        email: &request.email,
                        display_name: &request.display_name,
                        phone: request.phone.as_deref(),
                        role: crate::domain::role::Role::Enterprise,
                        department_id: None,
                        enterprise_id: Some(e.id),
                        password_hash: Some(&request.password_hash),
                        active: true,
                        email_verified_at: Some(request.requested_at),
                        locale: &request.locale,
                        tokens_valid_after: t,
                        created_at: t,
                        updated_at: t,
                    },
                )?)
            } else {
                None
            };
            let status = if approve { APPROVED } else { REFUSED };
            let uid = user.as_ref().map(|u| u.id);
            if !JoinRequest::decide(conn, id, status, caller.user_id, uid, t)? {
                return Ok(Err(JoinError::Decided));
            }
            outbox::insert_all(
                conn,
                &[NewMessage {
                    notice: MailKind::JoinDecided.as_str().into(),
                    ticket_id: None,
                    recipient_user_id: uid,
                    to_address: request.email.clone(),
                    locale: request.locale.clone(),
                    params: json!({"enterprise": e.name, "approved": approve}).to_string(),
                    status: "pending".into(),
                    next_attempt_at: t,
                    created_at: t,
                }],
            )?;
            audit(
                conn,
                if approve {
                    "join_approved"
                } else {
                    "join_refused"
                },
                uid,
                Some(&request.email),
                None,
                Some(caller.user_id),
                Some(&e.credit_code),
            )?;
            let decided = JoinRequest::find(conn, id)?.ok_or(diesel::result::Error::NotFound)?;
            Ok::<_, StorageError>(Ok(decided))
        })
    })
    .await?
}
