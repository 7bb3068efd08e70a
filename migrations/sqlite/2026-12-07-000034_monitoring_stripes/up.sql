-- Each figure row is split into stripes (an enterprise's reports go to
-- stripe enterprise_id % 16) so that concurrent reports of one province,
-- industry and day do not all wait for one row's lock until commit; reads
-- sum the stripes as they already sum rows. Existing rows become stripe 0.
CREATE TABLE monitoring_days_striped (
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
    stripe SMALLINT NOT NULL,
    PRIMARY KEY (list_id, level, day, region_code, industry_code, chain_code, unit, stripe)
);

INSERT INTO monitoring_days_striped (list_id, level, day, region_code, industry_code, chain_code, unit, reported, running, partial, stopped, not_resumed, late, staff_on_duty, staff_usual, capacity_weighted, output_milli, blockers, stripe)
SELECT list_id, level, day, region_code, industry_code, chain_code, unit, reported, running, partial, stopped, not_resumed, late, staff_on_duty, staff_usual, capacity_weighted, output_milli, blockers, 0 FROM monitoring_days;
DROP TABLE monitoring_days;
ALTER TABLE monitoring_days_striped RENAME TO monitoring_days;
