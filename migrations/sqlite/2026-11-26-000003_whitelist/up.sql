-- Enterprises' industry chains, and the white list.
CREATE TABLE enterprise_chains (
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
    chain_code TEXT NOT NULL REFERENCES chains (code),
    PRIMARY KEY (enterprise_id, chain_code)
);
CREATE INDEX enterprise_chains_chain ON enterprise_chains (chain_code);

CREATE TABLE whitelist_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    -- 'national', or the six-digit code of the province that keeps the list.
    scope TEXT NOT NULL,
    batch INTEGER NOT NULL CHECK (batch > 0),
    issuing_department_id BIGINT NOT NULL REFERENCES departments (id),
    listed_on DATE NOT NULL,
    -- Null while listed; removal keeps the entry as history.
    removed_on DATE,
    removed_by BIGINT REFERENCES users (id),
    chain_code TEXT REFERENCES chains (code),
    note TEXT,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (enterprise_id, scope, batch)
);
CREATE INDEX whitelist_entries_scope ON whitelist_entries (scope, batch);
