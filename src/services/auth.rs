//! Log-in, token refresh and log-out, password change, and turning a bearer
//! token into a [`Caller`].

use std::sync::Arc;

use chrono::{Duration, NaiveDateTime, Utc};

use crate::configuration::AuthSettings;
use crate::domain::access::{Caller, DepartmentScope};
use crate::domain::email::Email;
use crate::domain::password::{check_password, PasswordRule};
use crate::domain::region::RegionCode;
use crate::domain::throttle::{retry_after, ThrottlePolicy};
use crate::security::jwt::{TokenError, TokenKeys};
use crate::security::passwords::PasswordHasher;
use crate::security::refresh;
use crate::storage::auth_events::{AuthEvent, NewAuthEvent};
use crate::storage::departments::Department;
use crate::storage::refresh_tokens::{NewRefreshToken, RefreshToken};
use crate::storage::users::User;
use crate::storage::{login_throttles, write_transaction, AnyConnection, Database, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("wrong e-mail or password")]
    InvalidCredentials,
    #[error("too many failed log-ins; retry in {0} s")]
    Throttled(u64),
    #[error("the refresh token is not valid")]
    InvalidRefreshToken,
    #[error("demo accounts are refused in the production profile")]
    DemoAccountRefused,
    #[error("the access token is missing or not valid")]
    InvalidAccessToken(Option<TokenError>),
    #[error("the current password is wrong")]
    WrongCurrentPassword,
    #[error("the password breaks the policy")]
    PasswordRejected(Vec<PasswordRule>),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("{0}")]
    Internal(String),
}

impl From<diesel::result::Error> for AuthError {
    fn from(e: diesel::result::Error) -> Self {
        AuthError::Storage(e.into())
    }
}

/// What a successful log-in or refresh hands the client.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: String,
    pub access_expires_in: i64,
    pub refresh_token: String,
    pub refresh_expires_in: i64,
}

/// What a refresh token was good for; each names its log-in (family).
enum Renewal {
    /// Rotated: the user and the next refresh token.
    Rotated(Box<User>, String, String),
    /// Rotated a moment ago by a concurrent request of the same client.
    Concurrent(Box<User>, String),
}

/// A renewed web session.
pub struct SessionRenewal {
    pub access_token: String,
    pub access_expires_in: i64,
    /// The next refresh token and its lifetime in seconds; None when a
    /// concurrent request rotated it (and sets it in the browser).
    pub refresh: Option<(String, i64)>,
}

/// The authentication service, shared by the API and the web pages.
#[derive(Clone)]
pub struct Authenticator {
    db: Database,
    hasher: PasswordHasher,
    keys: Arc<TokenKeys>,
    refresh_lifetime: Duration,
    /// A second use of a refresh token this soon after its rotation is the
    /// same client renewing twice at once, not a leaked token replayed.
    reuse_grace: Duration,
    /// Failures of one account from one client.
    account_policy: ThrottlePolicy,
    /// Failures from one client, whichever accounts it tries.
    address_policy: ThrottlePolicy,
    /// The production profile: accounts made by `yizhan demo` may not log in.
    refuse_demo: bool,
}

fn now() -> NaiveDateTime {
    // Wall time: throttles and refresh tokens go with JWTs, checked on the system clock.
    Utc::now().naive_utc()
}

/// Access tokens carry whole seconds (`iat`): an instant rounded up to the
/// next second is later than every token issued before it.
pub fn next_second(t: NaiveDateTime) -> NaiveDateTime {
    use chrono::{DurationRound, TimeDelta};
    let floor = t.duration_trunc(TimeDelta::seconds(1)).unwrap_or(t);
    if floor == t {
        t
    } else {
        floor + TimeDelta::seconds(1)
    }
}

