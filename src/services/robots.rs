//! A department's group robots (WeCom, DingTalk, Feishu): its lead or an
//! administrator registers them, chooses the notices each posts, and
//! sends a test message; one rule for the API and the pages
//! (`domain::access::may_change_department_settings`).

use chrono::{DateTime, Utc};

use crate::channels::http::{Posted, Poster};
use crate::channels::{robots as format, Verdict};
use crate::configuration::RobotsSettings;
use crate::domain::access::{may_change_department_settings, Caller};
use crate::domain::channels::{parse_robot, RobotInput, RobotService};
use crate::domain::enterprise::FieldIssue;
use crate::storage::departments::Department;
use crate::storage::robots::{self, notices_text, Robot, RobotFields};
use crate::storage::{outbox, write_transaction, Database, StorageError};
use crate::words::Lang;

#[derive(Debug, thiserror::Error)]
pub enum RobotError {
    /// No such department or robot, or not the caller's to change.
    #[error("no such robot for this caller")]
    NotFound,
    #[error("invalid robot")]
    Invalid(Vec<FieldIssue>),
    /// The test message did not arrive: the service's answer, or why there
    /// was none.
    #[error("the test message was not delivered: {0}")]
    TestFailed(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// A department and its robots.
pub struct DepartmentRobots {
    pub department: Department,
    pub robots: Vec<Robot>,
}

fn check(caller: &Caller, department_id: i64) -> Result<(), RobotError> {
    if may_change_department_settings(caller, department_id) {
        Ok(())
    } else {
        Err(RobotError::NotFound)
    }
}

pub async fn list(
    db: &Database,
    caller: &Caller,
    department_id: i64,
) -> Result<DepartmentRobots, RobotError> {
    check(caller, department_id)?;
    let found = db
        .run(move |conn| {
            let Some(department) = Department::find(conn, department_id)? else {
                return Ok(None);
            };
            let robots = robots::of_department(conn, department_id)?;
            Ok(Some(DepartmentRobots { department, robots }))
        })
        .await?;
    found.ok_or(RobotError::NotFound)
}

/// A robot as typed, with whether it is on.
pub struct RobotChange {
    pub input: RobotInput,
    pub active: bool,
}

fn fields_of(
    change: &RobotChange,
    settings: &RobotsSettings,
) -> Result<(RobotFields, Option<Option<String>>, RobotService), RobotError> {
    let (parsed, secret) =
        parse_robot(&change.input, settings.allow_any_host).map_err(RobotError::Invalid)?;
    Ok((
        RobotFields {
            service: parsed.service.as_str().into(),
            name: parsed.name,
            webhook_url: parsed.webhook_url,
            notices: notices_text(&parsed.notices),
            active: change.active,
        },
        secret,
        parsed.service,
    ))
}

pub async fn create(
    db: &Database,
    caller: &Caller,
    department_id: i64,
    change: RobotChange,
    settings: &RobotsSettings,
    at: DateTime<Utc>,
) -> Result<Robot, RobotError> {
    check(caller, department_id)?;
    let (fields, secret, _) = fields_of(&change, settings)?;
    let by = caller.user_id;
    let made = db
        .run_write(move |conn| {
            write_transaction(conn, |conn| {
                if Department::find(conn, department_id)?.is_none() {
                    return Ok(None);
                }
                let secret = secret.flatten();
                let id = robots::insert(
                    conn,
                    department_id,
                    &fields,
                    secret.as_deref(),
                    by,
                    at.naive_utc(),
                )?;
                Ok::<_, StorageError>(robots::find(conn, id)?)
            })
        })
        .await?;
    made.ok_or(RobotError::NotFound)
}

/// Changes a robot; a webhook or secret left out (empty webhook, `None`
/// secret) is kept (a WeCom robot has no secret).
pub async fn update(
    db: &Database,
    caller: &Caller,
    department_id: i64,
    robot_id: i64,
    mut change: RobotChange,
    settings: &RobotsSettings,
    at: DateTime<Utc>,
) -> Result<Robot, RobotError> {
    check(caller, department_id)?;
    let current = db
        .run(move |conn| Ok(robots::find(conn, robot_id)?))
        .await?
        .filter(|r| r.department_id == department_id)
        .ok_or(RobotError::NotFound)?;
    if change.input.webhook_url.trim().is_empty() {
        change.input.webhook_url = current.webhook_url.clone();
    }
    let (fields, secret, service) = fields_of(&change, settings)?;
    let secret = if service.signs() { secret } else { Some(None) };
    let by = caller.user_id;
    let changed = db
        .run_write(move |conn| {
            write_transaction(conn, |conn| {
                let secret = secret.as_ref().map(|s| s.as_deref());
                if !robots::update(conn, robot_id, &fields, secret, by, at.naive_utc())? {
                    return Ok(None);
                }
                Ok::<_, StorageError>(robots::find(conn, robot_id)?)
            })
        })
        .await?;
    changed.ok_or(RobotError::NotFound)
}

/// Removes a robot; what still waits for it is parked as dead.
pub async fn delete(
    db: &Database,
    caller: &Caller,
    department_id: i64,
    robot_id: i64,
) -> Result<(), RobotError> {
    check(caller, department_id)?;
    let gone = db
        .run_write(move |conn| {
            write_transaction(conn, |conn| {
                match robots::find(conn, robot_id)? {
                    Some(r) if r.department_id == department_id => {}
                    _ => return Ok(false),
                }
                outbox::bury_robot_messages(conn, robot_id, "the robot was removed")?;
                Ok::<_, StorageError>(robots::delete(conn, robot_id)?)
            })
        })
        .await?;
    if gone {
        Ok(())
    } else {
        Err(RobotError::NotFound)
    }
}

/// Sends a test message through a robot now (not through the outbox: the
/// person setting it up waits for the answer) and says how the service
/// answered.
pub async fn test(
    db: &Database,
    caller: &Caller,
    department_id: i64,
    robot_id: i64,
    settings: &RobotsSettings,
    base_url: &str,
    now: DateTime<Utc>,
) -> Result<(), RobotError> {
    check(caller, department_id)?;
    let robot = db
        .run(move |conn| Ok(robots::find(conn, robot_id)?))
        .await?
        .filter(|r| r.department_id == department_id)
        .ok_or(RobotError::NotFound)?;
    let service = robot.service().ok_or(RobotError::NotFound)?;
    let link = format!("{}/", base_url.trim_end_matches('/'));
    let message = format::test_message(&robot.name, &robot.notice_list(), &link, Lang::Zh);
    let signature = format::sign(service, robot.secret.as_deref(), now);
    let url = format::webhook_url(service, &robot.webhook_url, signature.as_ref());
    let body = format::body(service, &message, signature.as_ref()).to_string();
    let poster = Poster::new(settings.timeout_secs).map_err(RobotError::TestFailed)?;
    let verdict = match poster.post_json(&url, &[], body).await {
        Posted::Answer { status, body } => format::interpret(service, status, &body),
        Posted::NoAnswer(why) => Verdict::Permanent(why),
    };
    match verdict {
        Verdict::Delivered => Ok(()),
        Verdict::Permanent(why) | Verdict::Retry { error: why, .. } => {
            Err(RobotError::TestFailed(why))
        }
    }
}
