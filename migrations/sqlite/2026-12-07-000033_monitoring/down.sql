DROP TABLE monitoring_reminders;
DROP TABLE monitoring_days;
DROP TABLE daily_report_blockers;
DROP TABLE daily_report_revisions;
DROP TABLE daily_reports;
DROP TABLE monitoring_members;
DROP TABLE monitoring_lists;
DROP TABLE enterprise_industries;
