//! Who may read what and who may do what: one module of pure code.
//!
//! A department's jurisdiction is its region's subtree (the ministry's is
//! everything; a chain platform's is its chain's enterprises). Whatever a
//! caller may not read is answered as if it did not exist (404, never 403);
//! the HTTP layer relies on [`may_read_ticket`] and friends for that.

use super::region::{DepartmentKind, RegionCode, RegionLevel};
use super::role::Role;

/// A department as authorization sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentScope {
    pub id: i64,
    pub kind: DepartmentKind,
    /// Ids from the ministry down to this department: `/1/12/345/`.
    pub path: String,
    pub region: Option<(RegionCode, RegionLevel)>,
    pub chain_code: Option<String>,
}

/// A department a resource refers to: its id and its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentRef {
    pub id: i64,
    pub path: String,
}

impl DepartmentRef {
    /// The parent's id, from the path (`/1/12/345/` -> 12).
    pub fn parent_id(&self) -> Option<i64> {
        let ids: Vec<i64> = self
            .path
            .split('/')
            .filter_map(|s| s.parse().ok())
            .collect();
        ids.len().checked_sub(2).map(|i| ids[i])
    }

    /// The departments above, nearest first (`/1/12/345/` -> 12, 1).
    pub fn ancestors(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .path
            .split('/')
            .filter_map(|s| s.parse().ok())
            .collect();
        ids.pop();
        ids.reverse();
        ids
    }
}

impl DepartmentScope {
    pub fn as_ref(&self) -> DepartmentRef {
        DepartmentRef {
            id: self.id,
            path: self.path.clone(),
        }
    }

    /// The department itself or one below it in the tree.
    pub fn covers_department(&self, other: &DepartmentRef) -> bool {
        other.path.starts_with(&self.path)
    }

    /// A department strictly above `other`.
    pub fn is_ancestor_of(&self, other: &DepartmentRef) -> bool {
        self.id != other.id && self.covers_department(other)
    }

    /// Whether the county lies in this department's region subtree.
    pub fn covers_region(&self, county: &RegionCode) -> bool {
        match (&self.kind, &self.region) {
            (DepartmentKind::Ministry, _) => true,
            (_, Some((code, level))) => code.contains(*level, county),
            _ => false,
        }
    }

    /// A chain platform coordinating one of these chains.
    pub fn coordinates_any(&self, chains: &[String]) -> bool {
        self.kind == DepartmentKind::ChainPlatform
            && self
                .chain_code
                .as_ref()
                .is_some_and(|c| chains.iter().any(|x| x == c))
    }
}

/// The signed-in user, as every authorization question sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: i64,
    pub role: Role,
    /// Staff roles' department.
    pub department: Option<DepartmentScope>,
    /// The enterprise role's enterprise.
    pub enterprise_id: Option<i64>,
}

/// What authorization needs to know about a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketFacts {
    pub enterprise_id: i64,
    /// Chains of the filing enterprise.
    pub enterprise_chains: Vec<String>,
    /// The county where the problem is.
    pub place: RegionCode,
    pub handling: DepartmentRef,
    /// Departments that handled the ticket before the current one.
    pub passed_through: Vec<DepartmentRef>,
    pub cohandlers: Vec<DepartmentRef>,
}

/// Everything a person can do to a ticket (domain spec section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TicketAction {
    SignFor,
    Assign,
    Transfer,
    Escalate,
    TakeOver,
    Return,
    AddCohandler,
    PostOpinion,
    ReleaseCohandler,
    RequestInfo,
    ProvideInfo,
    RequestExtension,
    DecideExtension,
    Urge,
    Resolve,
    Rate,
    Reopen,
    Reject,
    Withdraw,
    Comment,
    CommentInternal,
}

impl TicketAction {
    pub const ALL: [TicketAction; 21] = [
        TicketAction::SignFor,
        TicketAction::Assign,
        TicketAction::Transfer,
        TicketAction::Escalate,
        TicketAction::TakeOver,
        TicketAction::Return,
        TicketAction::AddCohandler,
        TicketAction::PostOpinion,
        TicketAction::ReleaseCohandler,
        TicketAction::RequestInfo,
        TicketAction::ProvideInfo,
        TicketAction::RequestExtension,
        TicketAction::DecideExtension,
        TicketAction::Urge,
        TicketAction::Resolve,
        TicketAction::Rate,
        TicketAction::Reopen,
        TicketAction::Reject,
        TicketAction::Withdraw,
        TicketAction::Comment,
        TicketAction::CommentInternal,
    ];

