//! Issue 26: `yizhan demo --as-of 2022-04-28` shows the interview's
//! figures through the API: Shanghai's first white-list batch of 666
//! enterprises 86.8% back at work (car makers and parts 77%, chips 91%),
//! Jilin's 50 backbone enterprises 98%, the 15 car groups' 45,000 vehicles
//! a day from 22 to 28 April, +70% on the week before, and the automotive
//! platform's 700+ problems resolved.

use chrono::NaiveDate;
use serde_json::{json, Value};
use yizhan::configuration::Profile;
use yizhan::seed::demo::monitoring::{LIST_CAR_GROUPS, LIST_JILIN, LIST_SHANGHAI};
use yizhan::seed::demo::{DEMO_DOMAIN, DEMO_PASSWORD};
use yizhan::services::demo::{create, DemoOptions, DEMO_TICKETS};

use crate::each_backend;
use crate::helpers::TestApp;

async fn token(app: &TestApp, who: &str) -> String {
    let res = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": format!("{who}@{DEMO_DOMAIN}"), "password": DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), 200, "{who}");
    res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let res = app.get_as(path, token).await;
    assert_eq!(res.status(), 200, "{path}");
    res.json().await.unwrap()
}

/// A rate in percent, to one decimal, as the board shows it.
fn percent(rate: &Value) -> f64 {
    (rate["value"].as_f64().unwrap() * 1000.0).round() / 10.0
}

