ALTER TABLE tickets RESET (fillfactor);
DROP INDEX tickets_resolve_due;
DROP TABLE sla_events;
DROP TABLE ticket_clocks;
DROP TABLE sla_policies;
DROP TABLE calendar_days;