    /// Actions only the handling department's own staff may take.
    pub fn is_handling(self) -> bool {
        use TicketAction::*;
        matches!(
            self,
            SignFor
                | Assign
                | Transfer
                | Escalate
                | Return
                | AddCohandler
                | ReleaseCohandler
                | RequestInfo
                | RequestExtension
                | Resolve
                | Reject
        )
    }

    /// Actions that belong to the filing enterprise.
    fn is_enterprise(self) -> bool {
        use TicketAction::*;
        matches!(self, ProvideInfo | Rate | Reopen | Withdraw | Comment)
    }
}

fn staff_department(caller: &Caller) -> Option<&DepartmentScope> {
    if caller.role.is_staff() {
        caller.department.as_ref()
    } else {
        None
    }
}

/// Whether the caller may see the ticket at all.
pub fn may_read_ticket(caller: &Caller, t: &TicketFacts) -> bool {
    match caller.role {
        Role::Enterprise => caller.enterprise_id == Some(t.enterprise_id),
        Role::Admin => false,
        Role::Officer | Role::Lead | Role::Supervisor => {
            let Some(d) = staff_department(caller) else {
                return false;
            };
            d.covers_region(&t.place)
                || d.covers_department(&t.handling)
                || d.coordinates_any(&t.enterprise_chains)
                || t.passed_through.iter().any(|p| p.id == d.id)
                || t.cohandlers.iter().any(|c| c.id == d.id)
        }
    }
}

/// Whether the caller, as an actor, may take the action (the ticket's state
/// is checked separately, by the state machine).
pub fn may_act_on_ticket(caller: &Caller, t: &TicketFacts, action: TicketAction) -> bool {
    if !may_read_ticket(caller, t) {
        return false;
    }
    use TicketAction::*;
    match caller.role {
        Role::Enterprise => action.is_enterprise(),
        Role::Admin => false,
        Role::Supervisor => matches!(action, Urge | Reopen | Comment | CommentInternal),
        Role::Officer | Role::Lead => {
            let Some(d) = staff_department(caller) else {
                return false;
            };
            let handles = d.id == t.handling.id;
            let is_lead = caller.role == Role::Lead;
            match action {
                Comment | CommentInternal => true,
                Assign => handles && is_lead,
                a if a.is_handling() => handles,
                PostOpinion => t.cohandlers.iter().any(|c| c.id == d.id),
                TakeOver => {
                    is_lead
                        && (d.is_ancestor_of(&t.handling)
                            || d.coordinates_any(&t.enterprise_chains))
                }
                DecideExtension => {
                    is_lead
                        && match t.handling.parent_id() {
                            Some(parent) => parent == d.id,
                            // The ministry decides its own extensions.
                            None => handles,
                        }
                }
                Urge => {
                    d.coordinates_any(&t.enterprise_chains)
                        || (is_lead && d.is_ancestor_of(&t.handling))
                }
                _ => false,
            }
        }
    }
}

/// The actions the workbench offers to take on several tickets at once
/// (issue 24): signing for by a handling department, assigning by its
/// lead, urging by leads, chain platforms and supervisors. Each ticket is
/// then still asked [`may_act_on_ticket`] on its own.
pub fn bulk_actions_offered(caller: &Caller) -> Vec<TicketAction> {
    use TicketAction::*;
    let platform = caller
        .department
        .as_ref()
        .is_some_and(|d| d.kind == DepartmentKind::ChainPlatform);
    match caller.role {
        Role::Officer if platform => vec![SignFor, Urge],
        Role::Officer => vec![SignFor],
        Role::Lead => vec![SignFor, Assign, Urge],
        Role::Supervisor => vec![Urge],
        Role::Enterprise | Role::Admin => Vec::new(),
    }
}

/// What authorization needs to know about an enterprise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnterpriseFacts {
    pub id: i64,
    pub county: RegionCode,
    pub chains: Vec<String>,
}

