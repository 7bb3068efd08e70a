-- Regions (GB/T 2260) and the departments that serve them.
-- A region is keyed by (code, level): three prefecture-level cities without
-- counties (441900, 442000, 460400) carry a county row with the same code.
CREATE TABLE regions (
    code TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('province', 'city', 'county')),
    name TEXT NOT NULL,
    parent_code TEXT,
    province_code TEXT NOT NULL,
    nominal BOOLEAN NOT NULL DEFAULT FALSE,
    department_id BIGINT,
    PRIMARY KEY (code, level)
);
CREATE INDEX regions_parent_code ON regions (parent_code);

CREATE TABLE chains (
    code TEXT PRIMARY KEY NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    sort_order INTEGER NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE departments (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('ministry', 'province', 'city', 'county', 'chain_platform')),
    name TEXT NOT NULL,
    region_code TEXT,
    region_level TEXT,
    chain_code TEXT REFERENCES chains (code),
    parent_id BIGINT REFERENCES departments (id),
    path TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    FOREIGN KEY (region_code, region_level) REFERENCES regions (code, level)
);
CREATE UNIQUE INDEX departments_region ON departments (region_code, region_level);
CREATE UNIQUE INDEX departments_chain ON departments (chain_code);
CREATE INDEX departments_parent ON departments (parent_id);
CREATE INDEX departments_path ON departments (path text_pattern_ops);
