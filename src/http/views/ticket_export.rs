//! A ticket list as a spreadsheet, streamed: for the API's export and the
//! workbench's download alike.

use actix_web::{HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use chrono_tz::Asia::Shanghai;

use super::export::{streamed, Cell, SheetWriter, XLSX_MAX_ROWS};
use super::metrics::{file_format, FormatParam};
use crate::domain::access::Caller;
use crate::domain::ticket::Satisfaction;
use crate::http::lang::Lang;
use crate::http::problem::ApiError;
use crate::http::AppState;
use crate::services::queue::{filter_of, QueueQuery};
use crate::services::ticket_export::{for_each_ticket, Names};
use crate::storage::tickets::Ticket;
use crate::words::{fill, text};

/// Tickets one export holds: what an XLSX sheet takes, less the header
/// and the line saying the list was cut.
const MAX_TICKETS: u64 = XLSX_MAX_ROWS as u64 - 2;

/// The ticket list as a streamed file, for the API and the pages alike.
pub async fn tickets_file(
    req: &HttpRequest,
    state: &AppState,
    caller: &Caller,
    q: QueueQuery,
    format: &FormatParam,
) -> Result<HttpResponse, ApiError> {
    let file = file_format(format)?;
    let lang = Lang::from_request(req);
    let filter = filter_of(&q, caller)?;
    crate::http::views::paging::require_known_region(&state.db, q.region.as_deref()).await?;
    let needs_action = q.needs_action.unwrap_or(false);
    // Once the download has started, a failure can only cut it off: find
    // out that the database answers while a problem can still be sent.
    state.db.check().await?;
    let now = state.sla.now();
    let today = now.with_timezone(&Shanghai).date_naive();
    let sla = state.sla.clone();
    let snap = state.db.run(move |conn| Ok(sla.snapshot(conn)?)).await?;
    let (db, caller) = (state.db.clone(), caller.clone());
    Ok(streamed(file, &format!("tickets-{today}"), move |out| {
        let headers: Vec<String> = COLUMNS
            .iter()
            .map(|key| text(lang, key).to_string())
            .collect();
        let sheet = text(lang, "export_tickets.sheet");
        let mut w = SheetWriter::new(file, out, sheet, &headers, "").map_err(|e| e.to_string())?;
        let sent = for_each_ticket(
            &db,
            &caller,
            filter,
            needs_action,
            MAX_TICKETS,
            |t, names| w.row(&row(t, names, &Left(&snap, now), lang)),
        )
        .map_err(|e| e.to_string())?;
        if sent == MAX_TICKETS {
            let note = fill(lang, "export_tickets.truncated", &[("n", &MAX_TICKETS)]);
            w.row(&[Cell::Text(note)]).map_err(|e| e.to_string())?;
        }
        w.finish().map_err(|e| e.to_string())
    }))
}

const COLUMNS: [&str; 18] = [
    "export_tickets.number",
    "export_tickets.title",
    "export_tickets.category",
    "export_tickets.urgency",
    "export_tickets.status",
    "export_tickets.enterprise",
    "export_tickets.place",
    "export_tickets.handling_department",
    "export_tickets.filed_beijing_time",
    "export_tickets.sign_for_deadline",
    "export_tickets.resolution_deadline",
    "export_tickets.overdue",
    "export_tickets.time_left",
    "export_tickets.white_listed",
    "export_tickets.chains",
    "export_tickets.rating",
    "export_tickets.solved",
    "evidence.export_files",
];

/// The calendar and policies at the moment of the export.
struct Left<'a>(
    &'a crate::services::sla::Snapshot,
    chrono::DateTime<chrono::Utc>,
);

impl Left<'_> {
    /// An open ticket's time left before its current deadline (or past
    /// it), in the unit of its window, as the pages say it.
    fn of(&self, t: &Ticket, lang: Lang) -> String {
        use crate::domain::ticket::Status;
        let policy = self
            .0
            .policy_for(t.sla_policy.as_deref(), t.urgency.as_str());
        let (due, unit) = match t.status {
            Status::PendingSign => (t.sign_due_at, policy.sign.unit),
            s if s.is_open() => (t.resolve_due_at, policy.resolve.unit),
            _ => (None, policy.resolve.unit),
        };
        due.map(|d| {
            let left =
                crate::services::sla::left_before(&self.0.calendar, unit, d.and_utc(), self.1);
            crate::words::time_left(lang, &left)
        })
        .unwrap_or_default()
    }
}

fn row(t: &Ticket, names: &Names, left: &Left<'_>, lang: Lang) -> Vec<Cell> {
    let en = lang == Lang::En;
    let text = |s: &str| Cell::Text(s.to_string());
    let label = |code: &str, zh: Option<&str>| text(if en { code } else { zh.unwrap_or(code) });
    // Dates are dates (a spreadsheet sorts and filters them), in Beijing time.
    let time = |at: Option<NaiveDateTime>| match at {
        Some(at) => Cell::DateTime(at.and_utc().with_timezone(&Shanghai).naive_local()),
        None => text(""),
    };
    let yes_no = |b: bool| {
        let key = if b {
            "export_tickets.yes"
        } else {
            "export_tickets.no"
        };
        Cell::Text(crate::words::text(lang, key).to_string())
    };
    // English exports keep the codes; Chinese ones read them as words.
    let urgency = crate::words::lookup(Lang::Zh, &format!("urgency.{}", t.urgency.as_str()));
    let rating = t.rating.map(|r| match r {
        Satisfaction::Satisfied => "export_tickets.satisfied",
        Satisfaction::BasicallySatisfied => "export_tickets.basically_satisfied",
        Satisfaction::Dissatisfied => "export_tickets.dissatisfied",
    });
    vec![
        text(&t.number),
        text(&t.title),
        text(&names.categories.label(&t.category, en)),
        label(t.urgency.as_str(), urgency),
        label(
            t.status.as_str(),
            crate::words::lookup(Lang::Zh, &format!("status.{}", t.status.as_str())),
        ),
        text(
            names
                .enterprises
                .get(&t.enterprise_id)
                .map_or("", String::as_str),
        ),
        text(&match names.places.get(&t.place_code) {
            Some(name) => format!("{name}（{}）", t.place_code),
            None => t.place_code.clone(),
        }),
        text(
            names
                .departments
                .get(&t.handling_department_id)
                .map_or("", String::as_str),
        ),
        time(Some(t.filed_at)),
        time(t.sign_due_at),
        time(t.resolve_due_at),
        yes_no(t.overdue),
        text(&left.of(t, lang)),
        yes_no(t.whitelisted),
        text(
            &t.chains
                .iter()
                .map(|c| names.chains.label(c, en))
                .collect::<Vec<_>>()
                .join(if en { ", " } else { "、" }),
        ),
        text(rating.map_or("", |key| crate::words::text(lang, key))),
        match t.solved {
            Some(s) => yes_no(s),
            None => text(""),
        },
        text(
            &names
                .files
                .get(&t.id)
                .map(|f| f.join(if en { ", " } else { "、" }))
                .unwrap_or_default(),
        ),
    ]
}
