-- Issue 24: the notices inside the application, one row per recipient,
-- written in the same transaction as the outbox row of the same notice
-- (the e-mail). The words are not stored: `kind` and the arguments in
-- `params` (JSON) are rendered in the reader's language when shown.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    ticket_id BIGINT NOT NULL,
    params TEXT NOT NULL,
    -- The SLA event a scanner notice comes from: one notice per person and
    -- event, however often the queueing runs.
    sla_event_id BIGINT,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP
);
-- The header's count, the unread filter and opening a ticket (which reads
-- its notices): a user's unread ones (read_at IS NULL), newest first. Not a
-- partial index: SQLite's planner, without statistics, prefers the list's
-- index to a partial one, and would count a person's read notices too.
CREATE INDEX notifications_unread ON notifications (user_id, read_at, id);
-- The list, newest first.
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE UNIQUE INDEX notifications_once_per_sla_event ON notifications (sla_event_id, user_id);
