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
    categories (code) {
        code -> Text,
        name_zh -> Text,
        name_en -> Text,
        sort_order -> Integer,
        active -> Bool,
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
        auto_assign -> Bool,
        phone -> Nullable<Text>,
    }
}

diesel::table! {
    routing_rules (id) {
        id -> BigInt,
        position -> Integer,
        name -> Text,
        enabled -> Bool,
        category -> Nullable<Text>,
        urgency -> Nullable<Text>,
        listed -> Nullable<Text>,
        chain_code -> Nullable<Text>,
        reach -> Nullable<Text>,
        target_level -> Text,
        sla_policy -> Nullable<Text>,
        notify_chain_platform -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    tickets (id) {
        id -> BigInt,
        number -> Text,
        enterprise_id -> BigInt,
        filer_id -> BigInt,
        category -> Text,
        urgency -> Text,
        title -> Text,
        description -> Text,
        place_code -> Text,
        regions_involved -> Text,
        chains -> Text,
        whitelisted -> Bool,
        status -> Text,
        version -> Integer,
        handling_department_id -> BigInt,
        sent_from_department_id -> Nullable<BigInt>,
        assignee_id -> Nullable<BigInt>,
        sla_policy -> Nullable<Text>,
        sign_due_at -> Nullable<Timestamp>,
        resolve_due_at -> Nullable<Timestamp>,
        extension_pending -> Bool,
        overdue -> Bool,
        escalation_level -> Integer,
        urged_count -> Integer,
        reopened_count -> Integer,
        sent_on_count -> Integer,
        rating -> Nullable<Text>,
        solved -> Nullable<Bool>,
        filed_at -> Timestamp,
        signed_at -> Nullable<Timestamp>,
        resolved_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    ticket_ratings (id) {
        id -> BigInt,
        ticket_id -> BigInt,
        rated_by -> BigInt,
        rating -> Text,
        solved -> Bool,
        rated_at -> Timestamp,
    }
}

diesel::table! {
    ticket_departments (ticket_id, department_id, role) {
        ticket_id -> BigInt,
        department_id -> BigInt,
        role -> Text,
        opinion -> Nullable<Text>,
        opinion_posted -> Bool,
        released -> Bool,
    }
}

diesel::table! {
    ticket_events (id) {
        id -> BigInt,
        ticket_id -> BigInt,
        seq -> Integer,
        action -> Text,
        actor_id -> Nullable<BigInt>,
        actor_department_id -> Nullable<BigInt>,
        from_status -> Nullable<Text>,
        to_status -> Text,
        note -> Nullable<Text>,
        detail -> Nullable<Text>,
        internal -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ticket_counters (county_code, day) {
        county_code -> Text,
        day -> Text,
        last -> Integer,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> BigInt,
        key -> Text,
        ticket_id -> BigInt,
        created_at -> Timestamp,
        fingerprint -> Text,
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
        verification -> Text,
        verified_by -> Nullable<BigInt>,
        verified_at -> Nullable<Timestamp>,
        contact_changed_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    enterprise_join_requests (id) {
        id -> BigInt,
        enterprise_id -> BigInt,
        email -> Text,
        display_name -> Text,
        phone -> Nullable<Text>,
        locale -> Text,
        password_hash -> Text,
        status -> Text,
        requested_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
        decided_by -> Nullable<BigInt>,
        user_id -> Nullable<BigInt>,
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
        demo -> Bool,
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

diesel::table! {
    canned_replies (id) {
        id -> BigInt,
        department_id -> BigInt,
        title -> Text,
        body -> Text,
        updated_by -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sign_windows (id) {
        id -> BigInt,
        ticket_id -> BigInt,
        department_id -> BigInt,
        opened_at -> Timestamp,
        due_at -> Timestamp,
        answered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    cohandling_clocks (ticket_id, department_id) {
        ticket_id -> BigInt,
        department_id -> BigInt,
        round -> Integer,
        started_at -> Timestamp,
        due_at -> Timestamp,
        warn_at -> Timestamp,
        fired -> Integer,
        answered_at -> Nullable<Timestamp>,
        released -> Bool,
        next_check_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    cohandling_events (id) {
        id -> BigInt,
        ticket_id -> BigInt,
        department_id -> BigInt,
        kind -> Text,
        level -> Integer,
        round -> Integer,
        due_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    calendar_recomputes (id) {
        id -> BigInt,
        years -> Text,
        previous_days -> Text,
        due_from -> Timestamp,
        after_ticket_id -> BigInt,
        moved -> Integer,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    calendar_days (day) {
        day -> Date,
        kind -> Text,
        note -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sla_policies (name) {
        name -> Text,
        sign_value -> BigInt,
        sign_unit -> Text,
        resolve_value -> BigInt,
        resolve_unit -> Text,
        warning_percent -> Integer,
        escalation_working_days -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    ticket_clocks (ticket_id) {
        ticket_id -> BigInt,
        policy -> Text,
        sign_round -> Integer,
        sign_started_at -> Timestamp,
        sign_warn_at -> Timestamp,
        sign_fired -> Integer,
        resolve_round -> Integer,
        resolve_started_at -> Timestamp,
        resolve_warn_at -> Timestamp,
        resolve_fired -> Integer,
        paused_at -> Nullable<Timestamp>,
        extension_days -> Nullable<Integer>,
        supervising_department_id -> Nullable<BigInt>,
        bounce_department_id -> Nullable<BigInt>,
        next_check_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    ticket_metrics (ticket_id) {
        ticket_id -> BigInt,
        first_sign_due_at -> Nullable<Timestamp>,
        first_signed_at -> Nullable<Timestamp>,
        sign_minutes -> Nullable<BigInt>,
        first_resolve_due_at -> Nullable<Timestamp>,
        first_resolved_at -> Nullable<Timestamp>,
        resolve_minutes -> Nullable<BigInt>,
        rated_at -> Nullable<Timestamp>,
        routings -> Integer,
        returns -> Integer,
        repeated -> Bool,
        last_at -> Timestamp,
        folded -> Bool,
        responded_at -> Nullable<Timestamp>,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    metric_days (level, region_code, day) {
        level -> SmallInt,
        region_code -> Text,
        day -> Date,
        received -> BigInt,
        routings -> BigInt,
        returns -> BigInt,
        repeats -> BigInt,
        sign_due -> BigInt,
        signed_on_time -> BigInt,
        resolve_due -> BigInt,
        resolved_on_time -> BigInt,
        signed -> BigInt,
        sign_minutes -> BigInt,
        resolved -> BigInt,
        reopened -> BigInt,
        resolved_timed -> BigInt,
        resolve_minutes -> BigInt,
        rated -> BigInt,
        solved -> BigInt,
        satisfied -> BigInt,
        final_rated -> BigInt,
        final_satisfied -> BigInt,
    }
}

diesel::table! {
    metric_folds (ticket_id) {
        ticket_id -> BigInt,
        place_code -> Text,
        counts -> Text,
    }
}

diesel::table! {
    sla_events (id) {
        id -> BigInt,
        ticket_id -> BigInt,
        kind -> Text,
        level -> Integer,
        round -> Integer,
        handling_department_id -> BigInt,
        notified_department_id -> BigInt,
        escalation_level -> Integer,
        due_at -> Timestamp,
        created_at -> Timestamp,
        queued_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    outbox_messages (id) {
        id -> BigInt,
        notice -> Text,
        ticket_id -> Nullable<BigInt>,
        recipient_user_id -> Nullable<BigInt>,
        to_address -> Text,
        locale -> Text,
        params -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        channel -> Text,
        robot_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    notification_preferences (user_id, notice) {
        user_id -> BigInt,
        notice -> Text,
        enabled -> Bool,
    }
}

diesel::table! {
    message_templates (kind, locale) {
        kind -> Text,
        locale -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        updated_by -> Nullable<BigInt>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    account_tokens (id) {
        id -> BigInt,
        purpose -> Text,
        token_hash -> Text,
        email -> Text,
        user_id -> Nullable<BigInt>,
        payload -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    digests (department_id, digest_date) {
        department_id -> BigInt,
        digest_date -> Date,
        period_start -> Timestamp,
        period_end -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::joinable!(users -> departments (department_id));
diesel::table! {
    saved_views (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        query -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(users -> enterprises (enterprise_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(enterprise_chains -> enterprises (enterprise_id));
diesel::joinable!(whitelist_entries -> enterprises (enterprise_id));
diesel::joinable!(enterprise_join_requests -> enterprises (enterprise_id));
diesel::joinable!(ticket_events -> tickets (ticket_id));
diesel::joinable!(ticket_departments -> tickets (ticket_id));
diesel::joinable!(ticket_clocks -> tickets (ticket_id));
diesel::joinable!(sla_events -> tickets (ticket_id));
diesel::joinable!(ticket_metrics -> tickets (ticket_id));
diesel::joinable!(metric_folds -> tickets (ticket_id));
diesel::table! {
    notifications (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        ticket_id -> BigInt,
        params -> Text,
        sla_event_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    attachments (id) {
        id -> BigInt,
        ticket_id -> Nullable<BigInt>,
        event_id -> Nullable<BigInt>,
        uploader_id -> BigInt,
        file_name -> Text,
        media_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        object_key -> Text,
        thumbnail_key -> Nullable<Text>,
        visibility -> Text,
        created_at -> Timestamp,
        attached_at -> Nullable<Timestamp>,
        thumbnail_due_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    attachment_objects (object_key) {
        object_key -> Text,
        state -> Text,
        touched_at -> Timestamp,
    }
}
mod monitoring;
pub use monitoring::*;

diesel::allow_tables_to_appear_in_same_query!(
    regions,
    categories,
    chains,
    departments,
    enterprises,
    users,
    refresh_tokens,
    login_throttles,
    auth_events,
    enterprise_join_requests,
    ticket_ratings,
    enterprise_chains,
    whitelist_entries,
    routing_rules,
    tickets,
    ticket_departments,
    ticket_events,
    ticket_counters,
    idempotency_keys,
    calendar_days,
    calendar_recomputes,
    cohandling_clocks,
    sign_windows,
    canned_replies,
    saved_views,
    cohandling_events,
    sla_policies,
    ticket_clocks,
    sla_events,
    outbox_messages,
    ticket_metrics,
    notification_preferences,
    message_templates,
    account_tokens,
    digests,
    metric_days,
    metric_folds,
    notifications,
    attachments,
    attachment_objects,
    department_robots,
    enterprise_mobiles,
    delivery_channels,
    enterprise_industries,
    monitoring_lists,
    monitoring_members,
    daily_reports,
    daily_report_revisions,
    daily_report_blockers,
    monitoring_days,
    monitoring_reminders,
);

diesel::table! {
    department_robots (id) {
        id -> BigInt,
        department_id -> BigInt,
        service -> Text,
        name -> Text,
        webhook_url -> Text,
        secret -> Nullable<Text>,
        notices -> Text,
        active -> Bool,
        created_by -> Nullable<BigInt>,
        updated_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    enterprise_mobiles (enterprise_id) {
        enterprise_id -> BigInt,
        mobile -> Text,
        updated_by -> Nullable<BigInt>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    delivery_channels (channel) {
        channel -> Text,
        enabled -> Bool,
        updated_at -> Timestamp,
    }
}
