-- Tables for bench/minimal_create.sql: the least a durable ticket create
-- needs (a ticket, its first event, one outgoing message), each with a
-- primary key and the one index a reader needs. Made by the ticket_filing
-- benchmark in its own database before the script runs.
CREATE TABLE IF NOT EXISTS minimal_tickets (
    id BIGSERIAL PRIMARY KEY,
    place_code TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    filed_at TIMESTAMP NOT NULL
);
CREATE INDEX IF NOT EXISTS minimal_tickets_place ON minimal_tickets (place_code, id);
CREATE TABLE IF NOT EXISTS minimal_events (
    id BIGSERIAL PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES minimal_tickets (id),
    action TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX IF NOT EXISTS minimal_events_ticket ON minimal_events (ticket_id);
CREATE TABLE IF NOT EXISTS minimal_outbox (
    id BIGSERIAL PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES minimal_tickets (id),
    notice TEXT NOT NULL,
    params TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