/// Staff see enterprises in their jurisdiction; an enterprise sees itself.
pub fn may_read_enterprise(caller: &Caller, e: &EnterpriseFacts) -> bool {
    match caller.role {
        Role::Admin => true,
        Role::Enterprise => caller.enterprise_id == Some(e.id),
        _ => staff_department(caller)
            .is_some_and(|d| d.covers_region(&e.county) || d.coordinates_any(&e.chains)),
    }
}

/// Which enterprises a caller's searches cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnterpriseScope {
    All,
    /// County codes starting with this prefix.
    RegionPrefix(String),
    /// Enterprises of this chain (a chain platform).
    Chain(String),
    /// One enterprise (an enterprise user's own).
    Only(i64),
    Nothing,
}

pub fn enterprise_scope(caller: &Caller) -> EnterpriseScope {
    match caller.role {
        Role::Admin => EnterpriseScope::All,
        Role::Enterprise => caller
            .enterprise_id
            .map_or(EnterpriseScope::Nothing, EnterpriseScope::Only),
        _ => match staff_department(caller) {
            None => EnterpriseScope::Nothing,
            Some(d) => match (&d.kind, &d.region, &d.chain_code) {
                (DepartmentKind::Ministry, _, _) => EnterpriseScope::All,
                (DepartmentKind::ChainPlatform, _, Some(chain)) => {
                    EnterpriseScope::Chain(chain.clone())
                }
                (_, Some((code, level)), _) => {
                    let n = match level {
                        RegionLevel::Province => 2,
                        RegionLevel::City => 4,
                        RegionLevel::County => 6,
                    };
                    EnterpriseScope::RegionPrefix(code.as_str()[..n].to_string())
                }
                _ => EnterpriseScope::Nothing,
            },
        },
    }
}

/// Who may register an enterprise in a county, or change its record:
/// administrators, and officers and leads whose jurisdiction covers it.
pub fn may_manage_enterprise(caller: &Caller, county: &RegionCode) -> bool {
    match caller.role {
        Role::Admin => true,
        Role::Officer | Role::Lead => {
            staff_department(caller).is_some_and(|d| d.covers_region(county))
        }
        _ => false,
    }
}

/// Who may see an enterprise's white-list entries: every signed-in member of
/// staff, whatever region issued them (mutual recognition, 区域互认), the
/// enterprise itself, and administrators.
pub fn may_read_listing(caller: &Caller, enterprise_id: i64) -> bool {
    match caller.role {
        Role::Enterprise => caller.enterprise_id == Some(enterprise_id),
        _ => true,
    }
}

/// Who may add to or remove from a list: the ministry's staff for the
/// national list, a province department's staff for its own list, and
/// administrators. `province` is None for the national list.
pub fn may_keep_list(caller: &Caller, province: Option<&RegionCode>) -> bool {
    if caller.role == Role::Admin {
        return true;
    }
    if !matches!(caller.role, Role::Officer | Role::Lead) {
        return false;
    }
    let Some(d) = staff_department(caller) else {
        return false;
    };
    match province {
        None => d.kind == DepartmentKind::Ministry,
        Some(p) => {
            d.kind == DepartmentKind::Province && d.region.as_ref().is_some_and(|(c, _)| c == p)
        }
    }
}

/// Whether an enterprise belongs on a list: anyone's on the national list,
/// only the province's own on a provincial list. (Who keeps the list is
/// [`may_keep_list`]; that the caller can see the enterprise at all,
/// [`may_read_enterprise`].)
pub fn may_list_enterprise(province: Option<&RegionCode>, e: &EnterpriseFacts) -> bool {
    province.is_none_or(|p| e.county.province() == *p)
}

/// What deciding a request to join an enterprise depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinFacts {
    pub enterprise_id: i64,
    pub county: RegionCode,
    /// The enterprise has active accounts already.
    pub has_accounts: bool,
    /// Who last changed the enterprise's contact e-mail.
    pub contact_changed_by: Option<i64>,
}

