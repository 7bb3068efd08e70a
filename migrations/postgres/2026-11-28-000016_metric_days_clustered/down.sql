DROP INDEX metric_days_by_day;
