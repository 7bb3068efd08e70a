ALTER TABLE metric_days DROP COLUMN final_satisfied;
ALTER TABLE metric_days DROP COLUMN final_rated;
