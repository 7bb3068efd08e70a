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

diesel::table! {
    enterprises (id) {
        id -> BigInt,
        credit_code -> Text,
        name -> Text,
        county_code -> Text,
        checksum_waived -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        address -> Text,
        size -> Nullable<Text>,
        contact_name -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        contact_email -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        updated_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    enterprise_chains (enterprise_id, chain_code) {
        enterprise_id -> BigInt,
        chain_code -> Text,
    }
}

diesel::table! {
    whitelist_entries (id) {
        id -> BigInt,
        enterprise_id -> BigInt,
        scope -> Text,
        batch -> Integer,
        issuing_department_id -> BigInt,
        listed_on -> Date,
        removed_on -> Nullable<Date>,
        removed_by -> Nullable<BigInt>,
        chain_code -> Nullable<Text>,
        note -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        display_name -> Text,
        phone -> Nullable<Text>,
        role -> Text,
        department_id -> Nullable<BigInt>,
        enterprise_id -> Nullable<BigInt>,
        password_hash -> Nullable<Text>,
        active -> Bool,
        email_verified_at -> Nullable<Timestamp>,
        locale -> Text,
        tokens_valid_after -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        family -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        rotated_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_throttles (key) {
        key -> Text,
        failures -> Integer,
        window_started_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    auth_events (id) {
        id -> BigInt,
        kind -> Text,
        user_id -> Nullable<BigInt>,
        email -> Nullable<Text>,
        client_address -> Nullable<Text>,
        actor_id -> Nullable<BigInt>,
        detail -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(users -> departments (department_id));
diesel::joinable!(users -> enterprises (enterprise_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(enterprise_chains -> enterprises (enterprise_id));
diesel::joinable!(whitelist_entries -> enterprises (enterprise_id));
diesel::allow_tables_to_appear_in_same_query!(
    regions,
    chains,
    departments,
    enterprises,
    users,
    refresh_tokens,
    login_throttles,
    auth_events,
    enterprise_chains,
    whitelist_entries
);
