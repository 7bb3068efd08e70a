use super::*;
use proptest::prelude::*;

use crate::domain::fixtures::*;

#[test]
fn an_enterprise_reads_only_its_own_tickets() {
    let t = ticket(7, 400, 400);
    assert!(may_read_ticket(&enterprise(7), &t));
    assert!(!may_read_ticket(&enterprise(8), &t));
    assert!(may_act_on_ticket(&enterprise(7), &t, TicketAction::Rate));
    assert!(!may_act_on_ticket(
        &enterprise(7),
        &t,
        TicketAction::Resolve
    ));
}

#[test]
fn jurisdiction_is_the_region_subtree() {
    let pudong_ticket = ticket(1, 400, 400);
    assert!(may_read_ticket(&staff(Role::Officer, 400), &pudong_ticket));
    assert!(
        !may_read_ticket(&staff(Role::Officer, 401), &pudong_ticket),
        "sibling district"
    );
    assert!(
        may_read_ticket(&staff(Role::Supervisor, 30), &pudong_ticket),
        "municipality"
    );
    assert!(
        may_read_ticket(&staff(Role::Supervisor, 1), &pudong_ticket),
        "ministry"
    );
    assert!(
        !may_read_ticket(&staff(Role::Supervisor, 20), &pudong_ticket),
        "other province"
    );

    let nanjing_ticket = ticket(1, 500, 500);
    assert!(
        may_read_ticket(&staff(Role::Officer, 100), &nanjing_ticket),
        "city reads its county"
    );
    assert!(!may_read_ticket(
        &staff(Role::Officer, 501),
        &nanjing_ticket
    ));
}

#[test]
fn handling_and_history_grant_reading() {
    // Transferred from 401 to 400: 401 handled it before.
    let mut t = ticket(1, 400, 400);
    t.passed_through.push(dept(401).as_ref());
    assert!(may_read_ticket(&staff(Role::Officer, 401), &t));
    assert!(!may_act_on_ticket(
        &staff(Role::Officer, 401),
        &t,
        TicketAction::Resolve
    ));
    // Jiangning co-handles.
    t.cohandlers.push(dept(501).as_ref());
    assert!(may_read_ticket(&staff(Role::Officer, 501), &t));
    assert!(may_act_on_ticket(
        &staff(Role::Officer, 501),
        &t,
        TicketAction::PostOpinion
    ));
    assert!(!may_act_on_ticket(
        &staff(Role::Officer, 500),
        &t,
        TicketAction::PostOpinion
    ));
}

#[test]
fn leads_assign_take_over_and_decide_extensions() {
    let t = ticket(1, 400, 400);
    assert!(may_act_on_ticket(
        &staff(Role::Lead, 400),
        &t,
        TicketAction::Assign
    ));
    assert!(!may_act_on_ticket(
        &staff(Role::Officer, 400),
        &t,
        TicketAction::Assign
    ));
    assert!(may_act_on_ticket(
        &staff(Role::Lead, 30),
        &t,
        TicketAction::TakeOver
    ));
    assert!(may_act_on_ticket(
        &staff(Role::Lead, 30),
        &t,
        TicketAction::DecideExtension
    ));
    assert!(
        !may_act_on_ticket(&staff(Role::Lead, 1), &t, TicketAction::DecideExtension),
        "only the parent"
    );
    assert!(
        !may_act_on_ticket(&staff(Role::Lead, 400), &t, TicketAction::TakeOver),
        "not its own"
    );
    let at_ministry = ticket(1, 400, 1);
    assert!(may_act_on_ticket(
        &staff(Role::Lead, 1),
        &at_ministry,
        TicketAction::DecideExtension
    ));
}

#[test]
fn chain_platforms_see_urge_and_take_over_their_chain() {
    let mut t = ticket(1, 500, 500);
    let platform_lead = staff(Role::Lead, 2);
    assert!(!may_read_ticket(&platform_lead, &t));
    t.enterprise_chains = vec!["automotive".into()];
    assert!(may_read_ticket(&platform_lead, &t));
    assert!(may_act_on_ticket(
        &staff(Role::Officer, 2),
        &t,
        TicketAction::Urge
    ));
    assert!(may_act_on_ticket(
        &platform_lead,
        &t,
        TicketAction::TakeOver
    ));
    assert!(!may_act_on_ticket(
        &staff(Role::Officer, 2),
        &t,
        TicketAction::TakeOver
    ));
}

