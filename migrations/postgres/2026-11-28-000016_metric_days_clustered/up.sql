-- The daily totals a dashboard adds up (one level, a span of days), read
-- from the index alone where the visibility map allows, instead of one
-- heap page per row among the other levels' (SQLite keeps the table itself
-- in this order).
CREATE INDEX metric_days_by_day ON metric_days (level, day) INCLUDE (
    region_code, received, routings, returns, repeats, sign_due, signed_on_time,
    resolve_due, resolved_on_time, signed, sign_minutes, resolved, reopened,
    resolved_timed, resolve_minutes, rated, solved, satisfied
);
