//! Accounts people look after themselves, by e-mail: an enterprise registers
//! and activates its account through a link, and anyone resets a forgotten
//! password through a link. Links are single-use, stored only as hashes; the
//! e-mail goes through the outbox in the same transaction as its token.
//!
//! Neither request says whether an address has an account: registering a
//! taken address and resetting an unknown one answer like any other.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use super::auth::{audit, next_second, AuthError, Authenticator};
use super::enterprises::fields_of;
use crate::domain::credit_code::CreditCode;
use crate::domain::email::Email;
use crate::domain::enterprise::{
    email_issue, is_county, issue, issue_with, parse_enterprise, EnterpriseInput, FieldIssue,
};
use crate::domain::password::{check_password, PasswordRule};
use crate::domain::region::RegionCode;
use crate::mail::MailKind;
use crate::security::refresh::{new_token, token_hash};
use crate::storage::account_tokens::{self, NewAccountToken};
use crate::storage::enterprises::Enterprise;
use crate::storage::join_requests::{self, JoinRequest};
use crate::storage::outbox::{self, NewMessage};
use crate::storage::refresh_tokens::RefreshToken;
use crate::storage::users::{NewUser, User};
use crate::storage::{write_transaction, AnyConnection, Database, StorageError};

const ACTIVATION: &str = "activation";
const PASSWORD_RESET: &str = "password_reset";
/// How long a password-reset link works.
pub const RESET_MINUTES: i64 = 30;
/// Links of one purpose one address may be sent per window (a flood guard).
const LINKS_PER_WINDOW: i64 = 3;

/// What an enterprise gives to register.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Registration {
    pub credit_code: String,
    pub enterprise_name: String,
    /// The county; by default the region inside the credit code, if that is a county.
    pub county_code: Option<String>,
    pub address: Option<String>,
    pub contact_name: String,
    pub email: String,
    pub phone: Option<String>,
    pub locale: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SelfServiceError {
    #[error("invalid fields")]
    Invalid(Vec<FieldIssue>),
    /// The link is unknown, used or expired.
    #[error("the link is invalid or expired")]
    InvalidLink,
    #[error("password refused")]
    PasswordRejected(Vec<PasswordRule>),
    #[error("an account with this e-mail exists")]
    EmailTaken,
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<diesel::result::Error> for SelfServiceError {
    fn from(e: diesel::result::Error) -> Self {
        SelfServiceError::Storage(e.into())
    }
}

/// The checked registration, as kept with its activation token.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    enterprise: EnterpriseInputData,
    display_name: String,
    email: String,
    phone: Option<String>,
    locale: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct EnterpriseInputData {
    credit_code: String,
    name: String,
    county_code: String,
    address: String,
}

impl Pending {
    fn input(&self) -> EnterpriseInput {
        EnterpriseInput {
            credit_code: self.enterprise.credit_code.clone(),
            name: self.enterprise.name.clone(),
            county_code: self.enterprise.county_code.clone(),
            address: self.enterprise.address.clone(),
            contact_name: self.display_name.clone(),
            contact_phone: self.phone.clone().unwrap_or_default(),
            contact_email: self.email.clone(),
            ..Default::default()
        }
    }
}

/// Checks a registration; returns what activation will create, or every problem.
fn check_registration(r: &Registration) -> Result<Pending, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let email = Email::parse(&r.email).map_err(|e| issues.push(email_issue("email", &e)));
    let display_name = r.contact_name.trim().to_string();
    if display_name.is_empty() || display_name.chars().count() > 50 {
        issues.push(issue("contact_name", "field.contact_name_length"));
    }
    let locale = r.locale.as_deref().unwrap_or("zh").to_string();
    if !matches!(locale.as_str(), "zh" | "en") {
        issues.push(issue("locale", "field.locale"));
    }
    let county = r
        .county_code
        .clone()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| {
            let code = CreditCode::parse(&r.credit_code).ok()?;
            RegionCode::parse(code.region())
                .ok()
                .filter(is_county)
                .map(|c| c.to_string())
        })
        .unwrap_or_default();
    let pending = Pending {
        enterprise: EnterpriseInputData {
            credit_code: r.credit_code.trim().to_uppercase(),
            name: r.enterprise_name.trim().to_string(),
            county_code: county,
            address: r.address.clone().unwrap_or_default(),
        },
        display_name,
        email: email.as_ref().map(|e| e.to_string()).unwrap_or_default(),
        phone: r.phone.clone().filter(|p| !p.trim().is_empty()),
        locale,
    };
    // The enterprise's own rules, with the registrant as its contact.
    if let Err(found) = parse_enterprise(&pending.input(), &[], false) {
        for mut i in found {
            i.field = match i.field {
                "name" => "enterprise_name",
                "contact_phone" => "phone",
                "contact_email" => "email",
                other => other,
            };
            // Without a valid code there is no county to derive: one error is enough.
            let derived = r.county_code.as_deref().is_none_or(|c| c.trim().is_empty());
            if i.field == "county_code" && derived && found_code_issue(&r.credit_code) {
                continue;
            }
            if !issues.iter().any(|x: &FieldIssue| x.field == i.field) {
                issues.push(i);
            }
        }
    }
    if issues.is_empty() {
        Ok(pending)
    } else {
        Err(issues)
    }
}

