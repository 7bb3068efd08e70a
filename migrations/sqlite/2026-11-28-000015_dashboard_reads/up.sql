-- The open tickets a dashboard reads live, from the index alone (it
-- replaces the narrower tickets_status).
CREATE INDEX tickets_live ON tickets (status, place_code, id, filed_at, resolve_due_at, overdue);
DROP INDEX tickets_status;
