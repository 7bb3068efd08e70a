-- What a dashboard reads live: finished tickets never resolved (rejected
-- or withdrawn) whose resolution deadline is still ahead. The predicate is
-- written as storage::metrics states it, so that SQLite sees it applies.
CREATE INDEX tickets_unresolved_finished ON tickets (resolve_due_at)
    WHERE resolved_at IS NULL AND status NOT IN ('pending_sign', 'handling', 'awaiting_info');
