-- Issue 24: the notices inside the application, one row per recipient,
-- written in the same transaction as the outbox row of the same notice
-- (the e-mail). The words are not stored: `kind` and the arguments in
-- `params` (JSON) are rendered in the reader's language when shown.
CREATE TABLE notifications (
    id BIGSERIAL PRIMARY KEY,
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
-- The header's count and the unread filter: a user's unread, newest first.
CREATE INDEX notifications_unread ON notifications (user_id, id) WHERE read_at IS NULL;
-- The list, newest first.
CREATE INDEX notifications_user ON notifications (user_id, id);
-- Opening a ticket marks its notices read.
CREATE INDEX notifications_user_ticket ON notifications (user_id, ticket_id) WHERE read_at IS NULL;
CREATE UNIQUE INDEX notifications_once_per_sla_event ON notifications (user_id, sla_event_id);
