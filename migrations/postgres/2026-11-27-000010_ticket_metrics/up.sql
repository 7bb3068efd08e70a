-- What the supervisors' metrics need of each ticket that only its history
-- knows: written with the ticket in the same transaction of every step.
CREATE TABLE ticket_metrics (
    ticket_id BIGINT PRIMARY KEY REFERENCES tickets (id),
    first_sign_due_at TIMESTAMP,
    first_signed_at TIMESTAMP,
    sign_minutes BIGINT,
    first_resolve_due_at TIMESTAMP,
    first_resolved_at TIMESTAMP,
    resolve_minutes BIGINT,
    rated_at TIMESTAMP,
    routings INTEGER NOT NULL,
    returns INTEGER NOT NULL,
    repeated BOOLEAN NOT NULL,
    last_at TIMESTAMP NOT NULL
);
-- Tickets filed before this table: the best the ticket row tells (no
-- working-hour durations; the sign deadline of the current window).
INSERT INTO ticket_metrics
SELECT t.id, t.sign_due_at, t.signed_at, NULL,
       CASE WHEN t.resolved_at IS NOT NULL THEN t.resolve_due_at END, t.resolved_at, NULL,
       CASE WHEN t.rating IS NOT NULL THEN t.updated_at END,
       1 + t.sent_on_count,
       (SELECT COUNT(*) FROM ticket_events e WHERE e.ticket_id = t.id AND e.action = 'return'),
       FALSE,
       GREATEST(t.updated_at, t.sign_due_at, t.resolve_due_at)
FROM tickets t;
CREATE INDEX ticket_metrics_last_at ON ticket_metrics (last_at);
