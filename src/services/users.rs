//! Accounts and (minimal) enterprises, as administrators manage them.

use chrono::{DateTime, Utc};

use super::auth::{audit, AuthError, Authenticator};
use crate::domain::email::Email;
use crate::domain::enterprise::valid_phone;
use crate::domain::password::check_password;
use crate::domain::role::Role;
use crate::storage::auth_events::AuthEvent;
use crate::storage::departments::Department;
use crate::storage::enterprises::Enterprise;
use crate::storage::users::{NewUser, ProfileChange, User, UserFilter};
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
    check_attachment(
        role,
        input.department_id,
        input.enterprise_id,
        &mut problems,
    );
    if let Some(e) = &email {
        for rule in check_password(&input.password, e) {
            problems.push(FieldProblem {
                field: "password",
                what: rule.phrase(),
            });
        }
    }
    let (dept_id, ent_id) = (input.department_id, input.enterprise_id);
    check_references(db, dept_id, ent_id, &mut problems).await?;
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

/// A role's attachment: staff to a department, enterprise users to an
/// enterprise, and no one to what their role does not have.
fn check_attachment(
    role: Option<Role>,
    department_id: Option<i64>,
    enterprise_id: Option<i64>,
    problems: &mut Vec<FieldProblem>,
) {
    match role {
        None => problems.push(problem("role", "field.role")),
        Some(r) if r.is_staff() && department_id.is_none() => {
            problems.push(problem("department_id", "field.staff_need_department"))
        }
        Some(r) if !r.is_staff() && department_id.is_some() => {
            problems.push(problem("department_id", "field.only_staff_have_department"))
        }
        Some(Role::Enterprise) if enterprise_id.is_none() => problems.push(problem(
            "enterprise_id",
            "field.enterprise_user_needs_enterprise",
        )),
        Some(r) if r != Role::Enterprise && enterprise_id.is_some() => problems.push(problem(
            "enterprise_id",
            "field.only_enterprise_users_have_enterprise",
        )),
        _ => {}
    }
}

/// The department and enterprise named must exist.
async fn check_references(
    db: &Database,
    dept_id: Option<i64>,
    ent_id: Option<i64>,
    problems: &mut Vec<FieldProblem>,
) -> Result<(), AccountError> {
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
    Ok(())
}

/// What an administrator changes on an account.
#[derive(Debug, Clone, Default)]
pub struct AccountChange {
    pub display_name: String,
    pub role: String,
    pub department_id: Option<i64>,
    pub enterprise_id: Option<i64>,
}

/// Changes an account's name, role, department or enterprise, with its
/// audit event (what changed, from what) in the same transaction. A
/// changed role ends the person's sessions (a token names its role).
pub async fn update_account(
    db: &Database,
    id: i64,
    change: AccountChange,
    actor: i64,
) -> Result<User, AccountError> {
    let mut problems = Vec::new();
    let name = change.display_name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        problems.push(problem("display_name", "field.person_name_length"));
    }
    let role = Role::parse(&change.role);
    check_attachment(
        role,
        change.department_id,
        change.enterprise_id,
        &mut problems,
    );
    if id == actor && role.is_some_and(|r| r != Role::Admin) {
        // Like deactivating oneself: it could leave no one to undo it.
        problems.push(problem("role", "desk_admin.cannot_change_own_role"));
    }
    let (dept_id, ent_id) = (change.department_id, change.enterprise_id);
    check_references(db, dept_id, ent_id, &mut problems).await?;
    let (Some(role), true) = (role, problems.is_empty()) else {
        return Err(AccountError::Invalid(problems));
    };
    let found = db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                let Some(before) = User::find(conn, id)? else {
                    return Ok(None);
                };
                let mut changed = Vec::new();
                if before.display_name != name {
                    changed.push("display_name".to_string());
                }
                if before.role != role {
                    changed.push(format!("role:{}->{}", before.role.as_str(), role.as_str()));
                }
                let id_text = |v: Option<i64>| v.map_or("-".to_string(), |v| v.to_string());
                if before.department_id != dept_id {
                    changed.push(format!(
                        "department:{}->{}",
                        id_text(before.department_id),
                        id_text(dept_id)
                    ));
                }
                if before.enterprise_id != ent_id {
                    changed.push(format!(
                        "enterprise:{}->{}",
                        id_text(before.enterprise_id),
                        id_text(ent_id)
                    ));
                }
                if changed.is_empty() {
                    return Ok(Some(before));
                }
                let t = Utc::now().naive_utc();
                User::update_profile(
                    conn,
                    id,
                    &ProfileChange {
                        display_name: &name,
                        role,
                        department_id: dept_id,
                        enterprise_id: ent_id,
                    },
                    t,
                )?;
                if before.role != role {
                    crate::storage::refresh_tokens::RefreshToken::revoke_all_of_user(conn, id, t)?;
                }
                audit(
                    conn,
                    "user_updated",
                    Some(id),
                    Some(&before.email),
                    None,
                    Some(actor),
                    Some(&changed.join(";")),
                )?;
                Ok::<_, StorageError>(User::find(conn, id)?)
            })
        })
        .await?;
    found.ok_or(AccountError::NotFound)
}

