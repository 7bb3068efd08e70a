DROP INDEX sla_events_unqueued;
ALTER TABLE sla_events DROP COLUMN queued_at;