/// Who decides whether someone may speak for an enterprise: its own
/// accounts; when it has none, the lead of its county department, unless
/// that lead is who changed the contact e-mail (else an officer could point
/// the contact at itself and approve its own joining). Nobody else, not
/// even an administrator: the enterprise, or the county that knows it,
/// vouches for its people.
pub fn may_decide_join(caller: &Caller, j: &JoinFacts) -> bool {
    if j.has_accounts {
        return caller.role == Role::Enterprise && caller.enterprise_id == Some(j.enterprise_id);
    }
    caller.role == Role::Lead
        && j.contact_changed_by != Some(caller.user_id)
        && staff_department(caller).is_some_and(|d| is_county_department_of(d, &j.county))
}

/// Whether `d` is the county department of the county.
fn is_county_department_of(d: &DepartmentScope, county: &RegionCode) -> bool {
    d.kind == DepartmentKind::County
        && d.region
            .as_ref()
            .is_some_and(|(code, level)| *level == RegionLevel::County && code == county)
}

/// Who verifies a self-registered enterprise: staff of its county
/// department (and administrators).
pub fn may_verify_enterprise(caller: &Caller, county: &RegionCode) -> bool {
    match caller.role {
        Role::Admin => true,
        Role::Officer | Role::Lead => {
            staff_department(caller).is_some_and(|d| is_county_department_of(d, county))
        }
        _ => false,
    }
}

/// What authorization needs to know about a user account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFacts {
    pub id: i64,
    pub department: Option<DepartmentRef>,
    pub enterprise_id: Option<i64>,
}

/// Everyone sees themselves; staff see staff of their subtree; an
/// enterprise sees its own colleagues; administrators see everyone.
pub fn may_read_user(caller: &Caller, u: &UserFacts) -> bool {
    if caller.user_id == u.id || caller.role == Role::Admin {
        return true;
    }
    match caller.role {
        Role::Enterprise => {
            caller.enterprise_id.is_some() && caller.enterprise_id == u.enterprise_id
        }
        _ => match (staff_department(caller), &u.department) {
            (Some(d), Some(target)) => d.covers_department(target),
            _ => false,
        },
    }
}

/// Supervisors' numbers (metrics, dashboard, rankings): supervisors and
/// leads of a department, for its jurisdiction.
pub fn may_read_metrics(caller: &Caller) -> bool {
    matches!(caller.role, Role::Supervisor | Role::Lead) && caller.department.is_some()
}

/// Whether the supervision list offers urging at all (each ticket is still
/// checked by `may_act_on_ticket`): supervisors, leads and chain platforms.
pub fn may_urge_from_supervision(caller: &Caller) -> bool {
    matches!(caller.role, Role::Supervisor | Role::Lead)
        || caller
            .department
            .as_ref()
            .is_some_and(|d| d.chain_code.is_some())
}

/// A department's own settings (automatic assignment, desk phone): its
/// lead, or an administrator.
pub fn may_change_department_settings(caller: &Caller, department_id: i64) -> bool {
    caller.role == Role::Admin
        || (caller.role == Role::Lead
            && caller
                .department
                .as_ref()
                .is_some_and(|d| d.id == department_id))
}

/// Who filed a ticket, beside it (the enterprise's record, its listings,
/// its earlier tickets): staff who may read the ticket. The enterprise
/// knows itself.
pub fn may_see_filer(caller: &Caller, t: &TicketFacts) -> bool {
    caller.role.is_staff() && may_read_ticket(caller, t)
}

/// The filer's contact phone in full: staff of the department handling
/// or co-handling the ticket, who call back; others see it masked.
pub fn may_call_filer(caller: &Caller, t: &TicketFacts) -> bool {
    may_see_filer(caller, t)
        && staff_department(caller)
            .is_some_and(|d| d.id == t.handling.id || t.cohandlers.iter().any(|c| c.id == d.id))
}

/// A department's canned replies (常用语): its lead writes them, as the
/// department's other settings.
pub fn may_edit_canned_replies(caller: &Caller, department_id: i64) -> bool {
    caller.role == Role::Lead
        && caller
            .department
            .as_ref()
            .is_some_and(|d| d.id == department_id)
}

/// Only administrators manage accounts and reference data.
pub fn may_administer(caller: &Caller) -> bool {
    caller.role == Role::Admin
}