/// An account as its page shows it: with its department and enterprise,
/// and its last log-in (among its latest account events).
pub struct AccountView {
    pub user: User,
    pub department: Option<Department>,
    pub enterprise: Option<Enterprise>,
    pub last_login: Option<chrono::NaiveDateTime>,
}

/// How far back among an account's events its last log-in is looked for.
const EVENTS_SEARCHED: i64 = 200;

pub async fn account(db: &Database, id: i64) -> Result<AccountView, AccountError> {
    let found = db
        .run(move |conn| {
            let Some(user) = User::find(conn, id)? else {
                return Ok(None);
            };
            let department = match user.department_id {
                Some(d) => Department::find(conn, d)?,
                None => None,
            };
            let enterprise = match user.enterprise_id {
                Some(e) => Enterprise::find(conn, e)?,
                None => None,
            };
            let last_login = AuthEvent::recent(conn, Some(id), EVENTS_SEARCHED)?
                .into_iter()
                .find(|e| e.kind == "login_ok")
                .map(|e| e.created_at);
            Ok(Some(AccountView {
                user,
                department,
                enterprise,
                last_login,
            }))
        })
        .await?;
    found.ok_or(AccountError::NotFound)
}

/// A page of accounts with the names of their departments and enterprises.
pub struct NamedAccount {
    pub user: User,
    pub department: Option<String>,
    pub enterprise: Option<String>,
}

pub async fn list_named(
    db: &Database,
    filter: UserFilter,
) -> Result<Vec<NamedAccount>, StorageError> {
    db.run(move |conn| {
        let users = User::list(conn, &filter)?;
        let mut dept_ids: Vec<i64> = users.iter().filter_map(|u| u.department_id).collect();
        dept_ids.sort_unstable();
        dept_ids.dedup();
        let departments: std::collections::HashMap<i64, String> =
            Department::load_many(conn, &dept_ids)?
                .into_iter()
                .map(|d| (d.id, d.name))
                .collect();
        let mut enterprises = std::collections::HashMap::new();
        for e in users.iter().filter_map(|u| u.enterprise_id) {
            if let std::collections::hash_map::Entry::Vacant(slot) = enterprises.entry(e) {
                slot.insert(Enterprise::find(conn, e)?.map(|e| e.name));
            }
        }
        Ok(users
            .into_iter()
            .map(|u| NamedAccount {
                department: u.department_id.and_then(|d| departments.get(&d).cloned()),
                enterprise: u
                    .enterprise_id
                    .and_then(|e| enterprises.get(&e).cloned().flatten()),
                user: u,
            })
            .collect())
    })
    .await
}

/// Whether an active administrator exists (the log-in page otherwise
/// says how to create the first one).
pub async fn any_administrator(db: &Database) -> Result<bool, StorageError> {
    let filter = UserFilter {
        role: Some(Role::Admin.as_str().to_string()),
        active: Some(true),
        limit: 1,
        ..UserFilter::default()
    };
    db.run(move |conn| Ok(!User::list(conn, &filter)?.is_empty()))
        .await
}

/// The demo accounts one logs in with (those with a password), in the
/// order the demo made them.
pub async fn demo_logins(db: &Database) -> Result<Vec<User>, StorageError> {
    let filter = UserFilter {
        limit: 100_000,
        ..UserFilter::default()
    };
    db.run(move |conn| {
        Ok(User::list(conn, &filter)?
            .into_iter()
            .filter(|u| u.demo && u.active && u.password_hash.is_some())
            .collect())
    })
    .await
}
