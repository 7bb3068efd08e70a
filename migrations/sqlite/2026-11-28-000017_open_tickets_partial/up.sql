-- The open tickets a dashboard reads live, as a partial index: led by the
-- status, the index of migration 15 also drew queue queries of one status,
-- which SQLite then answered by sorting every such ticket by id. The
-- predicate is written as storage::metrics states it.
DROP INDEX tickets_live;
CREATE INDEX tickets_live ON tickets (place_code, id, filed_at, resolve_due_at, overdue, status)
    WHERE status IN ('pending_sign', 'handling', 'awaiting_info');
