-- Issue 26: daily monitoring (每日调度).
-- An enterprise's industry, GB/T 4754-2017 (国民经济行业分类), e.g. C3670.
CREATE TABLE enterprise_industries (
    enterprise_id BIGINT PRIMARY KEY NOT NULL REFERENCES enterprises (id),
    industry_code TEXT NOT NULL,
    updated_by BIGINT,
    updated_at TIMESTAMP NOT NULL
);

-- A department's named list of enterprises it follows every day (监测名单):
-- kept by hand (`members`), or every enterprise on a white list
-- (`whitelist`: scope, and a batch or every batch), in the department's
-- jurisdiction.
CREATE TABLE monitoring_lists (
    id BIGSERIAL PRIMARY KEY,
    department_id BIGINT NOT NULL REFERENCES departments (id),
    name TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('members', 'whitelist')),
    whitelist_scope TEXT,
    whitelist_batch INTEGER,
    created_by BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX monitoring_lists_name ON monitoring_lists (department_id, name);

-- A list's enterprises, each with the county, industry and chains its
-- reports were added to the daily figures under: the figures move with
-- them when the enterprise's record changes.
CREATE TABLE monitoring_members (
    list_id BIGINT NOT NULL REFERENCES monitoring_lists (id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    county_code TEXT NOT NULL,
    industry_code TEXT NOT NULL,
    chains TEXT NOT NULL,
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (list_id, enterprise_id)
);
-- The listed counts by region and industry, and the missing list of a region.
CREATE INDEX monitoring_members_scope ON monitoring_members (list_id, county_code, industry_code, chains);
CREATE INDEX monitoring_members_enterprise ON monitoring_members (enterprise_id);

-- The daily report (日报): one per enterprise and Beijing date.
CREATE TABLE daily_reports (
    id BIGSERIAL PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    day DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'partial', 'stopped', 'not_resumed')),
    staff_on_duty INTEGER NOT NULL,
    staff_usual INTEGER NOT NULL,
    capacity_percent INTEGER NOT NULL,
    -- Thousandths of the unit (辆, 片, 万只, ...); both or neither.
    output_milli BIGINT,
    output_unit TEXT,
    inventory_days INTEGER,
    -- First submitted after the correction cut-off.
    late BOOLEAN NOT NULL,
    revision INTEGER NOT NULL,
    reported_by BIGINT NOT NULL REFERENCES users (id),
    reported_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX daily_reports_once ON daily_reports (enterprise_id, day);
-- The missing list: who reported on a day.
CREATE INDEX daily_reports_day ON daily_reports (day, enterprise_id);

-- Every version of a report as it was submitted (the audit trail of corrections).
CREATE TABLE daily_report_revisions (
    report_id BIGINT NOT NULL REFERENCES daily_reports (id),
    revision INTEGER NOT NULL,
    body TEXT NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (report_id, revision)
);

-- A report's blockers (堵点): a ticket category and a text; the ticket it became.
CREATE TABLE daily_report_blockers (
    id BIGSERIAL PRIMARY KEY,
    report_id BIGINT NOT NULL REFERENCES daily_reports (id),
    position INTEGER NOT NULL,
    category TEXT NOT NULL,
    text TEXT NOT NULL,
    ticket_id BIGINT REFERENCES tickets (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX daily_report_blockers_report ON daily_report_blockers (report_id, position);
CREATE UNIQUE INDEX daily_report_blockers_ticket ON daily_report_blockers (ticket_id);

-- The daily figures of each list, kept in step with the reports in the
-- same transaction: one row per list, level (1 province, 2 city, 3
-- county), day, region, industry, chain ('' for every chain) and output
-- unit ('' for reports without output).
CREATE TABLE monitoring_days (
    list_id BIGINT NOT NULL,
    level SMALLINT NOT NULL,
    day DATE NOT NULL,
    region_code TEXT NOT NULL,
    industry_code TEXT NOT NULL,
    chain_code TEXT NOT NULL,
    unit TEXT NOT NULL,
    reported BIGINT NOT NULL,
    running BIGINT NOT NULL,
    partial BIGINT NOT NULL,
    stopped BIGINT NOT NULL,
    not_resumed BIGINT NOT NULL,
    late BIGINT NOT NULL,
    staff_on_duty BIGINT NOT NULL,
    staff_usual BIGINT NOT NULL,
    capacity_weighted BIGINT NOT NULL,
    output_milli BIGINT NOT NULL,
    blockers BIGINT NOT NULL,
    PRIMARY KEY (list_id, level, day, region_code, industry_code, chain_code, unit)
);

-- Missing-report notices (`auto`, the job's) and urgings (`urge`, a
-- department's): at most one of each per enterprise and day, however many
-- instances run the job.
CREATE TABLE monitoring_reminders (
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    day DATE NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('auto', 'urge')),
    list_id BIGINT,
    sent_by BIGINT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (enterprise_id, day, kind)
);
