DROP INDEX ticket_metrics_unsigned;
DROP INDEX tickets_status;
DROP INDEX ticket_metrics_unfolded;
ALTER TABLE ticket_metrics DROP COLUMN folded;
DROP TABLE metric_folds;
DROP TABLE metric_days;