/// Whether the enterprise's record names this address as its contact.
fn is_contact(e: &Enterprise, email: &str) -> bool {
    e.contact_email
        .as_deref()
        .is_some_and(|c| c.trim().eq_ignore_ascii_case(email))
}

fn found_code_issue(code: &str) -> bool {
    CreditCode::parse(code).is_err()
}

fn queue_link(
    conn: &mut AnyConnection,
    kind: MailKind,
    to: &str,
    locale: &str,
    user_id: Option<i64>,
    params: serde_json::Value,
    at: NaiveDateTime,
) -> diesel::QueryResult<()> {
    outbox::insert_all(
        conn,
        &[NewMessage {
            notice: kind.as_str().into(),
            ticket_id: None,
            recipient_user_id: user_id,
            to_address: to.into(),
            locale: locale.into(),
            params: params.to_string(),
            status: "pending".into(),
            next_attempt_at: at,
            created_at: at,
        }],
    )
}

/// Registers an enterprise account: sends an activation link to the
/// address. A taken address, an enterprise whose recorded contact is another
/// address, or too many requests send nothing, and answer the same.
pub async fn register(
    db: &Database,
    input: Registration,
    client: String,
    now: DateTime<Utc>,
    valid_minutes: i64,
) -> Result<(), SelfServiceError> {
    let pending = check_registration(&input).map_err(SelfServiceError::Invalid)?;
    db.run(move |conn| {
        write_transaction(conn, |conn| {
            let t = now.naive_utc();
            let email = pending.email.clone();
            let refuse = |conn: &mut AnyConnection,
                          why: &str|
             -> Result<Result<(), SelfServiceError>, StorageError> {
                audit(
                    conn,
                    "registration_ignored",
                    None,
                    Some(&email),
                    Some(&client),
                    None,
                    Some(why),
                )?;
                Ok(Ok(()))
            };
            let county = pending.enterprise.county_code.clone();
            if !crate::storage::regions::Region::unknown(conn, std::slice::from_ref(&county))?
                .is_empty()
            {
                return Ok(Err(SelfServiceError::Invalid(vec![issue_with(
                    "county_code",
                    "field.no_such_county_give",
                    [("county", county.to_string())],
                )])));
            }
            if User::find_by_email(conn, &email)?.is_some() {
                return refuse(conn, "email_taken");
            }
            if JoinRequest::pending_of_email(conn, &email)?.is_some() {
                return refuse(conn, "join_pending");
            }
            if let Some(e) = Enterprise::find_by_code(conn, &pending.enterprise.credit_code)? {
                // A code on record is that enterprise's, under its name.
                if !same_name(&e.name, &pending.enterprise.name) {
                    return Ok(Err(SelfServiceError::Invalid(vec![name_mismatch()])));
                }
                // Anyone may ask to join an enterprise that has accounts
                // (they decide); one without accounts only from the contact
                // e-mail its record names, since anyone may know its
                // (public) credit code.
                let has_accounts = !join_requests::active_accounts(conn, e.id)?.is_empty();
                if !has_accounts && !is_contact(&e, &email) {
                    return refuse(conn, "not_the_enterprise_contact");
                }
            }
            let window = t - Duration::hours(1);
            if account_tokens::issued_since(conn, ACTIVATION, &email, window)? >= LINKS_PER_WINDOW {
                return refuse(conn, "too_many_requests");
            }
            let token = new_token();
            let expires = t + Duration::minutes(valid_minutes.max(1));
            account_tokens::insert(
                conn,
                &NewAccountToken {
                    purpose: ACTIVATION.into(),
                    token_hash: token_hash(&token),
                    email: email.clone(),
                    user_id: None,
                    payload: Some(
                        serde_json::to_string(&pending).expect("a registration serializes"),
                    ),
                    created_at: t,
                    expires_at: expires,
                },
            )?;
            queue_link(
                conn,
                MailKind::Activation,
                &email,
                &pending.locale,
                None,
                serde_json::json!({
                    "token": token,
                    "enterprise": pending.enterprise.name,
                    "credit_code": pending.enterprise.credit_code,
                    "expires_at": expires.and_utc(),
                }),
                t,
            )?;
            audit(
                conn,
                "registration_requested",
                None,
                Some(&email),
                Some(&client),
                None,
                Some(&pending.enterprise.credit_code),
            )?;
            Ok::<_, StorageError>(Ok(()))
        })
    })
    .await?
}

