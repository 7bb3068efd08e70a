//! Administration of mail and delivery: message templates and their
//! overrides, and the outbox of every channel (what waits, what went, what
//! died and may be sent again).

use chrono::{DateTime, Utc};

use crate::domain::channels::Channel;
use crate::mail::templates::{builtin, check, Rendered, Template, TemplateError};
use crate::mail::{Locale, MailKind};
use crate::storage::outbox::{self, Message};
use crate::storage::templates::{self, TemplateOverride};
use crate::storage::{write_transaction, Database, StorageError};

/// A kind's template in one language as it is used now.
#[derive(Debug, Clone)]
pub struct CurrentTemplate {
    pub kind: MailKind,
    pub locale: Locale,
    pub template: Template,
    /// Set when an administrator's override is in force.
    pub overridden_at: Option<DateTime<Utc>>,
}

/// Every kind in every language, overrides applied.
pub async fn current_templates(db: &Database) -> Result<Vec<CurrentTemplate>, StorageError> {
    let overrides = db.run(|conn| Ok(templates::all(conn)?)).await?;
    let mut out = Vec::new();
    for kind in MailKind::all() {
        for locale in Locale::ALL {
            let found = overrides
                .iter()
                .find(|o| o.kind == kind.as_str() && o.locale == locale.as_str());
            out.push(match found {
                Some(o) => CurrentTemplate {
                    kind,
                    locale,
                    template: Template {
                        subject: o.subject.clone(),
                        text: o.body_text.clone(),
                        html: o.body_html.clone(),
                    },
                    overridden_at: Some(o.updated_at.and_utc()),
                },
                None => CurrentTemplate {
                    kind,
                    locale,
                    template: builtin(kind, locale).clone(),
                    overridden_at: None,
                },
            });
        }
    }
    Ok(out)
}

#[derive(Debug, thiserror::Error)]
pub enum OverrideError {
    #[error("template refused: {0}")]
    Broken(TemplateError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Saves an override after trying it on sample data; a broken one is
/// refused with the reason and the template in force stays. Returns the
/// sample rendering.
pub async fn put_template(
    db: &Database,
    kind: MailKind,
    locale: Locale,
    template: Template,
    admin: i64,
    at: DateTime<Utc>,
) -> Result<Rendered, OverrideError> {
    // Rendering an administrator's template is CPU work: off the executor.
    let (preview, template) = {
        let template = template.clone();
        tokio::task::spawn_blocking(move || (check(kind, locale, &template), template))
            .await
            .map_err(|e| StorageError::Unavailable(e.to_string()))?
    };
    let preview = preview.map_err(OverrideError::Broken)?;
    let row = TemplateOverride {
        kind: kind.as_str().into(),
        locale: locale.as_str().into(),
        subject: template.subject,
        body_text: template.text,
        body_html: template.html,
        updated_by: Some(admin),
        updated_at: at.naive_utc(),
    };
    db.run(move |conn| Ok(write_transaction(conn, |conn| templates::put(conn, &row))?))
        .await?;
    Ok(preview)
}

/// Drops an override; false when there was none.
pub async fn remove_template(
    db: &Database,
    kind: MailKind,
    locale: Locale,
) -> Result<bool, StorageError> {
    db.run(move |conn| Ok(templates::remove(conn, kind.as_str(), locale.as_str())?))
        .await
}

/// One page of the outbox in a status (and channel), newest first, with
/// the counts of each channel in each status: (channel, status, n).
pub async fn outbox_page(
    db: &Database,
    status: &'static str,
    channel: Option<Channel>,
    before: Option<i64>,
    limit: i64,
) -> Result<(Vec<Message>, Vec<(String, String, i64)>), StorageError> {
    db.run(move |conn| {
        Ok((
            outbox::list_of(conn, status, channel.map(Channel::as_str), before, limit)?,
            outbox::counts_by_channel(conn)?,
        ))
    })
    .await
}

/// Where a message went, as the outbox's readers may see it: an SMS's
/// number masked (only the handling department's staff see it in full,
/// beside the ticket); an e-mail address, a robot's name as they are.
pub fn shown_address(m: &Message) -> String {
    if m.channel == Channel::Sms.as_str() {
        crate::domain::channels::mask_mobile(&m.to_address)
    } else {
        m.to_address.clone()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ResendError {
    #[error("no such message")]
    NotFound,
    #[error("the message is {0}, not dead")]
    NotDead(String),
    /// Activation and reset links are not sent twice; the person asks anew.
    #[error("a one-time link is not sent again")]
    OneTimeLink,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Queues a dead message again, from its first attempt.
pub async fn resend(db: &Database, id: i64, at: DateTime<Utc>) -> Result<Message, ResendError> {
    db.run(move |conn| {
        Ok(write_transaction(conn, |conn| {
            let Some(found) = outbox::find(conn, id)? else {
                return Ok(Err(ResendError::NotFound));
            };
            if outbox::SECRET_KINDS.contains(&found.notice.as_str()) {
                return Ok(Err(ResendError::OneTimeLink));
            }
            if !outbox::resend(conn, id, at.naive_utc())? {
                return Ok(Err(ResendError::NotDead(found.status)));
            }
            Ok::<_, diesel::result::Error>(Ok(outbox::find(conn, id)?.unwrap_or(found)))
        })?)
    })
    .await?
}

/// A template's kind and language, as a path names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnknownTarget {
    Kind(String),
    Locale,
}

/// The template a path names: its kind and (strictly) its language.
pub fn target(kind: &str, locale: &str) -> Result<(MailKind, Locale), UnknownTarget> {
    let kind = MailKind::parse(kind).ok_or_else(|| UnknownTarget::Kind(kind.to_string()))?;
    let locale = Locale::strict(locale).ok_or(UnknownTarget::Locale)?;
    Ok((kind, locale))
}
