//! The tables of daily monitoring (issue 26), beside the others'
//! definitions in `schema.rs`, which re-exports them and lists them in
//! `allow_tables_to_appear_in_same_query!`.

use super::enterprises;

diesel::table! {
    enterprise_industries (enterprise_id) {
        enterprise_id -> BigInt,
        industry_code -> Text,
        updated_by -> Nullable<BigInt>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    monitoring_lists (id) {
        id -> BigInt,
        department_id -> BigInt,
        name -> Text,
        source -> Text,
        whitelist_scope -> Nullable<Text>,
        whitelist_batch -> Nullable<Integer>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    monitoring_members (list_id, enterprise_id) {
        list_id -> BigInt,
        enterprise_id -> BigInt,
        county_code -> Text,
        industry_code -> Text,
        chains -> Text,
        added_at -> Timestamp,
    }
}

diesel::table! {
    daily_reports (id) {
        id -> BigInt,
        enterprise_id -> BigInt,
        day -> Date,
        status -> Text,
        staff_on_duty -> Integer,
        staff_usual -> Integer,
        capacity_percent -> Integer,
        output_milli -> Nullable<BigInt>,
        output_unit -> Nullable<Text>,
        inventory_days -> Nullable<Integer>,
        late -> Bool,
        revision -> Integer,
        reported_by -> BigInt,
        reported_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    daily_report_revisions (report_id, revision) {
        report_id -> BigInt,
        revision -> Integer,
        body -> Text,
        actor_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    daily_report_blockers (id) {
        id -> BigInt,
        report_id -> BigInt,
        position -> Integer,
        category -> Text,
        text -> Text,
        ticket_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    monitoring_days (list_id, level, day, region_code, industry_code, chain_code, unit) {
        list_id -> BigInt,
        level -> SmallInt,
        day -> Date,
        region_code -> Text,
        industry_code -> Text,
        chain_code -> Text,
        unit -> Text,
        reported -> BigInt,
        running -> BigInt,
        partial -> BigInt,
        stopped -> BigInt,
        not_resumed -> BigInt,
        late -> BigInt,
        staff_on_duty -> BigInt,
        staff_usual -> BigInt,
        capacity_weighted -> BigInt,
        output_milli -> BigInt,
        blockers -> BigInt,
    }
}

diesel::table! {
    monitoring_reminders (enterprise_id, day, kind) {
        enterprise_id -> BigInt,
        day -> Date,
        kind -> Text,
        list_id -> Nullable<BigInt>,
        sent_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(monitoring_members -> monitoring_lists (list_id));
diesel::joinable!(monitoring_members -> enterprises (enterprise_id));
diesel::joinable!(daily_reports -> enterprises (enterprise_id));
diesel::joinable!(daily_report_blockers -> daily_reports (report_id));
diesel::joinable!(daily_report_revisions -> daily_reports (report_id));
