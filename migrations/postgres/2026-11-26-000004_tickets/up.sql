-- Tickets (诉求工单), their departments, their append-only event log,
-- routing rules, daily number counters and idempotent filing.

-- A department may have new tickets assigned automatically on sign-for.
ALTER TABLE departments ADD COLUMN auto_assign BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TABLE routing_rules (
    id BIGSERIAL PRIMARY KEY,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    category TEXT,
    urgency TEXT CHECK (urgency IN ('normal', 'urgent', 'critical')),
    listed TEXT CHECK (listed IN ('any', 'national', 'provincial')),
    chain_code TEXT REFERENCES chains (code),
    reach TEXT CHECK (reach IN ('outside_city', 'outside_province')),
    target_level TEXT NOT NULL CHECK (target_level IN ('county', 'city', 'province', 'ministry')),
    sla_policy TEXT,
    notify_chain_platform BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE tickets (
    id BIGSERIAL PRIMARY KEY,
    -- {county}-{yyyymmdd}-{seq}, e.g. 310115-20220428-0007.
    number TEXT NOT NULL UNIQUE,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    filer_id BIGINT NOT NULL REFERENCES users (id),
    category TEXT NOT NULL,
    urgency TEXT NOT NULL CHECK (urgency IN ('normal', 'urgent', 'critical')),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    place_code TEXT NOT NULL,
    -- Region codes involved besides the place, comma-separated.
    regions_involved TEXT NOT NULL DEFAULT '',
    -- The filing enterprise's chains and listing, as filed, for filters.
    chains TEXT NOT NULL DEFAULT '',
    whitelisted BOOLEAN NOT NULL DEFAULT FALSE,
    status TEXT NOT NULL CHECK (status IN ('pending_sign', 'handling', 'awaiting_info', 'resolved', 'closed', 'rejected', 'withdrawn')),
    -- Optimistic concurrency: every change increments it.
    version INTEGER NOT NULL DEFAULT 1,
    handling_department_id BIGINT NOT NULL REFERENCES departments (id),
    sent_from_department_id BIGINT REFERENCES departments (id),
    assignee_id BIGINT REFERENCES users (id),
    sla_policy TEXT,
    sign_due_at TIMESTAMP,
    resolve_due_at TIMESTAMP,
    extension_pending BOOLEAN NOT NULL DEFAULT FALSE,
    overdue BOOLEAN NOT NULL DEFAULT FALSE,
    escalation_level INTEGER NOT NULL DEFAULT 0,
    urged_count INTEGER NOT NULL DEFAULT 0,
    reopened_count INTEGER NOT NULL DEFAULT 0,
    sent_on_count INTEGER NOT NULL DEFAULT 0,
    rating TEXT CHECK (rating IN ('satisfied', 'basically_satisfied', 'dissatisfied')),
    solved BOOLEAN,
    filed_at TIMESTAMP NOT NULL,
    signed_at TIMESTAMP,
    resolved_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX tickets_queue ON tickets (handling_department_id, status, id);
CREATE INDEX tickets_enterprise ON tickets (enterprise_id, id);
CREATE INDEX tickets_place ON tickets (place_code, id);
CREATE INDEX tickets_filed ON tickets (filed_at);

-- Departments a ticket passed through, and its co-handlers.
CREATE TABLE ticket_departments (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    department_id BIGINT NOT NULL REFERENCES departments (id),
    role TEXT NOT NULL CHECK (role IN ('passed', 'cohandler')),
    opinion TEXT,
    opinion_posted BOOLEAN NOT NULL DEFAULT FALSE,
    released BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (ticket_id, department_id, role)
);
CREATE INDEX ticket_departments_department ON ticket_departments (department_id, role);

-- The append-only history: every action, comments included.
CREATE TABLE ticket_events (
    id BIGSERIAL PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    seq INTEGER NOT NULL,
    action TEXT NOT NULL,
    actor_id BIGINT REFERENCES users (id),
    actor_department_id BIGINT REFERENCES departments (id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    -- The reason, question, answer, resolution or comment.
    note TEXT,
    -- Action details as JSON text (target department, rating, ...).
    detail TEXT,
    -- Hidden from the enterprise.
    internal BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (ticket_id, seq)
);

CREATE TABLE ticket_counters (
    county_code TEXT NOT NULL,
    day TEXT NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (county_code, day)
);

CREATE TABLE idempotency_keys (
    user_id BIGINT NOT NULL REFERENCES users (id),
    key TEXT NOT NULL,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, key)
);
