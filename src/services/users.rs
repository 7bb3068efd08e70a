//! Accounts and (minimal) enterprises, as administrators manage them.

use chrono::{DateTime, Utc};

use super::auth::{audit, AuthError, Authenticator};
use crate::domain::email::Email;
use crate::domain::enterprise::valid_phone;
use crate::domain::password::check_password;
use crate::domain::role::Role;
use crate::storage::departments::Department;
use crate::storage::enterprises::Enterprise;
use crate::storage::users::{NewUser, User};
use crate::storage::{write_transaction, Database, StorageError};

/// One field's problem (the domain's `FieldIssue`).
pub use crate::domain::enterprise::FieldIssue as FieldProblem;
use crate::domain::enterprise::{email_issue, issue as problem};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("invalid fields")]
    Invalid(Vec<FieldProblem>),
    #[error("the e-mail address is taken")]
    EmailTaken,
    #[error("no such user")]
    NotFound,
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<diesel::result::Error> for AccountError {
    fn from(e: diesel::result::Error) -> Self {
        AccountError::Storage(e.into())
    }
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub email: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub role: String,
    pub department_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    pub password: String,
    pub locale: Option<String>,
}

/// Creates an account at `now` (the app's clock); `actor` is the
/// administrator (none from the command line).
pub async fn create_account(
    db: &Database,
    auth: &Authenticator,
    input: NewAccount,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<User, AccountError> {
    let mut problems = Vec::new();
    let email = match Email::parse(&input.email) {
        Ok(e) => Some(e),
        Err(e) => {
            problems.push(email_issue("email", &e));
            None
        }
    };
    let name = input.display_name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        problems.push(problem("display_name", "field.person_name_length"));
    }
    let phone = input
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    if phone.is_some_and(|p| !valid_phone(p)) {
        problems.push(problem("phone", "field.phone_invalid"));
    }
    let locale = input.locale.as_deref().unwrap_or("zh");
    if !matches!(locale, "zh" | "en") {
        problems.push(problem("locale", "field.locale"));
    }
    let role = Role::parse(&input.role);
    match role {
        None => problems.push(problem("role", "field.role")),
        Some(r) if r.is_staff() && input.department_id.is_none() => {
            problems.push(problem("department_id", "field.staff_need_department"))
        }
        Some(r) if !r.is_staff() && input.department_id.is_some() => {
            problems.push(problem("department_id", "field.only_staff_have_department"))
        }
        Some(Role::Enterprise) if input.enterprise_id.is_none() => problems.push(problem(
            "enterprise_id",
            "field.enterprise_user_needs_enterprise",
        )),
        Some(r) if r != Role::Enterprise && input.enterprise_id.is_some() => {
            problems.push(problem(
                "enterprise_id",
                "field.only_enterprise_users_have_enterprise",
            ))
        }
        _ => {}
    }
    if let Some(e) = &email {
        for rule in check_password(&input.password, e) {
            problems.push(FieldProblem {
                field: "password",
                what: rule.phrase(),
            });
        }
    }
    // References must exist.
    let (dept_id, ent_id) = (input.department_id, input.enterprise_id);
    let (dept_ok, ent_ok) = db
        .run(move |conn| {
            Ok((
                match dept_id {
                    Some(d) => Department::find(conn, d)?.is_some(),
                    None => true,
                },
                match ent_id {
                    Some(e) => Enterprise::find(conn, e)?.is_some(),
                    None => true,
                },
            ))
        })
        .await?;
    if !dept_ok {
        problems.push(problem("department_id", "field.no_such_department"));
    }
    if !ent_ok {
        problems.push(problem("enterprise_id", "field.no_such_enterprise"));
    }
    let (Some(email), Some(role), true) = (email, role, problems.is_empty()) else {
        return Err(AccountError::Invalid(problems));
    };

    let hash = auth
        .hasher()
        .hash(input.password)
        .await
        .map_err(|e| AccountError::Auth(AuthError::Internal(e)))?;
    let (phone, locale) = (phone.map(str::to_string), locale.to_string());
    let result = db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                let t = now.naive_utc();
                // Wall time: compared with access tokens' real issue time (iat).
                let tokens_from = Utc::now().naive_utc();
                if User::find_by_email(conn, email.as_str())?.is_some() {
                    return Ok(None);
                }
                let user = User::insert(
                    conn,
                    &NewUser {
                        email: email.as_str(),
                        display_name: &name,
                        phone: phone.as_deref(),
                        role,
                        department_id: dept_id,
                        enterprise_id: ent_id,
                        password_hash: Some(&hash),
                        active: true,
                        email_verified_at: None,
                        locale: &locale,
                        tokens_valid_after: tokens_from,
                        created_at: t,
                        updated_at: t,
                    },
                )?;
                audit(
                    conn,
                    "user_created",
                    Some(user.id),
                    Some(email.as_str()),
                    None,
                    actor,
                    Some(role.as_str()),
                )?;
                Ok::<_, StorageError>(Some(user))
            })
        })
        .await;
    match result {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err(AccountError::EmailTaken),
        Err(StorageError::Query(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ))) => Err(AccountError::EmailTaken),
        Err(e) => Err(e.into()),
    }
}

/// Turns an account off (every session ends) or on again.
pub async fn set_active(
    db: &Database,
    id: i64,
    active: bool,
    actor: i64,
) -> Result<User, AccountError> {
    if !active && id == actor {
        // It would end the administrator's own session at once, and with
        // one administrator, leave no one to undo it.
        return Err(AccountError::Invalid(vec![problem(
            "id",
            "field.cannot_deactivate_own_account",
        )]));
    }
    let found = db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                // Wall time: ends tokens by their real issue time (iat), as log-out does.
                let t = Utc::now().naive_utc();
                if User::set_active(conn, id, active, super::auth::next_second(t))? == 0 {
                    return Ok(None);
                }
                if !active {
                    crate::storage::refresh_tokens::RefreshToken::revoke_all_of_user(conn, id, t)?;
                }
                let kind = if active {
                    "user_activated"
                } else {
                    "user_deactivated"
                };
                audit(conn, kind, Some(id), None, None, Some(actor), None)?;
                Ok::<_, StorageError>(User::find(conn, id)?)
            })
        })
        .await?;
    found.ok_or(AccountError::NotFound)
}

/// An administrator sets a user's password.
pub async fn reset_password(
    db: &Database,
    auth: &Authenticator,
    id: i64,
    password: String,
    actor: i64,
) -> Result<(), AccountError> {
    let user = db
        .run(move |conn| Ok(User::find(conn, id)?))
        .await?
        .ok_or(AccountError::NotFound)?;
    auth.set_password(&user, password, Some(actor), "password_reset")
        .await
        .map_err(|e| match e {
            AuthError::PasswordRejected(rules) => AccountError::Invalid(
                rules
                    .into_iter()
                    .map(|r| FieldProblem {
                        field: "password",
                        what: r.phrase(),
                    })
                    .collect(),
            ),
            other => other.into(),
        })
}
