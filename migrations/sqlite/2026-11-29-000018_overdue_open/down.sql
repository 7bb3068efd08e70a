DROP INDEX tickets_overdue_open;
