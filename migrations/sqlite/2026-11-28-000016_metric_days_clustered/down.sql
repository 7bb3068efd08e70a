CREATE TABLE metric_days_rowid (
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
);
INSERT INTO metric_days_rowid SELECT * FROM metric_days;
DROP TABLE metric_days;
ALTER TABLE metric_days_rowid RENAME TO metric_days;
