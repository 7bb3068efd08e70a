-- The overdue open tickets a chain platform's supervision list reads: few
-- of all, so they get their own partial index. The predicate is written as
-- services::supervision states it.
CREATE INDEX tickets_overdue_open ON tickets (id)
    WHERE overdue = TRUE AND status IN ('pending_sign', 'handling', 'awaiting_info');