impl Authenticator {
    pub fn new(db: Database, settings: &AuthSettings) -> Result<Authenticator, String> {
        let window = Duration::minutes(settings.login_window_minutes);
        let first_delay = Duration::seconds(settings.login_first_delay_secs);
        let max_delay = Duration::minutes(settings.login_lock_minutes);
        Ok(Authenticator {
            db,
            hasher: PasswordHasher::from_settings(settings)?,
            keys: Arc::new(TokenKeys::from_settings(settings)?),
            refresh_lifetime: Duration::days(settings.refresh_token_days),
            reuse_grace: Duration::seconds(settings.refresh_reuse_grace_secs.max(0)),
            account_policy: ThrottlePolicy {
                max_failures: settings.login_max_failures_per_account,
                window,
                first_delay,
                max_delay,
            },
            address_policy: ThrottlePolicy {
                max_failures: settings.login_max_failures_per_address,
                window,
                first_delay,
                max_delay,
            },
            refuse_demo: false,
        })
    }

    /// Refuses the demo accounts (the production profile).
    pub fn refusing_demo_accounts(mut self, refuse: bool) -> Authenticator {
        self.refuse_demo = refuse;
        self
    }

    pub fn hasher(&self) -> &PasswordHasher {
        &self.hasher
    }

    /// Seconds the account must wait before another try from `client`.
    async fn throttled(&self, keys: &ThrottleKeys) -> Result<Option<u64>, AuthError> {
        let (ak, dk) = (keys.account.clone(), keys.address.clone());
        let (acc, addr) = self
            .db
            .run(move |conn| {
                Ok((
                    login_throttles::load(conn, &ak)?,
                    login_throttles::load(conn, &dk)?,
                ))
            })
            .await?;
        let t = now().and_utc();
        Ok(
            [retry_after(acc.as_ref(), t), retry_after(addr.as_ref(), t)]
                .into_iter()
                .flatten()
                .max(),
        )
    }

    /// Counts a wrong password against the account-and-client and the client.
    fn record_failure(
        &self,
        conn: &mut AnyConnection,
        keys: &ThrottleKeys,
    ) -> Result<(), StorageError> {
        login_throttles::record_failure(conn, &keys.account, now(), &self.account_policy)?;
        login_throttles::record_failure(conn, &keys.address, now(), &self.address_policy)?;
        Ok(())
    }

