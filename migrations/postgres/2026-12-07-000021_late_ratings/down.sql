ALTER TABLE ticket_clocks DROP COLUMN closed_at;
