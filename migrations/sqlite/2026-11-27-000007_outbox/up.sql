-- The transactional outbox: every notice a change causes is written here in
-- the change's own transaction, one row per recipient; the delivery worker
-- sends them. No foreign keys: the scanner writes these rows in bulk.
CREATE TABLE outbox_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    notice TEXT NOT NULL,
    ticket_id BIGINT,
    recipient_user_id BIGINT,
    to_address TEXT NOT NULL,
    locale TEXT NOT NULL,
    -- What the template needs, as JSON: ticket number, title, deadline, level.
    params TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    -- A claimed message belongs to one worker until then.
    lease_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX outbox_pending ON outbox_messages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_ticket ON outbox_messages (ticket_id);

-- Notices a user turned off (staff cannot turn off overdue notices).
CREATE TABLE notification_preferences (
    user_id BIGINT NOT NULL REFERENCES users (id),
    notice TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, notice)
);