/// Names compared as people type them: spacing and full-width brackets
/// aside.
fn same_name(recorded: &str, given: &str) -> bool {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| match c {
                '（' => '(',
                '）' => ')',
                other => other,
            })
            .collect()
    };
    norm(recorded) == norm(given)
}

fn name_mismatch() -> FieldIssue {
    issue("enterprise_name", "field.credit_code_under_other_name")
}

/// What an activation link led to.
#[derive(Debug)]
pub enum Activated {
    /// A new enterprise (unverified until its county department verifies
    /// it) and its first account, which may log in now.
    Account(Box<User>),
    /// The enterprise is on record: a request to join it, which its
    /// accounts (or its county department's lead) decide.
    AwaitingApproval { enterprise: String },
}

/// Activates a registration: for an enterprise not on record, creates it
/// (unverified) and its account with the chosen password; for one on
/// record, asks to join it. Either way the link is used up.
pub async fn activate(
    db: &Database,
    auth: &Authenticator,
    token: &str,
    password: String,
    now: DateTime<Utc>,
) -> Result<Activated, SelfServiceError> {
    let hash = token_hash(token.trim());
    let t = now.naive_utc();
    let found = {
        let hash = hash.clone();
        db.run(move |conn| Ok(account_tokens::usable(conn, ACTIVATION, &hash, t)?))
            .await?
            .ok_or(SelfServiceError::InvalidLink)?
    };
    let pending: Pending = found
        .payload
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .ok_or(SelfServiceError::InvalidLink)?;
    let email = Email::parse(&pending.email).map_err(|_| SelfServiceError::InvalidLink)?;
    let broken = check_password(&password, &email);
    if !broken.is_empty() {
        return Err(SelfServiceError::PasswordRejected(broken));
    }
    let password_hash = auth
        .hasher()
        .hash(password)
        .await
        .map_err(AuthError::Internal)?;
    db.run(move |conn| {
        write_transaction(conn, |conn| {
            if !account_tokens::consume(conn, found.id, t)? {
                return Ok(Err(SelfServiceError::InvalidLink));
            }
            if User::find_by_email(conn, email.as_str())?.is_some() {
                return Ok(Err(SelfServiceError::EmailTaken));
            }
            let Ok((record, _)) = parse_enterprise(&pending.input(), &[], false) else {
                return Ok(Err(SelfServiceError::InvalidLink));
            };
            account_tokens::void_others(conn, ACTIVATION, email.as_str(), t)?;
            if let Some(e) = Enterprise::find_by_code(conn, record.credit_code.as_str())? {
                // The rules of `register` again: things may have changed.
                let has_accounts = !join_requests::active_accounts(conn, e.id)?.is_empty();
                if !same_name(&e.name, &pending.enterprise.name)
                    || (!has_accounts && !is_contact(&e, email.as_str()))
                    || JoinRequest::pending_of_email(conn, email.as_str())?.is_some()
                {
                    return Ok(Err(SelfServiceError::InvalidLink));
                }
                crate::services::join_requests::request(
                    conn,
                    &e,
                    &crate::services::join_requests::Applicant {
                        email: email.as_str(),
                        display_name: &pending.display_name,
                        phone: pending.phone.as_deref(),
                        locale: &pending.locale,
                        password_hash: &password_hash,
                    },
                    t,
                )?;
                return Ok(Ok(Activated::AwaitingApproval { enterprise: e.name }));
            }
            let enterprise = Enterprise::insert(conn, &fields_of(&record, false), None, t)?;
            Enterprise::mark_unverified(conn, enterprise.id)?;
            // The registration asks for a mobile: it gets the SMS notices
            // (a landline does not).
            if let Ok(Some(mobile)) =
                crate::domain::channels::parse_mobile(pending.phone.as_deref().unwrap_or(""))
            {
                crate::storage::mobiles::set(conn, enterprise.id, Some(&mobile), None, t)?;
            }
            let user = User::insert(
                conn,
                &NewUser {
                    email: email.as_str(),
                    display_name: &pending.display_name,
                    phone: pending.phone.as_deref(),
                    role: crate::domain::role::Role::Enterprise,
                    department_id: None,
                    enterprise_id: Some(enterprise.id),
                    password_hash: Some(&password_hash),
                    active: true,
                    email_verified_at: Some(t),
                    locale: &pending.locale,
                    tokens_valid_after: t,
                    created_at: t,
                    updated_at: t,
                },
            )?;
            audit(
                conn,
                "registration_activated",
                Some(user.id),
                Some(email.as_str()),
                None,
                None,
                Some(&enterprise.credit_code),
            )?;
            Ok::<_, StorageError>(Ok(Activated::Account(Box::new(user))))
        })
    })
    .await?
}

