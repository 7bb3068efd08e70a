-- The 临期 tab (issue 24) starts from the clocks whose warning has fired
-- and whose deadline has not (fired = 0): few at any time, so the tab
-- costs what it shows, not what the department holds.
CREATE INDEX ticket_clocks_warned ON ticket_clocks (ticket_id)
    WHERE closed_at IS NULL AND (sign_fired = 0 OR resolve_fired = 0);
