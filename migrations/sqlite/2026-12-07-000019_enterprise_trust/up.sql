-- Trust in who speaks for an enterprise (issue 20).
-- A self-registered enterprise whose code was not on record waits for its
-- county department to verify it; everything else is verified.
ALTER TABLE enterprises ADD COLUMN verification TEXT NOT NULL DEFAULT 'verified';
ALTER TABLE enterprises ADD COLUMN verified_by BIGINT;  -- a user id (SQLite cannot drop a column that references)
ALTER TABLE enterprises ADD COLUMN verified_at TIMESTAMP;
-- Who last changed the contact e-mail: never the one who approves a join.
ALTER TABLE enterprises ADD COLUMN contact_changed_by BIGINT;  -- a user id (SQLite cannot drop a column that references)
CREATE INDEX enterprises_unverified ON enterprises (county_code)
    WHERE verification = 'unverified';

-- Every rating given, by the account that gave it (a reopened ticket keeps
-- its earlier ones).
CREATE TABLE ticket_ratings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    rated_by BIGINT NOT NULL REFERENCES users (id),
    rating TEXT NOT NULL,
    solved BOOLEAN NOT NULL,
    rated_at TIMESTAMP NOT NULL
);
CREATE INDEX ticket_ratings_ticket ON ticket_ratings (ticket_id);

-- Someone who proved an address and asks to speak for an enterprise on
-- record; the account exists only once the request is approved.
CREATE TABLE enterprise_join_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    phone TEXT,
    locale TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    -- pending, approved or refused
    status TEXT NOT NULL DEFAULT 'pending',
    requested_at TIMESTAMP NOT NULL,
    decided_at TIMESTAMP,
    decided_by BIGINT REFERENCES users (id),
    user_id BIGINT REFERENCES users (id)
);
CREATE INDEX enterprise_join_requests_pending ON enterprise_join_requests (enterprise_id)
    WHERE status = 'pending';

-- An idempotency key names one request: a fingerprint of what was filed
-- under it, so that the same key with another body is refused, not
-- answered with the first ticket (empty for keys stored before).
ALTER TABLE idempotency_keys ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '';
