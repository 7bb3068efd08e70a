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
    state.db.run(|_| Ok(())).await?;
    let today = state.sla.now().with_timezone(&Shanghai).date_naive();
    let (db, caller) = (state.db.clone(), caller.clone());
    Ok(streamed(file, &format!("tickets-{today}"), move |out| {
        let headers: Vec<String> = COLUMNS
            .iter()
            .map(|(zh, en)| if lang == Lang::En { en } else { zh }.to_string())
            .collect();
        let sheet = if lang == Lang::En {
            "Tickets"
        } else {
            "工单"
        };
        let mut w = SheetWriter::new(file, out, sheet, &headers, "").map_err(|e| e.to_string())?;
        let sent = for_each_ticket(
            &db,
            &caller,
            filter,
            needs_action,
            MAX_TICKETS,
            |t, names| w.row(&row(t, names, lang)),
        )
        .map_err(|e| e.to_string())?;
        if sent == MAX_TICKETS {
            let note = if lang == Lang::En {
                format!("Only the first {MAX_TICKETS} tickets; narrow the filters for the rest.")
            } else {
                format!("仅导出前 {MAX_TICKETS} 条，请缩小筛选范围导出其余工单。")
            };
            w.row(&[Cell::Text(note)]).map_err(|e| e.to_string())?;
        }
        w.finish().map_err(|e| e.to_string())
    }))
}

const COLUMNS: [(&str, &str); 16] = [
    ("工单编号", "Number"),
    ("标题", "Title"),
    ("类别", "Category"),
    ("紧急程度", "Urgency"),
    ("状态", "Status"),
    ("企业", "Enterprise"),
    ("发生地", "Place"),
    ("承办部门", "Handling department"),
    ("提交时间（北京时间）", "Filed (Beijing time)"),
    ("签收期限", "Sign-for deadline"),
    ("办结期限", "Resolution deadline"),
    ("是否超期", "Overdue"),
    ("白名单企业", "White-listed"),
    ("产业链", "Chains"),
    ("评价", "Rating"),
    ("是否解决", "Solved"),
];

fn row(t: &Ticket, names: &Names, lang: Lang) -> Vec<Cell> {
    let en = lang == Lang::En;
    let text = |s: &str| Cell::Text(s.to_string());
    let label = |code: &str, zh: Option<&str>| text(if en { code } else { zh.unwrap_or(code) });
    // Dates are dates (a spreadsheet sorts and filters them), in Beijing time.
    let time = |at: Option<NaiveDateTime>| match at {
        Some(at) => Cell::DateTime(at.and_utc().with_timezone(&Shanghai).naive_local()),
        None => text(""),
    };
    let yes_no = |b: bool| {
        text(match (b, en) {
            (true, true) => "yes",
            (false, true) => "no",
            (true, false) => "是",
            (false, false) => "否",
        })
    };
    let urgency = match t.urgency.as_str() {
        "normal" => Some("一般"),
        "urgent" => Some("紧急"),
        "critical" => Some("特急"),
        _ => None,
    };
    let rating = t.rating.map(|r| match r {
        Satisfaction::Satisfied => ("satisfied", "满意"),
        Satisfaction::BasicallySatisfied => ("basically satisfied", "基本满意"),
        Satisfaction::Dissatisfied => ("dissatisfied", "不满意"),
    });
    vec![
        text(&t.number),
        text(&t.title),
        text(&names.categories.label(&t.category, en)),
        label(t.urgency.as_str(), urgency),
        label(t.status.as_str(), Some(t.status.name_zh())),
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
        yes_no(t.whitelisted),
        text(
            &t.chains
                .iter()
                .map(|c| names.chains.label(c, en))
                .collect::<Vec<_>>()
                .join(if en { ", " } else { "、" }),
        ),
        text(rating.map_or("", |(e, z)| if en { e } else { z })),
        match t.solved {
            Some(s) => yes_no(s),
            None => text(""),
        },
    ]
}
