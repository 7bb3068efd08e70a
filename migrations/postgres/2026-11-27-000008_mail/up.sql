-- Mail: administrators' template overrides, single-use account links
-- (activation, password reset), and the record of daily digests.

CREATE INDEX outbox_dead ON outbox_messages (id) WHERE status = 'dead';

-- An override of a built-in message template; deleting it restores the default.
CREATE TABLE message_templates (
    kind TEXT NOT NULL,
    locale TEXT NOT NULL CHECK (locale IN ('zh', 'en')),
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    updated_by BIGINT REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, locale)
);

-- Links sent by e-mail. Only a hash of the token is kept, so a copy of the
-- database cannot be used to take over an account.
CREATE TABLE account_tokens (
    id BIGSERIAL PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (purpose IN ('activation', 'password_reset')),
    token_hash TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    -- The account a reset is for; null for a registration not yet activated.
    user_id BIGINT REFERENCES users (id),
    -- A registration's details (JSON), turned into an account on activation.
    payload TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX account_tokens_email ON account_tokens (email, created_at);

-- One digest per department and day, whichever instance sends it.
CREATE TABLE digests (
    department_id BIGINT NOT NULL REFERENCES departments (id),
    digest_date DATE NOT NULL,
    period_start TIMESTAMP NOT NULL,
    period_end TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (department_id, digest_date)
);