/// Sends a password-reset link if the address belongs to an active
/// account; answers the same either way.
pub async fn request_password_reset(
    db: &Database,
    email: &str,
    client: String,
    now: DateTime<Utc>,
) -> Result<(), SelfServiceError> {
    let email = Email::parse(email)
        .map_err(|e| SelfServiceError::Invalid(vec![email_issue("email", &e)]))?;
    db.run(move |conn| {
        write_transaction(conn, |conn| {
            let t = now.naive_utc();
            // Both answers do the same reads and a write, so that the time
            // taken does not tell whether the address has an account.
            let user = User::find_by_email(conn, email.as_str())?.filter(|u| u.active);
            let window = t - Duration::minutes(RESET_MINUTES);
            let recent =
                account_tokens::issued_since(conn, PASSWORD_RESET, email.as_str(), window)?;
            let Some(user) = user else {
                return audit(
                    conn,
                    "password_reset_ignored",
                    None,
                    Some(email.as_str()),
                    Some(&client),
                    None,
                    Some("no_active_account"),
                );
            };
            if recent >= LINKS_PER_WINDOW {
                return audit(
                    conn,
                    "password_reset_ignored",
                    Some(user.id),
                    Some(&user.email),
                    Some(&client),
                    None,
                    Some("too_many_requests"),
                );
            }
            queue_reset_link(conn, &user, t)?;
            audit(
                conn,
                "password_reset_requested",
                Some(user.id),
                Some(&user.email),
                Some(&client),
                None,
                None,
            )
        })
    })
    .await?;
    Ok(())
}

/// Stores a reset token for the account and queues its e-mail.
fn queue_reset_link(
    conn: &mut AnyConnection,
    user: &User,
    t: NaiveDateTime,
) -> Result<(), StorageError> {
    let token = new_token();
    let expires = t + Duration::minutes(RESET_MINUTES);
    account_tokens::insert(
        conn,
        &NewAccountToken {
            purpose: PASSWORD_RESET.into(),
            token_hash: token_hash(&token),
            email: user.email.clone(),
            user_id: Some(user.id),
            payload: None,
            created_at: t,
            expires_at: expires,
        },
    )?;
    queue_link(
        conn,
        MailKind::PasswordReset,
        &user.email,
        &user.locale,
        Some(user.id),
        serde_json::json!({"token": token, "expires_at": expires.and_utc()}),
        t,
    )?;
    Ok(())
}

