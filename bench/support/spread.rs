//! The realistic shape of filing load: enterprises in many counties, each
//! county's department with an officer, as the 2,978 counties of the
//! country spread real filings. Made straight in the database (the accounts
//! share the bench enterprise's password hash, so no hashing is timed).

use diesel::prelude::*;
use yizhan::domain::enterprise::EnterpriseInput;
use yizhan::domain::role::Role;
use yizhan::storage::schema::{regions, users};
use yizhan::storage::users::{NewUser, User};

use super::Bench;

/// `n` counties with a department, taken evenly from every province's
/// list (ordered by code), each with an enterprise, its filing account
/// (`e{i}@spread.bench.cn`) and an officer. Returns the filing accounts'
/// e-mails.
pub async fn enterprises_in_counties(b: &Bench, n: usize) -> Vec<String> {
    let counties: Vec<String> =
        b.db.run(|conn| {
            Ok(regions::table
                .filter(regions::level.eq(yizhan::domain::region::RegionLevel::County))
                .filter(regions::department_id.is_not_null())
                .filter(regions::nominal.eq(false))
                .order(regions::code.asc())
                .select(regions::code)
                .load::<String>(conn)?)
        })
        .await
        .expect("counties");
    assert!(counties.len() >= n, "only {} counties", counties.len());
    let step = counties.len() / n;
    let chosen: Vec<String> = counties.into_iter().step_by(step).take(n).collect();
    let admin = yizhan::domain::access::Caller {
        user_id: 0,
        role: Role::Admin,
        department: None,
        enterprise_id: None,
    };
    let mut emails = Vec::with_capacity(n);
    for (i, county) in chosen.iter().enumerate() {
        let enterprise = yizhan::services::enterprises::create(
            &b.db,
            &admin,
            EnterpriseInput {
                credit_code: super::valid_code(&format!("91{county}{i:09}")),
                name: format!("分散负载企业{i}号有限公司"),
                county_code: county.clone(),
                ..Default::default()
            },
            false,
            b.sla.now(),
        )
        .await
        .expect("enterprise")
        .enterprise;
        let email = format!("e{i}@spread.bench.cn");
        let officer = format!("o{i}@spread.bench.cn");
        let county = county.clone();
        let (e, o) = (email.clone(), officer.clone());
        b.db.run(move |conn| {
            let hash: Option<String> = users::table
                .filter(users::email.eq("e@bench.cn"))
                .select(users::password_hash)
                .first(conn)?;
            let department: i64 = regions::table
                .filter(regions::code.eq(&county))
                .filter(regions::level.eq(yizhan::domain::region::RegionLevel::County))
                .select(regions::department_id.assume_not_null())
                .first(conn)?;
            let now = chrono::Utc::now().naive_utc();
            let long_ago = chrono::NaiveDate::from_ymd_opt(2000, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap();
            for (email, role, department_id, enterprise_id) in [
                (e.as_str(), Role::Enterprise, None, Some(enterprise.id)),
                (o.as_str(), Role::Officer, Some(department), None),
            ] {
                User::insert(
                    conn,
                    &NewUser {
                        email,
                        display_name: email,
                        phone: None,
                        role,
                        department_id,
                        enterprise_id,
                        password_hash: hash.as_deref(),
                        active: true,
                        email_verified_at: Some(now),
                        locale: "zh",
                        tokens_valid_after: long_ago,
                        created_at: long_ago,
                        updated_at: now,
                    },
                )?;
            }
            Ok(())
        })
        .await
        .expect("accounts");
        emails.push(email);
    }
    emails
}
