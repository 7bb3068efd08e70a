-- The co-handling clock: each co-handling department's window to post its
-- opinion (half the resolve window left when it was added), warned and
-- reminded like the ticket's own clocks, and counted in the department's
-- response figures.
CREATE TABLE cohandling_clocks (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    department_id BIGINT NOT NULL REFERENCES departments (id),
    round INTEGER NOT NULL,
    started_at TIMESTAMP NOT NULL,
    due_at TIMESTAMP NOT NULL,
    warn_at TIMESTAMP NOT NULL,
    fired INTEGER NOT NULL DEFAULT -1,
    answered_at TIMESTAMP,
    released BOOLEAN NOT NULL DEFAULT FALSE,
    next_check_at TIMESTAMP,
    PRIMARY KEY (ticket_id, department_id)
);
CREATE INDEX cohandling_clocks_next ON cohandling_clocks (next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX cohandling_clocks_due ON cohandling_clocks (due_at);

-- Its warnings and overdue days, each written once.
CREATE TABLE cohandling_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    department_id BIGINT NOT NULL REFERENCES departments (id),
    kind TEXT NOT NULL,
    level INTEGER NOT NULL,
    round INTEGER NOT NULL,
    due_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (ticket_id, department_id, kind, level, round)
);
