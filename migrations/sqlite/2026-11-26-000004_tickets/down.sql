DROP TABLE idempotency_keys;
DROP TABLE ticket_counters;
DROP TABLE ticket_events;
DROP TABLE ticket_departments;
DROP TABLE tickets;
DROP TABLE routing_rules;
ALTER TABLE departments DROP COLUMN auto_assign;
