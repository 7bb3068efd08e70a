-- Each figure row is split into stripes (an enterprise's reports go to
-- stripe enterprise_id % 16) so that concurrent reports of one province,
-- industry and day do not all wait for one row's lock until commit; reads
-- sum the stripes as they already sum rows. Existing rows become stripe 0.
ALTER TABLE monitoring_days ADD COLUMN stripe SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE monitoring_days ALTER COLUMN stripe DROP DEFAULT;
ALTER TABLE monitoring_days DROP CONSTRAINT monitoring_days_pkey;
ALTER TABLE monitoring_days ADD PRIMARY KEY (list_id, level, day, region_code, industry_code, chain_code, unit, stripe);
