DROP INDEX tickets_live;
CREATE INDEX tickets_live ON tickets (status, place_code, id, filed_at, resolve_due_at, overdue);
