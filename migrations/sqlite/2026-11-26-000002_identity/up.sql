-- Enterprises, users, refresh tokens, log-in throttling and the
-- authentication audit.
CREATE TABLE enterprises (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    credit_code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    county_code TEXT NOT NULL,
    -- Set when an administrator accepted a code that fails the check
    -- character (some pilot-era codes do).
    checksum_waived BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    size TEXT CHECK (size IN ('large', 'medium', 'small', 'micro')),
    contact_name TEXT,
    contact_phone TEXT,
    contact_email TEXT,
    -- Ids of the users who created and last changed the record (users
    -- reference enterprises, so these two carry no foreign key).
    created_by BIGINT,
    updated_by BIGINT
);
CREATE INDEX enterprises_county ON enterprises (county_code);
CREATE INDEX enterprises_name ON enterprises (name);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Stored lower-cased, so uniqueness is case-insensitive.
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    phone TEXT,
    role TEXT NOT NULL CHECK (role IN ('enterprise', 'officer', 'lead', 'supervisor', 'admin')),
    department_id BIGINT REFERENCES departments (id),
    enterprise_id BIGINT REFERENCES enterprises (id),
    -- Null until a self-registered account sets its password.
    password_hash TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    email_verified_at TIMESTAMP,
    locale TEXT NOT NULL DEFAULT 'zh',
    -- Access tokens issued before this instant are refused.
    tokens_valid_after TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((role = 'enterprise') = (enterprise_id IS NOT NULL)),
    CHECK ((role IN ('officer', 'lead', 'supervisor')) = (department_id IS NOT NULL))
);
CREATE INDEX users_department ON users (department_id);
CREATE INDEX users_enterprise ON users (enterprise_id);

CREATE TABLE refresh_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    -- Every token rotated from one log-in shares its family.
    family TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    rotated_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE login_throttles (
    -- `account:<email>` or `address:<ip>`.
    key TEXT PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL,
    window_started_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE auth_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id),
    email TEXT,
    client_address TEXT,
    actor_id BIGINT REFERENCES users (id),
    detail TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX auth_events_user ON auth_events (user_id, created_at);
