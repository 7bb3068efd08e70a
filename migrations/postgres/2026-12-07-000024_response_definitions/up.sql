-- Issue 22: the response rate holds the first sign-for deadline to the
-- first decision on the ticket (signed for, sent on, rejected), and a
-- ticket withdrawn or rejected before a deadline leaves that deadline's
-- denominator. Both instants come from the event log.
ALTER TABLE ticket_metrics ADD COLUMN responded_at TIMESTAMP;
ALTER TABLE ticket_metrics ADD COLUMN ended_at TIMESTAMP;

UPDATE ticket_metrics SET responded_at = (
    SELECT MIN(e.created_at) FROM ticket_events e
    WHERE e.ticket_id = ticket_metrics.ticket_id
      AND e.action IN ('sign_for', 'reject', 'return', 'transfer', 'escalate', 'take_over')
);
UPDATE ticket_metrics SET ended_at = (
    SELECT MIN(e.created_at) FROM ticket_events e
    WHERE e.ticket_id = ticket_metrics.ticket_id
      AND e.action IN ('withdraw', 'reject')
);
-- The daily totals are folded again under the new definitions (the folder
-- takes back what each ticket added before).
UPDATE ticket_metrics SET folded = FALSE;
