-- Loading a year of the work calendar moves the deadlines of the open
-- tickets whose windows reach into it. The calendar as it was is kept here
-- (in the same transaction as the load), so that the recompute, batch by
-- batch, resumes after a crash and measures each window as it was granted.
CREATE TABLE calendar_recomputes (
    id BIGSERIAL PRIMARY KEY,
    -- The years replaced, comma-separated, e.g. '2027'.
    years TEXT NOT NULL,
    -- Their marked days before the load, one 'YYYY-MM-DD,holiday|workday' per line.
    previous_days TEXT NOT NULL,
    -- Tickets due from this instant on (Beijing midnight of the first year) are looked at.
    due_from TIMESTAMP NOT NULL,
    -- The last ticket id done; batches go up by id.
    after_ticket_id BIGINT NOT NULL DEFAULT 0,
    moved INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX calendar_recomputes_open ON calendar_recomputes (id) WHERE finished_at IS NULL;
