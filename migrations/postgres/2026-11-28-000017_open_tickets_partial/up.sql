-- The open tickets a dashboard reads live, as a partial index (a status-led
-- index also drew queue queries of one status). The predicate is written as
-- storage::metrics states it.
DROP INDEX tickets_live;
CREATE INDEX tickets_live ON tickets (place_code) INCLUDE (id, filed_at, resolve_due_at, overdue, status)
    WHERE status IN ('pending_sign', 'handling', 'awaiting_info');