#[test]
fn supervisors_and_admins_do_not_handle() {
    let t = ticket(1, 400, 400);
    let sup = staff(Role::Supervisor, 400);
    assert!(may_act_on_ticket(&sup, &t, TicketAction::Urge));
    assert!(!may_act_on_ticket(&sup, &t, TicketAction::SignFor));
    let admin = Caller {
        user_id: 1,
        role: Role::Admin,
        department: None,
        enterprise_id: None,
    };
    assert!(!may_read_ticket(&admin, &t));
    assert!(may_administer(&admin));
    assert!(!may_administer(&sup));
}

#[test]
fn users_and_enterprises_are_scoped_like_tickets() {
    let pudong_user = UserFacts {
        id: 1,
        department: Some(dept(400).as_ref()),
        enterprise_id: None,
    };
    assert!(may_read_user(&staff(Role::Officer, 30), &pudong_user));
    assert!(!may_read_user(&staff(Role::Officer, 401), &pudong_user));
    let colleague = UserFacts {
        id: 2,
        department: None,
        enterprise_id: Some(7),
    };
    assert!(may_read_user(&enterprise(7), &colleague));
    assert!(!may_read_user(&enterprise(8), &colleague));

    let e = EnterpriseFacts {
        id: 7,
        county: county_of(500),
        chains: vec![],
    };
    assert!(may_read_enterprise(&staff(Role::Officer, 100), &e));
    assert!(!may_read_enterprise(&staff(Role::Officer, 501), &e));
    assert!(may_read_enterprise(&enterprise(7), &e));
    assert!(!may_read_enterprise(&enterprise(8), &e));
}

fn any_caller() -> impl Strategy<Value = Caller> {
    prop_oneof![
        (1i64..5).prop_map(enterprise),
        (
            prop::sample::select(vec![Role::Officer, Role::Lead, Role::Supervisor]),
            prop::sample::select(DEPTS.to_vec())
        )
            .prop_map(|(r, d)| staff(r, d)),
        Just(Caller {
            user_id: 1,
            role: Role::Admin,
            department: None,
            enterprise_id: None
        }),
    ]
}

fn any_ticket() -> impl Strategy<Value = TicketFacts> {
    (
        1i64..5,
        prop::sample::select(COUNTY_DEPTS.to_vec()),
        prop::sample::select(DEPTS.to_vec()),
        prop::sample::subsequence(DEPTS.to_vec(), 0..3),
        prop::sample::subsequence(DEPTS.to_vec(), 0..2),
        any::<bool>(),
    )
        .prop_map(|(e, county, handling, passed, co, auto)| TicketFacts {
            enterprise_id: e,
            enterprise_chains: if auto {
                vec!["automotive".into()]
            } else {
                vec![]
            },
            place: county_of(county),
            handling: dept(handling).as_ref(),
            passed_through: passed.into_iter().map(|d| dept(d).as_ref()).collect(),
            cohandlers: co.into_iter().map(|d| dept(d).as_ref()).collect(),
        })
}

proptest! {
    #[test]
    fn no_enterprise_ever_reads_another_enterprises_ticket(c in any_caller(), t in any_ticket()) {
        if c.role == Role::Enterprise && may_read_ticket(&c, &t) {
            prop_assert_eq!(c.enterprise_id, Some(t.enterprise_id));
        }
    }

    #[test]
    fn no_officer_acts_outside_their_department(
        c in any_caller(),
        t in any_ticket(),
        a in prop::sample::select(TicketAction::ALL.to_vec()),
    ) {
        if a.is_handling() && may_act_on_ticket(&c, &t, a) {
            prop_assert!(matches!(c.role, Role::Officer | Role::Lead));
            prop_assert_eq!(c.department.as_ref().map(|d| d.id), Some(t.handling.id));
        }
    }

    #[test]
    fn acting_implies_reading(
        c in any_caller(),
        t in any_ticket(),
        a in prop::sample::select(TicketAction::ALL.to_vec()),
    ) {
        if may_act_on_ticket(&c, &t, a) {
            prop_assert!(may_read_ticket(&c, &t));
        }
    }

    #[test]
    fn admins_and_supervisors_never_handle(
        c in any_caller(),
        t in any_ticket(),
        a in prop::sample::select(TicketAction::ALL.to_vec()),
    ) {
        if matches!(c.role, Role::Admin | Role::Supervisor) && a.is_handling() {
            prop_assert!(!may_act_on_ticket(&c, &t, a));
        }
    }
}

