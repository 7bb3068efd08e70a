-- Issue 24: an officer's own views of the queue (a name and the query
-- string of its filters and sort), shown as tabs of the workbench.
CREATE TABLE saved_views (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX saved_views_user ON saved_views (user_id, id);

-- The workbench's tab counts (services::desk_tabs), each answered from an
-- index at a million tickets. The predicates are written as
-- storage::ticket_queue states them.
-- 我的: open tickets assigned to the caller.
CREATE INDEX tickets_assignee_open ON tickets (assignee_id, id)
    WHERE status IN ('pending_sign', 'handling', 'awaiting_info');
-- 督办: urged open tickets, per handling department.
CREATE INDEX tickets_urged_open ON tickets (handling_department_id, id)
    WHERE urged_count > 0 AND status IN ('pending_sign', 'handling', 'awaiting_info');
-- 待审批: extension requests awaiting a decision, per handling department.
CREATE INDEX tickets_extension_pending ON tickets (handling_department_id, id)
    WHERE extension_pending;
