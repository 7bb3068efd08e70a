//! Each demo ticket's story (the steps it goes through, at what time, by
//! whom) and the accounts that act in them.

use super::*;

/// A ticket's steps; `above` is how many departments stand above the one
/// it is routed to, so that it is returned or escalated only while one does.
pub(super) fn plan_steps(
    rng: &mut Lcg,
    p: Profile,
    filed: DateTime<Utc>,
    surge: bool,
    urgency: &str,
    mut above: usize,
) -> Vec<(DateTime<Utc>, DemoStep)> {
    let mut steps = Vec::new();
    if rng.percent(2) {
        steps.push((
            filed + Duration::hours(1),
            DemoStep::Withdraw("问题已自行解决，撤回诉求。".into()),
        ));
        return steps;
    }
    // The surge slowed everyone down.
    let load = if surge { 2 } else { 1 };
    let mut at = filed;
    // The draw comes first, so that the plan's random sequence stays as it was.
    if rng.percent(3) && above > 0 {
        at = after_hours(at, 1 + rng.below(3) as i64);
        steps.push((
            at,
            DemoStep::Return("该企业不在本区，请上级重新分派。".into()),
        ));
        above -= 1;
    }
    // Signed for as the 2022 mechanism reported: most in time. A critical
    // problem (30 minutes) within minutes, an urgent one (two working
    // hours) within the hour or so, a normal one as the province is used to.
    at = match urgency {
        "critical" => at + Duration::minutes(5 + rng.below(32) as i64),
        "urgent" => at + Duration::minutes(10 + rng.below(130) as i64),
        _ => after_hours(at, 1 + rng.below((p.sign_hours * load) as u64 * 2) as i64),
    };
    if rng.percent(1) {
        steps.push((
            at,
            DemoStep::Reject("所反映事项不属于工业和信息化部门职责。".into()),
        ));
        return steps;
    }
    steps.push((at, DemoStep::SignFor));
    if rng.percent(12) {
        at = after_hours(at, 2 + rng.below(8) as i64);
        steps.push((
            at,
            DemoStep::RequestInfo("请补充受影响的产线、人数和期望解决时间。".into()),
        ));
        at = after_hours(at, 1 + rng.below(12) as i64);
        steps.push((
            at,
            DemoStep::ProvideInfo("两条总装线停产，涉及员工 300 余人，希望三日内解决。".into()),
        ));
    }
    if rng.percent(5) {
        at = after_hours(at, 4 + rng.below(12) as i64);
        if above > 0 {
            steps.push((
                at,
                DemoStep::Escalate("涉及跨市协调，需上级部门统筹。".into()),
            ));
            at = after_hours(at, 1 + rng.below(6) as i64);
            steps.push((at, DemoStep::SignFor));
        } else {
            // The ministry, with no one above, coordinates itself; the same
            // draws keep the rest of the plan as it was.
            steps.push((
                at,
                DemoStep::RequestInfo(
                    "涉及跨地区协调，请列明相关地区和上下游企业，由部里统筹。".into(),
                ),
            ));
            at = after_hours(at, 1 + rng.below(6) as i64);
            steps.push((
                at,
                DemoStep::ProvideInfo(
                    "上游零部件供应商分布在周边两个省份，需要跨省协调运输。".into(),
                ),
            ));
        }
    }
    // Resolved within the urgency's window mostly (24 hours, two working
    // days), a normal problem as the province is used to.
    at = match urgency {
        "critical" => at + Duration::hours(2 + rng.below(22) as i64),
        "urgent" => after_hours(at, 3 + rng.below(18) as i64),
        _ => after_hours(
            at,
            4 + rng.below((p.resolve_days * load * 8) as u64 * 2) as i64,
        ),
    };
    steps.push((at, DemoStep::Resolve(texts::resolution(&mut || rng.next()))));
    if !rng.percent(88) {
        return steps;
    }
    let satisfied = rng.percent(p.satisfied);
    at = after_hours(at, 2 + rng.below(16) as i64);
    steps.push((at, rate(rng, satisfied)));
    if !satisfied && rng.percent(40) {
        steps.push((
            at + Duration::minutes(5),
            DemoStep::Reopen("问题没有真正解决，请继续协调。".into()),
        ));
        at = after_hours(at, 8 + rng.below(24) as i64);
        steps.push((at, DemoStep::Resolve("已再次协调，问题解决。".into())));
        at = after_hours(at, 2 + rng.below(8) as i64);
        let satisfied = rng.percent(80);
        steps.push((at, rate(rng, satisfied)));
    }
    steps
}

