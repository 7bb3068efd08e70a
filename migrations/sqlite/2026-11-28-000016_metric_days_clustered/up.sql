-- The daily totals kept in key order (level, region, day): a dashboard
-- adds up one level's rows over a span of days, which then lie together
-- instead of one per page among the other levels' (SQLite only; on
-- PostgreSQL the index serves the same read).
CREATE TABLE metric_days_clustered (
    level SMALLINT NOT NULL,
    region_code TEXT NOT NULL,
    day DATE NOT NULL,
    received BIGINT NOT NULL DEFAULT 0,
    routings BIGINT NOT NULL DEFAULT 0,
    returns BIGINT NOT NULL DEFAULT 0,
    repeats BIGINT NOT NULL DEFAULT 0,
    sign_due BIGINT NOT NULL DEFAULT 0,
    signed_on_time BIGINT NOT NULL DEFAULT 0,
    resolve_due BIGINT NOT NULL DEFAULT 0,
    resolved_on_time BIGINT NOT NULL DEFAULT 0,
    signed BIGINT NOT NULL DEFAULT 0,
    sign_minutes BIGINT NOT NULL DEFAULT 0,
    resolved BIGINT NOT NULL DEFAULT 0,
    reopened BIGINT NOT NULL DEFAULT 0,
    resolved_timed BIGINT NOT NULL DEFAULT 0,
    resolve_minutes BIGINT NOT NULL DEFAULT 0,
    rated BIGINT NOT NULL DEFAULT 0,
    solved BIGINT NOT NULL DEFAULT 0,
    satisfied BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (level, region_code, day)
) WITHOUT ROWID;
INSERT INTO metric_days_clustered
    SELECT level, region_code, day, received, routings, returns, repeats, sign_due,
           signed_on_time, resolve_due, resolved_on_time, signed, sign_minutes, resolved,
           reopened, resolved_timed, resolve_minutes, rated, solved, satisfied
    FROM metric_days;
DROP TABLE metric_days;
ALTER TABLE metric_days_clustered RENAME TO metric_days;
