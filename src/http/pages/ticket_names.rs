//! The names a ticket page shows (people, departments, places, categories,
//! chains) and the choices of its action forms: who may be assigned, which
//! departments a ticket may be sent or added to.

use std::collections::HashMap;

use super::AppState;
use crate::http::problem::ApiError;
use crate::http::views::ticket::EventView;
use crate::services::ticket_actions::Offered;
use crate::services::tickets::Loaded;
use crate::storage::catalogue::{self, List};
use crate::storage::departments::Department;
use crate::storage::regions::Region;
use crate::storage::users::User;

/// Names of the people, departments and places the page mentions, and the
/// choices of the action forms.
#[derive(Default)]
pub(super) struct Names {
    pub(super) users: HashMap<i64, String>,
    pub(super) departments: HashMap<i64, String>,
    pub(super) regions: HashMap<String, String>,
    pub(super) choices: HashMap<&'static str, Vec<(i64, String)>>,
    pub(super) categories: crate::domain::catalogue::Terms,
    pub(super) chains: crate::domain::catalogue::Terms,
}

pub(super) async fn load_names(
    state: &AppState,
    loaded: &Loaded,
    entries: &[EventView],
    offers: &[Offered],
) -> Result<Names, ApiError> {
    let mut user_ids: Vec<i64> = entries.iter().filter_map(|e| e.actor_id).collect();
    let mut dept_ids: Vec<i64> = entries
        .iter()
        .filter_map(|e| e.actor_department_id)
        .collect();
    for e in entries {
        if let Some(d) = &e.detail {
            for k in ["routed_to", "target", "department", "notified_department"] {
                dept_ids.extend(d.get(k).and_then(serde_json::Value::as_i64));
            }
            user_ids.extend(d.get("assignee").and_then(serde_json::Value::as_i64));
        }
    }
    let t = &loaded.ticket;
    user_ids.extend(t.assignee_id);
    dept_ids.push(t.handling_department_id);
    dept_ids.extend(loaded.departments.iter().map(|d| d.department_id));
    let mut codes: Vec<String> = t.regions_involved.to_vec();
    codes.push(t.place_code.clone());
    let cohandlers: Vec<i64> = loaded
        .state
        .cohandlers
        .iter()
        .map(|c| c.department.id)
        .collect();
    let found = state
        .db
        .run(move |conn| {
            let mut n = Names::default();
            let mut ids = dept_ids;
            ids.extend(cohandlers.iter().copied());
            ids.sort_unstable();
            ids.dedup();
            for d in Department::load_many(conn, &ids)? {
                n.departments.insert(d.id, d.name);
            }
            user_ids.sort_unstable();
            user_ids.dedup();
            n.users = User::names(conn, &user_ids)?.into_iter().collect();
            n.categories = catalogue::load(conn, List::Categories)?;
            n.chains = catalogue::load(conn, List::Chains)?;
            n.regions = Region::find_many(conn, &codes)?
                .into_iter()
                .map(|r| (r.code, r.name))
                .collect();
            Ok(n)
        })
        .await?;
    let mut found: Names = found;
    for o in offers.iter().filter(|o| !o.targets.is_empty()) {
        found.choices.insert(o.action.name(), o.targets.clone());
    }
    Ok(found)
}
