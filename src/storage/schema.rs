//! Diesel table definitions, written by hand with types both backends share
//! (see `migrations/sqlite` and `migrations/postgres`).

diesel::table! {
    regions (code, level) {
        code -> Text,
        level -> Text,
        name -> Text,
        parent_code -> Nullable<Text>,
        province_code -> Text,
        nominal -> Bool,
        department_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    chains (code) {
        code -> Text,
        name_zh -> Text,
        name_en -> Text,
        sort_order -> Integer,
        active -> Bool,
    }
}

diesel::table! {
    departments (id) {
        id -> BigInt,
        kind -> Text,
        name -> Text,
        region_code -> Nullable<Text>,
        region_level -> Nullable<Text>,
        chain_code -> Nullable<Text>,
        parent_id -> Nullable<BigInt>,
        path -> Text,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::joinable!(departments -> chains (chain_code));
diesel::allow_tables_to_appear_in_same_query!(regions, chains, departments);
