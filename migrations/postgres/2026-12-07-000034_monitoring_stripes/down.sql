-- The stripes summed back into one row each (the key keeps its name).
ALTER TABLE monitoring_days DROP CONSTRAINT monitoring_days_pkey;
CREATE TABLE monitoring_days_whole (
    list_id BIGINT NOT NULL,
    level SMALLINT NOT NULL,
    day DATE NOT NULL,
    region_code TEXT NOT NULL,
    industry_code TEXT NOT NULL,
    chain_code TEXT NOT NULL,
    unit TEXT NOT NULL,
    reported BIGINT NOT NULL,
    running BIGINT NOT NULL,
    partial BIGINT NOT NULL,
    stopped BIGINT NOT NULL,
    not_resumed BIGINT NOT NULL,
    late BIGINT NOT NULL,
    staff_on_duty BIGINT NOT NULL,
    staff_usual BIGINT NOT NULL,
    capacity_weighted BIGINT NOT NULL,
    output_milli BIGINT NOT NULL,
    blockers BIGINT NOT NULL,
    CONSTRAINT monitoring_days_pkey PRIMARY KEY (list_id, level, day, region_code, industry_code, chain_code, unit)
);

INSERT INTO monitoring_days_whole (list_id, level, day, region_code, industry_code, chain_code, unit, reported, running, partial, stopped, not_resumed, late, staff_on_duty, staff_usual, capacity_weighted, output_milli, blockers)
SELECT list_id, level, day, region_code, industry_code, chain_code, unit, SUM(reported), SUM(running), SUM(partial), SUM(stopped), SUM(not_resumed), SUM(late), SUM(staff_on_duty), SUM(staff_usual), SUM(capacity_weighted), SUM(output_milli), SUM(blockers) FROM monitoring_days GROUP BY list_id, level, day, region_code, industry_code, chain_code, unit;
DROP TABLE monitoring_days;
ALTER TABLE monitoring_days_whole RENAME TO monitoring_days;
