DROP INDEX tickets_number_trgm;
DROP INDEX tickets_extension_pending;
DROP INDEX tickets_urged_open;
DROP INDEX tickets_assignee_open;
DROP TABLE saved_views;