    /// Checks the password, minding the throttle; issues tokens.
    pub async fn login(
        &self,
        email: &str,
        password: String,
        client: &str,
    ) -> Result<(Tokens, User), AuthError> {
        // A malformed address is just an unknown account.
        let email = Email::parse(email)
            .map(|e| e.to_string())
            .unwrap_or_else(|_| email.trim().to_lowercase());
        let keys = ThrottleKeys::new(&email, client);
        let user = {
            let email = email.clone();
            self.db
                .run(move |conn| Ok(User::find_by_email(conn, &email)?))
                .await?
        };
        if let Some(secs) = self.throttled(&keys).await? {
            let (email, client, uid) = (
                email.clone(),
                client.to_string(),
                user.as_ref().map(|u| u.id),
            );
            self.db
                .run(move |conn| {
                    audit(
                        conn,
                        "login_throttled",
                        uid,
                        Some(&email),
                        Some(&client),
                        None,
                        None,
                    )?;
                    Ok(())
                })
                .await?;
            return Err(AuthError::Throttled(secs));
        }

        let usable = user.as_ref().filter(|u| u.active);
        let matched = self
            .hasher
            .verify(password, usable.and_then(|u| u.password_hash.clone()))
            .await;
        // Requests sent in parallel all passed the check above before any
        // failure was counted: look again, so that once the key is delayed
        // even a right guess tells the caller nothing.
        if let Some(secs) = self.throttled(&keys).await? {
            return Err(AuthError::Throttled(secs));
        }

        let Some(user) = usable.filter(|_| matched).cloned() else {
            let reason = match &user {
                None => "unknown_email",
                Some(u) if !u.active => "inactive",
                Some(_) => "wrong_password",
            };
            let (email, client, uid) = (
                email.clone(),
                client.to_string(),
                user.as_ref().map(|u| u.id),
            );
            let this = self.clone();
            let keys = keys.clone();
            self.db
                .run(move |conn| {
                    this.record_failure(conn, &keys)?;
                    audit(
                        conn,
                        "login_failed",
                        uid,
                        Some(&email),
                        Some(&client),
                        None,
                        Some(reason),
                    )?;
                    Ok(())
                })
                .await?;
            return Err(AuthError::InvalidCredentials);
        };
        if self.refuse_demo && user.demo {
            return Err(AuthError::DemoAccountRefused);
        }

        let refresh_token = refresh::new_token();
        let family = refresh::new_family();
        let lifetime = self.refresh_lifetime;
        let (uid, stored, client, fam) = (
            user.id,
            refresh::token_hash(&refresh_token),
            client.to_string(),
            family.clone(),
        );
        self.db
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    let t = now();
                    login_throttles::clear(conn, &keys.account)?;
                    RefreshToken::insert(
                        conn,
                        &NewRefreshToken {
                            user_id: uid,
                            family: &fam,
                            token_hash: &stored,
                            created_at: t,
                            expires_at: t + lifetime,
                        },
                    )?;
                    audit(conn, "login_ok", Some(uid), None, Some(&client), None, None)?;
                    Ok::<_, StorageError>(())
                })
            })
            .await?;
        Ok((self.tokens_for(&user, &family, refresh_token)?, user))
    }

    fn tokens_for(
        &self,
        user: &User,
        family: &str,
        refresh_token: String,
    ) -> Result<Tokens, AuthError> {
        let role = user.role;
        let access_token = self.keys.issue(
            user.id,
            role,
            user.department_id,
            user.enterprise_id,
            family,
            // Wall time: jsonwebtoken checks `exp` and `nbf` against the system clock.
            Utc::now(),
        );
        Ok(Tokens {
            access_token,
            access_expires_in: self.keys.lifetime().num_seconds(),
            refresh_token,
            refresh_expires_in: self.refresh_lifetime.num_seconds(),
        })
    }

    /// Rotates a refresh token. A token used twice means it leaked: the whole
    /// family (every token of that log-in) is revoked; but not when the
    /// second use comes within `reuse_grace` of the first, which is
    /// one client renewing twice at once (refused, and nothing revoked).
    pub async fn refresh(&self, token: &str, client: &str) -> Result<(Tokens, User), AuthError> {
        match self.rotate(token, client).await? {
            Renewal::Rotated(user, family, next) => {
                Ok((self.tokens_for(&user, &family, next)?, *user))
            }
            Renewal::Concurrent(..) => Err(AuthError::InvalidRefreshToken),
        }
    }

    /// Renews a web session: a browser whose access token ran out may send
    /// two requests at once (a page and a script's request) with the same
    /// refresh token. The first rotates it; the second, within
    /// `reuse_grace`, gets an access token only, and the browser keeps
    /// the refresh token the first one set.
    pub async fn renew_session(
        &self,
        token: &str,
        client: &str,
    ) -> Result<SessionRenewal, AuthError> {
        let (user, family, next) = match self.rotate(token, client).await? {
            Renewal::Rotated(user, family, next) => (user, family, Some(next)),
            Renewal::Concurrent(user, family) => (user, family, None),
        };
        let t = self.tokens_for(&user, &family, next.clone().unwrap_or_default())?;
        Ok(SessionRenewal {
            access_token: t.access_token,
            access_expires_in: t.access_expires_in,
            refresh: next.map(|n| (n, t.refresh_expires_in)),
        })
    }

    async fn rotate(&self, token: &str, client: &str) -> Result<Renewal, AuthError> {
        enum Outcome {
            Rotated(Box<User>, String, String),
            Concurrent(Box<User>, String),
            Reused,
            Invalid,
        }
        let hash = refresh::token_hash(token);
        let (lifetime, grace) = (self.refresh_lifetime, self.reuse_grace);
        let client = client.to_string();
        let outcome = self
            .db
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    let t = now();
                    let Some(row) = RefreshToken::find_by_hash(conn, &hash)? else {
                        return Ok(Outcome::Invalid);
                    };
                    if row.revoked_at.is_some() || row.expires_at <= t {
                        return Ok(Outcome::Invalid);
                    }
                    let active = |conn: &mut AnyConnection| -> Result<Option<User>, StorageError> {
                        Ok(User::find(conn, row.user_id)?.filter(|u| u.active))
                    };
                    // Rotated a moment ago, here or by a transaction that
                    // committed while this one waited for the row.
                    let concurrent = match row.rotated_at {
                        Some(at) => t - at < grace,
                        None => !RefreshToken::mark_rotated(conn, row.id, t)?,
                    };
                    if concurrent {
                        return Ok(match active(conn)? {
                            Some(u) => Outcome::Concurrent(Box::new(u), row.family.clone()),
                            None => Outcome::Invalid,
                        });
                    }
                    if row.rotated_at.is_some() {
                        RefreshToken::revoke_family(conn, &row.family, t)?;
                        audit(
                            conn,
                            "refresh_reuse",
                            Some(row.user_id),
                            None,
                            Some(&client),
                            None,
                            None,
                        )?;
                        return Ok(Outcome::Reused);
                    }
                    let Some(user) = active(conn)? else {
                        return Ok(Outcome::Invalid);
                    };
                    let next = refresh::new_token();
                    RefreshToken::insert(
                        conn,
                        &NewRefreshToken {
                            user_id: user.id,
                            family: &row.family,
                            token_hash: &refresh::token_hash(&next),
                            created_at: t,
                            expires_at: t + lifetime,
                        },
                    )?;
                    Ok::<_, StorageError>(Outcome::Rotated(
                        Box::new(user),
                        row.family.clone(),
                        next,
                    ))
                })
            })
            .await?;
        match outcome {
            Outcome::Rotated(user, ..) | Outcome::Concurrent(user, _)
                if self.refuse_demo && user.demo =>
            {
                Err(AuthError::DemoAccountRefused)
            }
            Outcome::Rotated(user, family, next) => Ok(Renewal::Rotated(user, family, next)),
            Outcome::Concurrent(user, family) => Ok(Renewal::Concurrent(user, family)),
            Outcome::Reused | Outcome::Invalid => Err(AuthError::InvalidRefreshToken),
        }
    }

    /// Revokes the log-in the refresh token belongs to. Unknown tokens are
    /// ignored: logging out twice is not an error.
    pub async fn logout(&self, token: &str, client: &str) -> Result<(), AuthError> {
        let hash = refresh::token_hash(token);
        let client = client.to_string();
        self.db
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    if let Some(row) = RefreshToken::find_by_hash(conn, &hash)? {
                        RefreshToken::revoke_family(conn, &row.family, now())?;
                        audit(
                            conn,
                            "logout",
                            Some(row.user_id),
                            None,
                            Some(&client),
                            None,
                            None,
                        )?;
                    }
                    Ok::<_, StorageError>(())
                })
            })
            .await?;
        Ok(())
    }

    /// The caller changes their own password; every session ends. A wrong
    /// current password counts as a failed log-in of the account from that
    /// client: a stolen session must not become an unthrottled oracle.
    pub async fn change_password(
        &self,
        user_id: i64,
        current: String,
        new: String,
        client: &str,
    ) -> Result<(), AuthError> {
        let user = self
            .db
            .run(move |conn| Ok(User::find(conn, user_id)?))
            .await?
            .ok_or(AuthError::InvalidAccessToken(None))?;
        let keys = ThrottleKeys::new(&user.email, client);
        if let Some(secs) = self.throttled(&keys).await? {
            return Err(AuthError::Throttled(secs));
        }
        if !self
            .hasher
            .verify(current, user.password_hash.clone())
            .await
        {
            let this = self.clone();
            let client = client.to_string();
            self.db
                .run(move |conn| {
                    this.record_failure(conn, &keys)?;
                    audit(
                        conn,
                        "password_change_failed",
                        Some(user_id),
                        None,
                        Some(&client),
                        None,
                        Some("wrong_password"),
                    )?;
                    Ok(())
                })
                .await?;
            return Err(AuthError::WrongCurrentPassword);
        }
        self.set_password(&user, new, None, "password_changed")
            .await
    }

    /// Checks the policy, stores the new hash, ends every session, audits.
    pub async fn set_password(
        &self,
        user: &User,
        new: String,
        actor: Option<i64>,
        event: &'static str,
    ) -> Result<(), AuthError> {
        let email = Email::parse(&user.email).map_err(|e| AuthError::Internal(e.to_string()))?;
        let broken = check_password(&new, &email);
        if !broken.is_empty() {
            return Err(AuthError::PasswordRejected(broken));
        }
        let hash = self.hasher.hash(new).await.map_err(AuthError::Internal)?;
        let uid = user.id;
        self.db
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    let t = now();
                    User::set_password(conn, uid, &hash, next_second(t))?;
                    RefreshToken::revoke_all_of_user(conn, uid, t)?;
                    audit(conn, event, Some(uid), None, None, actor, None)?;
                    Ok::<_, StorageError>(())
                })
            })
            .await?;
        Ok(())
    }

    /// Verifies a bearer token and loads who it speaks for. A deactivated
    /// user, a changed role, a token older than the last password change or
    /// one whose log-in has ended (log-out, a reused refresh token) is
    /// refused even while the token has not expired.
    pub async fn authenticate(&self, bearer: &str) -> Result<(Caller, User), AuthError> {
        let claims = self
            .keys
            .verify(bearer)
            .map_err(|e| AuthError::InvalidAccessToken(Some(e)))?;
        let user_id = claims
            .user_id()
            .ok_or(AuthError::InvalidAccessToken(None))?;
        if claims.sid.is_empty() {
            return Err(AuthError::InvalidAccessToken(None));
        }
        let sid = claims.sid.clone();
        let (user, dept) = self
            .db
            .run(move |conn| {
                let Some((user, live)) = User::find_in_session(conn, user_id, &sid)? else {
                    return Ok(None);
                };
                if !live {
                    return Ok(None);
                }
                let dept = match user.department_id {
                    Some(d) => Department::find(conn, d)?,
                    None => None,
                };
                Ok(Some((user, dept)))
            })
            .await?
            .ok_or(AuthError::InvalidAccessToken(None))?;
        let fresh = claims.iat >= user.tokens_valid_after.and_utc().timestamp();
        let dept_ok = dept.as_ref().is_none_or(|d| d.active);
        let demo_refused = self.refuse_demo && user.demo;
        if !user.active || !fresh || !dept_ok || demo_refused || user.role != claims.role {
            return Err(AuthError::InvalidAccessToken(None));
        }
        Ok((caller_of(&user, dept.as_ref()), user))
    }
}

