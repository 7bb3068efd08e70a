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

/// One field's problem, in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: &'static str,
    pub zh: String,
    pub en: String,
}

fn problem(field: &'static str, zh: impl Into<String>, en: impl Into<String>) -> FieldProblem {
    FieldProblem {
        field,
        zh: zh.into(),
        en: en.into(),
    }
}

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
            problems.push(problem(
                "email",
                "请填写有效的电子邮箱，例如 name@example.cn。",
                e.to_string(),
            ));
            None
        }
    };
    let name = input.display_name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        problems.push(problem(
            "display_name",
            "姓名为 1 到 100 个字符。",
            "A name has 1 to 100 characters.",
        ));
    }
    let phone = input
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    if phone.is_some_and(|p| !valid_phone(p)) {
        problems.push(problem(
            "phone",
            "电话号码格式不正确。",
            "The phone number is not valid.",
        ));
    }
    let locale = input.locale.as_deref().unwrap_or("zh");
    if !matches!(locale, "zh" | "en") {
        problems.push(problem(
            "locale",
            "语言只能是 zh 或 en。",
            "The locale is `zh` or `en`.",
        ));
    }
    let role = Role::parse(&input.role);
    match role {
        None => problems.push(problem(
            "role",
            "角色应为 enterprise、officer、lead、supervisor 或 admin。",
            "The role is one of enterprise, officer, lead, supervisor, admin.",
        )),
        Some(r) if r.is_staff() && input.department_id.is_none() => problems.push(problem(
            "department_id",
            "工作人员须属于一个部门。",
            "Staff belong to a department.",
        )),
        Some(r) if !r.is_staff() && input.department_id.is_some() => problems.push(problem(
            "department_id",
            "只有工作人员属于部门。",
            "Only staff belong to a department.",
        )),
        Some(Role::Enterprise) if input.enterprise_id.is_none() => problems.push(problem(
            "enterprise_id",
            "企业用户须属于一个企业。",
            "An enterprise user belongs to an enterprise.",
        )),
        Some(r) if r != Role::Enterprise && input.enterprise_id.is_some() => {
            problems.push(problem(
                "enterprise_id",
                "只有企业用户属于企业。",
                "Only enterprise users belong to an enterprise.",
            ))
        }
        _ => {}
    }
    if let Some(e) = &email {
        for rule in check_password(&input.password, e) {
            problems.push(problem("password", rule.message_zh(), rule.message_en()));
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
        problems.push(problem(
            "department_id",
            "没有这个部门。",
            "There is no such department.",
        ));
    }
    if !ent_ok {
        problems.push(problem(
            "enterprise_id",
            "没有这个企业。",
            "There is no such enterprise.",
        ));
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
            "不能停用自己的账号。",
            "You cannot deactivate your own account.",
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
                    .map(|r| problem("password", r.message_zh(), r.message_en()))
                    .collect(),
            ),
            other => other.into(),
        })
}
