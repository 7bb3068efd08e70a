ALTER TABLE ticket_metrics DROP COLUMN ended_at;
ALTER TABLE ticket_metrics DROP COLUMN responded_at;
