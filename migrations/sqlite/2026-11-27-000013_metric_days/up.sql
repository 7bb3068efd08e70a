-- Daily totals of the metrics (domain::metrics::daily) per region and
-- Beijing day: one row per county, city and province (level 3, 2, 1), so
-- that a dashboard adds up days rather than tickets.
CREATE TABLE metric_days (
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

-- What each ticket has added to the daily totals (JSON), to take back
-- when the ticket changes.
CREATE TABLE metric_folds (
    ticket_id BIGINT PRIMARY KEY REFERENCES tickets (id),
    place_code TEXT NOT NULL,
    counts TEXT NOT NULL
);

-- Every write of a ticket's metric row marks it to be folded into the
-- daily totals; existing rows are folded by the first run.
ALTER TABLE ticket_metrics ADD COLUMN folded BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX ticket_metrics_unfolded ON ticket_metrics (ticket_id) WHERE NOT folded;

-- What a dashboard reads live (by place): the open tickets, and finished tickets
-- whose sign-for deadline was never met and has not passed yet.
CREATE INDEX tickets_status ON tickets (status, place_code);
CREATE INDEX ticket_metrics_unsigned ON ticket_metrics (first_sign_due_at) WHERE first_signed_at IS NULL;
