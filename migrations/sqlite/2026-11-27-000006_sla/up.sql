-- SLA: the work calendar, policies, each ticket's two clocks, and the SLA
-- events the scanner fires.

-- Days marked in the calendar; unmarked days are working days Monday to Friday.
CREATE TABLE calendar_days (
    day TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    note TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE sla_policies (
    name TEXT PRIMARY KEY,
    sign_value BIGINT NOT NULL,
    sign_unit TEXT NOT NULL CHECK (sign_unit IN ('clock_minutes', 'working_minutes', 'working_days')),
    resolve_value BIGINT NOT NULL,
    resolve_unit TEXT NOT NULL CHECK (resolve_unit IN ('clock_minutes', 'working_minutes', 'working_days')),
    warning_percent INTEGER NOT NULL CHECK (warning_percent BETWEEN 1 AND 99),
    escalation_working_days INTEGER NOT NULL CHECK (escalation_working_days >= 1),
    updated_at TIMESTAMP NOT NULL
);

-- The clock state beside tickets.sign_due_at / resolve_due_at. `*_fired`:
-- -1 nothing yet, 0 warned, n overdue day n.
CREATE TABLE ticket_clocks (
    -- INTEGER PRIMARY KEY: the rowid itself, no separate index.
    ticket_id INTEGER PRIMARY KEY REFERENCES tickets (id),
    policy TEXT NOT NULL,
    sign_round INTEGER NOT NULL,
    sign_started_at TIMESTAMP NOT NULL,
    sign_warn_at TIMESTAMP NOT NULL,
    sign_fired INTEGER NOT NULL,
    resolve_round INTEGER NOT NULL,
    resolve_started_at TIMESTAMP NOT NULL,
    resolve_warn_at TIMESTAMP NOT NULL,
    resolve_fired INTEGER NOT NULL,
    paused_at TIMESTAMP,
    extension_days INTEGER,
    -- The highest department overdue escalation has reached. (Derived and
    -- rewritten by the scanner in bulk, so without a key check per row.)
    supervising_department_id BIGINT,
    -- Bounced tickets: the lowest department covering all it passed through.
    bounce_department_id BIGINT,
    -- When the scanner should look next; NULL when no clock runs.
    next_check_at TIMESTAMP
);
-- The scanner's only way in: its cost follows the due tickets.
CREATE INDEX ticket_clocks_next_check ON ticket_clocks (next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX ticket_clocks_supervising ON ticket_clocks (supervising_department_id) WHERE supervising_department_id IS NOT NULL;
CREATE INDEX ticket_clocks_bounce ON ticket_clocks (bounce_department_id) WHERE bounce_department_id IS NOT NULL;

CREATE TABLE sla_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- No foreign keys: the scanner writes these rows in bulk for tickets it
    -- has just read and locked, and a key check per row would double its cost.
    ticket_id BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('sign_warning', 'sign_overdue', 'resolve_warning', 'resolve_overdue')),
    -- 0 for a warning; n for overdue day n.
    level INTEGER NOT NULL,
    -- The window's number: a transfer opens sign-for round 2, a reopen resolve round 2.
    round INTEGER NOT NULL,
    handling_department_id BIGINT NOT NULL,
    -- The department told: the handler, or the one at the escalation level.
    notified_department_id BIGINT NOT NULL,
    escalation_level INTEGER NOT NULL,
    due_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- Each SLA event happens once, however many scanners run.
    UNIQUE (ticket_id, kind, level, round)
);
CREATE INDEX sla_events_created ON sla_events (created_at);

-- Queue sorting by deadline.
CREATE INDEX tickets_resolve_due ON tickets (resolve_due_at, id);
