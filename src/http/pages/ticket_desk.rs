//! The desk's side of a ticket page: who filed it (the enterprise's record,
//! listings and earlier tickets, for staff), the primary next step, which
//! actions ask for confirmation, the notice after an action, and the
//! department's canned replies for the text fields.

use super::labels;
use super::{fill, lang_of, say};
use crate::domain::ticket::Status;
use crate::http::problem::ApiError;
use crate::services::tickets::{self, Loaded};

/// Actions that end a ticket or send it away: they ask first.
pub const CONFIRMED: [&str; 4] = ["reject", "return", "withdraw", "transfer"];

/// The next step people usually take, first offered first: shown as the
/// prominent button.
const PRIMARY: [&str; 6] = [
    "sign_for",
    "resolve",
    "provide_info",
    "rate",
    "decide_extension",
    "post_opinion",
];

/// The primary action among those offered.
pub fn primary<'a>(offered: impl Iterator<Item = &'a str> + Clone) -> Option<&'static str> {
    PRIMARY
        .into_iter()
        .find(|p| offered.clone().any(|o| o == *p))
}

/// The enterprise beside its ticket, in words.
pub struct FilerShown {
    pub name: String,
    pub credit_code: String,
    pub address: String,
    pub contact: Option<String>,
    pub phone: Option<String>,
    /// The number it receives SMS on, masked as the phone is.
    pub mobile: Option<String>,
    /// The phone is masked: the caller's department does not handle it.
    pub masked: bool,
    pub listings: Vec<String>,
    pub earlier: Vec<EarlierTicket>,
}

pub struct EarlierTicket {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub status: String,
    pub status_code: String,
    pub rating: Option<String>,
}

/// Who filed the ticket, if the caller is staff who may see it.
pub async fn filer(
    db: &crate::storage::Database,
    caller: &crate::domain::access::Caller,
    loaded: &Loaded,
    en: bool,
) -> Result<Option<FilerShown>, ApiError> {
    let masked = !crate::domain::access::may_call_filer(caller, &loaded.facts);
    let Some(f) = tickets::filer(db, caller, loaded).await? else {
        return Ok(None);
    };
    let lang = lang_of(en);
    let listings = f
        .listings
        .iter()
        .map(|l| {
            let scope = if l.scope == "national" {
                labels::listed("national", en)
            } else {
                let province = f.regions.get(&l.scope).cloned().unwrap_or(l.scope.clone());
                fill(
                    lang,
                    "desk_ticket.provincial_list",
                    &[("province", &province)],
                )
            };
            fill(
                lang,
                "desk_ticket.listing",
                &[
                    ("scope", &scope),
                    ("batch", &l.batch),
                    ("date", &l.listed_on.format("%Y-%m-%d")),
                ],
            )
        })
        .collect();
    let e = f.enterprise;
    Ok(Some(FilerShown {
        name: e.name,
        credit_code: e.credit_code,
        address: e.address,
        contact: e.contact_name.filter(|n| !n.trim().is_empty()),
        phone: f.phone,
        mobile: f.mobile,
        masked,
        listings,
        earlier: f
            .earlier
            .into_iter()
            .map(|t| EarlierTicket {
                id: t.id,
                number: t.number,
                title: t.title,
                status: labels::status(t.status.as_str(), en),
                status_code: t.status.as_str().to_string(),
                rating: t.rating.map(|r| labels::satisfaction(r.as_str(), en)),
            })
            .collect(),
    }))
}

/// What happened, after an action: "已签收，办结时限 12月9日 17:30". The
/// deadline is the one the ticket now runs against, if a clock runs.
pub fn notice(action: &str, loaded: &Loaded, en: bool) -> String {
    let lang = lang_of(en);
    let name = labels::action(action, en);
    let t = &loaded.ticket;
    let due = match t.status {
        Status::PendingSign => t.sign_due_at.map(|d| ("desk_ticket.done_sign_due", d)),
        Status::Handling => t
            .resolve_due_at
            .map(|d| ("desk_ticket.done_resolve_due", d)),
        _ => None,
    };
    match due {
        Some((key, at)) => fill(
            lang,
            key,
            &[("action", &name), ("at", &labels::deadline(at, en))],
        ),
        None => fill(lang, "desk_ticket.done", &[("action", &name)]),
    }
}

/// What a confirmed action will do, in a sentence.
pub fn consequence(action: &str, en: bool) -> String {
    let key = match action {
        "reject" => "desk_ticket.confirm_reject",
        "return" => "desk_ticket.confirm_return",
        "withdraw" => "desk_ticket.confirm_withdraw",
        _ => "desk_ticket.confirm_transfer",
    };
    say(lang_of(en), key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_for_comes_first_and_sending_away_asks() {
        let offered = ["comment", "transfer", "sign_for", "reject"];
        assert_eq!(primary(offered.iter().copied()), Some("sign_for"));
        assert_eq!(primary(["comment", "rate"].iter().copied()), Some("rate"));
        assert_eq!(primary(["comment"].iter().copied()), None);
        for a in ["reject", "return", "withdraw", "transfer"] {
            assert!(CONFIRMED.contains(&a));
            assert_ne!(consequence(a, false), consequence("x", true));
        }
    }
}