/// Why an administrator's reset link was not sent.
#[derive(Debug, thiserror::Error)]
pub enum ResetLinkError {
    #[error("no such user")]
    NotFound,
    /// A deactivated account cannot use a link (reactivate it first).
    #[error("the account is deactivated")]
    Inactive,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// An administrator sends a user the same password-reset link the user
/// could ask for, through the outbox, with its audit event; the flood
/// guard does not apply (an administrator asks on purpose).
pub async fn send_reset_link(
    db: &Database,
    user_id: i64,
    actor: i64,
    now: DateTime<Utc>,
) -> Result<(), ResetLinkError> {
    db.run(move |conn| {
        write_transaction(conn, |conn| {
            let t = now.naive_utc();
            let Some(user) = User::find(conn, user_id)? else {
                return Ok(Err(ResetLinkError::NotFound));
            };
            if !user.active {
                return Ok(Err(ResetLinkError::Inactive));
            }
            queue_reset_link(conn, &user, t)?;
            audit(
                conn,
                "password_reset_sent",
                Some(user.id),
                Some(&user.email),
                None,
                Some(actor),
                None,
            )?;
            Ok::<_, StorageError>(Ok(()))
        })
    })
    .await?
}

/// Sets a new password through a reset link: the link is used up, every
/// other reset link of the account voided, and every session ended.
pub async fn reset_password(
    db: &Database,
    auth: &Authenticator,
    token: &str,
    password: String,
    now: DateTime<Utc>,
) -> Result<(), SelfServiceError> {
    let hash = token_hash(token.trim());
    let t = now.naive_utc();
    let (found, user) = db
        .run(move |conn| {
            let Some(found) = account_tokens::usable(conn, PASSWORD_RESET, &hash, t)? else {
                return Ok(None);
            };
            let user = match found.user_id {
                Some(id) => User::find(conn, id)?.filter(|u| u.active),
                None => None,
            };
            Ok(user.map(|u| (found, u)))
        })
        .await?
        .ok_or(SelfServiceError::InvalidLink)?;
    let email = Email::parse(&user.email).map_err(|e| AuthError::Internal(e.to_string()))?;
    let broken = check_password(&password, &email);
    if !broken.is_empty() {
        return Err(SelfServiceError::PasswordRejected(broken));
    }
    let password_hash = auth
        .hasher()
        .hash(password)
        .await
        .map_err(AuthError::Internal)?;
    db.run(move |conn| {
        write_transaction(conn, |conn| {
            if !account_tokens::consume(conn, found.id, t)? {
                return Ok(Err(SelfServiceError::InvalidLink));
            }
            User::set_password(conn, user.id, &password_hash, next_second(t))?;
            RefreshToken::revoke_all_of_user(conn, user.id, t)?;
            account_tokens::void_others(conn, PASSWORD_RESET, &user.email, t)?;
            audit(
                conn,
                "password_reset",
                Some(user.id),
                Some(&user.email),
                None,
                None,
                Some("email_link"),
            )?;
            Ok::<_, StorageError>(Ok(()))
        })
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registration_lists_every_bad_field_and_takes_the_county_from_the_code() {
        let bad = Registration {
            credit_code: "91310115591693856B".into(),
            enterprise_name: "".into(),
            contact_name: "".into(),
            email: "not-an-address".into(),
            ..Default::default()
        };
        let issues = check_registration(&bad).unwrap_err();
        let mut fields: Vec<&str> = issues.iter().map(|i| i.field).collect();
        fields.sort();
        assert_eq!(
            fields,
            ["contact_name", "credit_code", "email", "enterprise_name"]
        );

        let good = Registration {
            credit_code: "91310115591693856a".into(),
            enterprise_name: "上海某汽车零部件有限公司".into(),
            contact_name: "王经理".into(),
            email: "Wang@Example.cn".into(),
            ..Default::default()
        };
        let p = check_registration(&good).unwrap();
        assert_eq!(p.enterprise.county_code, "310115");
        assert_eq!(p.enterprise.credit_code, "91310115591693856A");
        assert_eq!(p.email, "wang@example.cn");
    }
}