/// The throttle keys of one try: the account from this client, and the client.
#[derive(Debug, Clone)]
struct ThrottleKeys {
    account: String,
    address: String,
}

impl ThrottleKeys {
    fn new(email: &str, client: &str) -> ThrottleKeys {
        ThrottleKeys {
            account: format!("account:{email}|client:{client}"),
            address: format!("address:{client}"),
        }
    }
}

/// The authorization view of a user.
pub fn caller_of(user: &User, dept: Option<&Department>) -> Caller {
    Caller {
        user_id: user.id,
        role: user.role,
        department: dept.map(scope_of),
        enterprise_id: user.enterprise_id,
    }
}

pub fn scope_of(d: &Department) -> DepartmentScope {
    DepartmentScope {
        id: d.id,
        kind: d.kind,
        path: d.path.clone(),
        region: match (&d.region_code, &d.region_level) {
            (Some(code), Some(level)) => RegionCode::parse(code).ok().zip(Some(*level)),
            _ => None,
        },
        chain_code: d.chain_code.clone(),
    }
}

/// Appends one authentication event.
pub fn audit(
    conn: &mut AnyConnection,
    kind: &str,
    user_id: Option<i64>,
    email: Option<&str>,
    client: Option<&str>,
    actor_id: Option<i64>,
    detail: Option<&str>,
) -> Result<(), StorageError> {
    AuthEvent::record(
        conn,
        &NewAuthEvent {
            kind,
            user_id,
            email,
            client_address: client,
            actor_id,
            detail,
            created_at: now(),
        },
    )?;
    Ok(())
}
