-- Issue 22: each sign-for window counts for the department that held it
-- (a ticket escalated from a district brings the district's late sign-for
-- into the district's response rate, not the province's).
CREATE TABLE sign_windows (
    id BIGSERIAL PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    department_id BIGINT NOT NULL REFERENCES departments (id),
    opened_at TIMESTAMP NOT NULL,
    due_at TIMESTAMP NOT NULL,
    -- Signed for, sent on or rejected; NULL while open or if the ticket was
    -- withdrawn in it.
    answered_at TIMESTAMP
);
CREATE INDEX sign_windows_ticket ON sign_windows (ticket_id);
CREATE INDEX sign_windows_due ON sign_windows (due_at);

-- The tickets filed before: their first window, from the filing and the
-- metric history (the later windows' deadlines were not kept).
INSERT INTO sign_windows (ticket_id, department_id, opened_at, due_at, answered_at)
SELECT t.id, COALESCE((e.detail::json ->> 'routed_to')::bigint, t.handling_department_id), t.filed_at,
       m.first_sign_due_at, m.responded_at
FROM tickets t
JOIN ticket_metrics m ON m.ticket_id = t.id
LEFT JOIN ticket_events e ON e.ticket_id = t.id AND e.seq = 0 AND e.action = 'file'
WHERE m.first_sign_due_at IS NOT NULL
ORDER BY t.id;