/// A file on a ticket's step: whoever may read the ticket; one on an
/// internal step (an internal comment) staff only, never the enterprise.
pub fn may_read_attachment(caller: &Caller, t: &TicketFacts, internal: bool) -> bool {
    may_read_ticket(caller, t) && (!internal || caller.role.is_staff())
}

/// Uploading files to attach to a step: the people who file problems or
/// handle them; administrators handle none.
pub fn may_upload_attachments(caller: &Caller) -> bool {
    match caller.role {
        Role::Enterprise => caller.enterprise_id.is_some(),
        Role::Admin => false,
        Role::Officer | Role::Lead | Role::Supervisor => caller.department.is_some(),
    }
}

/// The mobile number an enterprise receives SMS notices on: the
/// enterprise sets its own, and staff who may change its record set it.
pub fn may_set_sms_mobile(caller: &Caller, enterprise_id: i64, county: &RegionCode) -> bool {
    (caller.role == Role::Enterprise && caller.enterprise_id == Some(enterprise_id))
        || may_manage_enterprise(caller, county)
}

/// Reads that number in full outside a ticket: the enterprise itself.
/// Staff see it masked, and in full only beside a ticket their department
/// handles ([`may_call_filer`]).
pub fn may_see_sms_mobile(caller: &Caller, enterprise_id: i64) -> bool {
    caller.role == Role::Enterprise && caller.enterprise_id == Some(enterprise_id)
}

/// How much of a monitoring list (监测名单) a caller reads: all of it, or,
/// for a list kept above the caller's department, the part in its
/// jurisdiction (its region's subtree, or its chain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MonitoringView {
    Whole,
    Region(RegionCode, RegionLevel),
    Chain(String),
}

/// Who reads a list's reports and rates: staff of the department that
/// keeps it and of the departments above it, wholly; staff of the
/// departments below it, the part in their jurisdiction (as for tickets).
/// Nobody else: the answer is then "no such list".
pub fn may_read_monitoring(caller: &Caller, list: &DepartmentRef) -> Option<MonitoringView> {
    if !matches!(caller.role, Role::Officer | Role::Lead | Role::Supervisor) {
        return None;
    }
    let d = staff_department(caller)?;
    if d.covers_department(list) {
        return Some(MonitoringView::Whole);
    }
    if !list.path.is_empty() && d.path.starts_with(&list.path) {
        return match (&d.kind, &d.region, &d.chain_code) {
            (DepartmentKind::ChainPlatform, _, Some(chain)) => {
                Some(MonitoringView::Chain(chain.clone()))
            }
            (_, Some((code, level)), _) => Some(MonitoringView::Region(code.clone(), *level)),
            _ => None,
        };
    }
    None
}

/// Who keeps a list (names it, adds and removes enterprises): the
/// officers and leads of its department.
pub fn may_keep_monitoring_list(caller: &Caller, department_id: i64) -> bool {
    matches!(caller.role, Role::Officer | Role::Lead)
        && staff_department(caller).is_some_and(|d| d.id == department_id)
}

/// Which enterprises a department's list may hold: those in its
/// jurisdiction (its region's subtree, its chain; the ministry's: all).
pub fn may_monitor_enterprise(keeper: &DepartmentScope, e: &EnterpriseFacts) -> bool {
    keeper.covers_region(&e.county) || keeper.coordinates_any(&e.chains)
}

/// Who files an enterprise's daily report (日报): its own accounts, for
/// their enterprise only. Returns the enterprise.
pub fn may_file_daily_report(caller: &Caller) -> Option<i64> {
    match caller.role {
        Role::Enterprise => caller.enterprise_id,
        _ => None,
    }
}

/// Who sets an enterprise's industry code: whoever may change its record.
pub fn may_set_industry(caller: &Caller, e: &EnterpriseFacts) -> bool {
    may_manage_enterprise(caller, &e.county)
}

/// Who urges the enterprises missing from a day's reports (催报): staff
/// who read the list, for the enterprises they see.
pub fn may_urge_reports(caller: &Caller, view: Option<&MonitoringView>) -> bool {
    view.is_some() && matches!(caller.role, Role::Officer | Role::Lead | Role::Supervisor)
}

#[cfg(test)]
mod tests;
