-- When a ticket closed (rated, or closed automatically): an auto-closed
-- ticket may still be rated within 30 days of it, and a closed ticket
-- reopened within 30 days of it. Beside the ticket's other clocks (the
-- tickets table is at diesel's 32-column limit).
ALTER TABLE ticket_clocks ADD COLUMN closed_at TIMESTAMP;

UPDATE ticket_clocks SET closed_at = (
    SELECT MAX(e.created_at) FROM ticket_events e
    WHERE e.ticket_id = ticket_clocks.ticket_id AND e.to_status = 'closed'
) WHERE ticket_id IN (SELECT id FROM tickets WHERE status = 'closed');