#[test]
fn enterprise_scopes_follow_the_department() {
    assert_eq!(
        enterprise_scope(&staff(Role::Officer, 400)),
        EnterpriseScope::RegionPrefix("310115".into())
    );
    assert_eq!(
        enterprise_scope(&staff(Role::Supervisor, 30)),
        EnterpriseScope::RegionPrefix("31".into())
    );
    assert_eq!(
        enterprise_scope(&staff(Role::Officer, 100)),
        EnterpriseScope::RegionPrefix("3201".into())
    );
    assert_eq!(
        enterprise_scope(&staff(Role::Lead, 1)),
        EnterpriseScope::All
    );
    assert_eq!(
        enterprise_scope(&staff(Role::Officer, 2)),
        EnterpriseScope::Chain("automotive".into())
    );
    assert_eq!(enterprise_scope(&enterprise(7)), EnterpriseScope::Only(7));
}

#[test]
fn lists_are_kept_by_their_issuers() {
    let shanghai = RegionCode::parse("310000").unwrap();
    assert!(may_keep_list(&staff(Role::Officer, 1), None));
    assert!(!may_keep_list(&staff(Role::Officer, 30), None));
    assert!(may_keep_list(&staff(Role::Lead, 30), Some(&shanghai)));
    assert!(!may_keep_list(&staff(Role::Lead, 20), Some(&shanghai)));
    assert!(!may_keep_list(
        &staff(Role::Supervisor, 30),
        Some(&shanghai)
    ));
    assert!(!may_keep_list(&enterprise(7), None));
    // Everyone on the staff reads every listing: mutual recognition.
    assert!(may_read_listing(&staff(Role::Officer, 501), 7));
    assert!(may_read_listing(&enterprise(7), 7));
    assert!(!may_read_listing(&enterprise(8), 7));
}

#[test]
fn enterprises_are_managed_within_the_jurisdiction() {
    let pudong = county_of(400);
    assert!(may_manage_enterprise(&staff(Role::Officer, 400), &pudong));
    assert!(may_manage_enterprise(&staff(Role::Lead, 30), &pudong));
    assert!(!may_manage_enterprise(&staff(Role::Officer, 401), &pudong));
    assert!(!may_manage_enterprise(
        &staff(Role::Supervisor, 400),
        &pudong
    ));
    assert!(!may_manage_enterprise(&enterprise(7), &pudong));
}

#[test]
fn a_department_s_settings_are_its_lead_s_or_an_admin_s() {
    let lead = staff(Role::Lead, 500);
    let own = lead.department.as_ref().unwrap().id;
    assert!(may_change_department_settings(&lead, own));
    assert!(!may_change_department_settings(&lead, own + 1));
    assert!(!may_change_department_settings(
        &staff(Role::Officer, 500),
        own
    ));
    assert!(!may_change_department_settings(
        &staff(Role::Supervisor, 500),
        own
    ));
    let admin = Caller {
        user_id: 1,
        role: Role::Admin,
        department: None,
        enterprise_id: None,
    };
    assert!(may_change_department_settings(&admin, own + 1));
}

#[test]
fn metrics_are_read_by_supervisors_and_leads_and_urging_is_offered_to_platforms() {
    assert!(may_read_metrics(&staff(Role::Supervisor, 500)));
    assert!(may_read_metrics(&staff(Role::Lead, 500)));
    assert!(!may_read_metrics(&staff(Role::Officer, 500)));
    assert!(!may_read_metrics(&enterprise(7)));
    assert!(
        may_urge_from_supervision(&staff(Role::Officer, 2)),
        "a chain platform's officer"
    );
    assert!(!may_urge_from_supervision(&staff(Role::Officer, 500)));
}

#[test]
fn the_filer_is_shown_to_staff_and_its_phone_to_the_handling_department() {
    let t = ticket(7, 400, 400);
    assert!(
        !may_see_filer(&enterprise(7), &t),
        "the enterprise knows itself"
    );
    assert!(may_see_filer(&staff(Role::Officer, 400), &t));
    assert!(may_call_filer(&staff(Role::Officer, 400), &t));
    assert!(
        !may_see_filer(&staff(Role::Officer, 401), &t),
        "another district"
    );
    let supervisor = staff(Role::Supervisor, 30);
    assert!(may_see_filer(&supervisor, &t));
    assert!(
        !may_call_filer(&supervisor, &t),
        "the province sees it masked"
    );
    assert!(may_edit_canned_replies(&staff(Role::Lead, 400), 400));
    assert!(!may_edit_canned_replies(&staff(Role::Officer, 400), 400));
    assert!(!may_edit_canned_replies(&staff(Role::Lead, 400), 401));
    assert!(!may_edit_canned_replies(&enterprise(7), 400));
}
