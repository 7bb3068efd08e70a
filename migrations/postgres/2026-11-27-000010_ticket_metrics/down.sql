DROP TABLE ticket_metrics;