each_backend! {
    async fn the_demo_as_of_28_april_2022_shows_the_interviews_figures(app) {
        let mut settings = app.settings.clone();
        settings.profile = Profile::Development;
        let options = DemoOptions {
            until: NaiveDate::from_ymd_opt(2022, 4, 28).unwrap(),
            tickets: DEMO_TICKETS,
        };
        let started = std::time::Instant::now();
        let report = create(&app.db, &settings, options, |_, _| {}).await.expect("demo data");
        eprintln!("demo as of 2022-04-28: {:?}", started.elapsed());
        assert_eq!(report.refused, 0);

        let miit = token(&app, "miit").await;
        let lists = get(&app, &miit, "/api/v1/monitoring/lists").await;
        let id = |name: &str| {
            lists.as_array().unwrap().iter().find(|l| l["name"] == name).unwrap()["id"].as_i64().unwrap()
        };
        let (shanghai, jilin, cars) = (id(LIST_SHANGHAI), id(LIST_JILIN), id(LIST_CAR_GROUPS));
        let day = "date=2022-04-28";

        // Shanghai's first white-list batch: 666 enterprises, 86.8% back at work.
        let sh = get(&app, &miit, &format!("/api/v1/monitoring/overview?list={shanghai}&{day}")).await;
        assert_eq!(sh["total"]["listed"], 666);
        assert_eq!(sh["total"]["back_to_work_rate"]["numerator"], 578);
        assert_eq!(percent(&sh["total"]["back_to_work_rate"]), 86.8);
        // Non-reporters are in the denominator and listed apart.
        assert!(sh["missing_total"].as_u64().unwrap() > 0);
        // Car makers and parts 77%, chips (design, making, packaging) 91%:
        // by industry, and by chain alike.
        for q in ["industry=C36", "chain=automotive"] {
            let b = get(&app, &miit, &format!("/api/v1/monitoring/overview?list={shanghai}&{day}&{q}")).await;
            assert_eq!(percent(&b["total"]["back_to_work_rate"]).round(), 77.0, "{q}");
        }
        for q in ["industry=C3973,I6520", "chain=integrated_circuits"] {
            let b = get(&app, &miit, &format!("/api/v1/monitoring/overview?list={shanghai}&{day}&{q}")).await;
            assert_eq!(percent(&b["total"]["back_to_work_rate"]).round(), 91.0, "{q}");
        }
        // Jilin's 50 backbone enterprises: 98%, as Jilin's supervisor reads it.
        let jl = token(&app, "jilin.supervisor").await;
        let j = get(&app, &jl, &format!("/api/v1/monitoring/overview?list={jilin}&{day}")).await;
        assert_eq!(j["total"]["listed"], 50);
        assert_eq!(percent(&j["total"]["back_to_work_rate"]), 98.0);
        // The 15 car groups: 45,000 vehicles a day from 22 to 28 April, +70%
        // on the period before of equal length.
        let week = get(&app, &miit, &format!("/api/v1/monitoring/overview?list={cars}&from=2022-04-22&to=2022-04-28")).await;
        assert_eq!(week["total"]["listed"], 15);
        let vehicles = week["output"].as_array().unwrap().iter().find(|o| o["unit"] == "辆").unwrap();
        assert_eq!(vehicles["per_day"], 45_000.0);
        assert_eq!((vehicles["change"].as_f64().unwrap() * 1000.0).round() / 10.0, 70.0);
        assert_eq!((week["previous_from"].as_str(), week["previous_to"].as_str()), (Some("2022-04-15"), Some("2022-04-21")));
        // And against 15-22 April, as the interview dates the week before:
        // daily averages compared, +70%.
        let dated = get(&app, &miit, &format!("/api/v1/monitoring/overview?list={cars}&from=2022-04-22&to=2022-04-28&compare_from=2022-04-15&compare_to=2022-04-22")).await;
        let vehicles = dated["output"].as_array().unwrap().iter().find(|o| o["unit"] == "辆").unwrap();
        assert_eq!((dated["previous_from"].as_str(), dated["previous_to"].as_str()), (Some("2022-04-15"), Some("2022-04-22")));
        assert_eq!(vehicles["per_day"], 45_000.0);
        assert_eq!((vehicles["change"].as_f64().unwrap() * 1000.0).round() / 10.0, 70.0);
        // 24 April, a Sunday, was a working day: the week counts six.
        assert_eq!(week["total"]["days"], 6);
        // Shanghai's supervisor sees the car groups' list in part: its three.
        let shs = token(&app, "shanghai.supervisor").await;
        let part = get(&app, &shs, &format!("/api/v1/monitoring/overview?list={cars}&{day}")).await;
        assert_eq!((part["narrowed"].as_bool(), part["total"]["listed"].as_u64()), (Some(true), Some(3)));
        // Blockers of the day became tickets, linked both ways.
        let ticketed = sh["blockers"].as_array().unwrap().iter().filter(|b| !b["ticket"].is_null()).count();
        assert_eq!(ticketed, 3, "{}", sh["blockers"]);

        // The ticket side: the automotive platform's 700+ problems resolved.
        let auto = token(&app, "auto.supervisor").await;
        let m = get(&app, &auto, "/api/v1/metrics?from=2021-04-29&to=2022-04-28").await;
        assert!(m["resolved_to_date"].as_u64().unwrap() >= 700, "{}", m["resolved_to_date"]);
        assert!(m["milestones"].as_array().unwrap().iter().any(|x| x["count"] == 700 && x["reached"] == true));
        // And on the board: the car groups' list, automotive chain.
        let board = get(&app, &miit, &format!("/api/v1/monitoring/overview?list={cars}&{day}&chain=automotive")).await;
        assert_eq!(board["tickets_resolved_to_date"], m["resolved_to_date"]);
        // Nothing after that evening.
        let future = app.db.run(|conn| {
            use diesel::prelude::*;
            use yizhan::storage::schema::{daily_reports, ticket_events};
            let evening = yizhan::services::demo::demo_now(NaiveDate::from_ymd_opt(2022, 4, 28).unwrap()).naive_utc();
            Ok(ticket_events::table.filter(ticket_events::created_at.gt(evening)).count().get_result::<i64>(conn)?
                + daily_reports::table.filter(daily_reports::reported_at.gt(evening)).count().get_result::<i64>(conn)?)
        }).await.unwrap();
        assert_eq!(future, 0);
    }
}