fn rate(rng: &mut Lcg, satisfied: bool) -> DemoStep {
    let (satisfaction, comment) = match (satisfied, rng.percent(70)) {
        (true, true) => (Satisfaction::Satisfied, "响应迅速，问题解决了。"),
        (true, false) => (Satisfaction::BasicallySatisfied, "基本解决，仍需跟进。"),
        (false, _) => (Satisfaction::Dissatisfied, "处理太慢，问题未解决。"),
    };
    DemoStep::Rate {
        satisfaction,
        solved: satisfied || rng.percent(10),
        comment: comment.into(),
    }
}

/// Staff who log in (printed once with the password), and one passwordless
/// filer for each enterprise that files (two of them log in too).
pub(super) fn accounts(enterprises: &[DemoEnterprise], tickets: &[DemoTicket]) -> Vec<DemoAccount> {
    let staff = |email: &str, name: &str, role: &'static str, department: &str| DemoAccount {
        email: format!("{email}@{DEMO_DOMAIN}"),
        name: name.to_string(),
        role,
        department: Some(department.to_string()),
        enterprise: None,
        password: true,
    };
    let mut accounts = vec![
        staff("admin", "系统管理员", "admin", ""),
        staff("miit", "工信部督查员", "supervisor", "ministry"),
        staff(
            "auto.officer",
            "汽车产业链平台联络员",
            "officer",
            "automotive",
        ),
        staff(
            "auto.supervisor",
            "汽车产业链平台督查员",
            "supervisor",
            "automotive",
        ),
        staff(
            "shanghai.supervisor",
            "上海市经信委督查员",
            "supervisor",
            "310000",
        ),
        staff("shanghai.lead", "上海市经信委负责人", "lead", "310000"),
        staff("pudong.officer", "浦东新区经委办事员", "officer", "310115"),
        staff("jiading.officer", "嘉定区经委办事员", "officer", "310114"),
        staff(
            "jiangsu.supervisor",
            "江苏省工信厅督查员",
            "supervisor",
            "320000",
        ),
        staff(
            "suzhou.supervisor",
            "苏州市工信局督查员",
            "supervisor",
            "320500",
        ),
        staff("wuzhong.officer", "吴中区工信局办事员", "officer", "320506"),
        staff(
            "jilin.supervisor",
            "吉林省工信厅督查员",
            "supervisor",
            "220000",
        ),
        staff(
            "changchun.officer",
            "长春市朝阳区工信局办事员",
            "officer",
            "220104",
        ),
        staff(
            "hubei.supervisor",
            "湖北省经信厅督查员",
            "supervisor",
            "420000",
        ),
        staff(
            "guangdong.supervisor",
            "广东省工信厅督查员",
            "supervisor",
            "440000",
        ),
    ];
    accounts[0].department = None;
    // The SAIC group (first of the list) and one Suzhou firm log in.
    let saic = 0;
    let suzhou = enterprises
        .iter()
        .position(|e| e.county.starts_with("3205"));
    let mut filing: Vec<usize> = tickets.iter().map(|t| t.enterprise).collect();
    filing.push(saic);
    filing.extend(suzhou);
    filing.sort_unstable();
    filing.dedup();
    for i in filing {
        let (email, password) = if i == saic {
            (format!("saic@{DEMO_DOMAIN}"), true)
        } else if Some(i) == suzhou {
            (format!("suzhou.firm@{DEMO_DOMAIN}"), true)
        } else {
            (format!("enterprise{i}@{DEMO_DOMAIN}"), false)
        };
        accounts.push(DemoAccount {
            email,
            name: format!("{}联络人", enterprises[i].name),
            role: "enterprise",
            department: None,
            enterprise: Some(i),
            password,
        });
    }
    accounts
}
