-- An SLA event row is itself the record that its notices are owed: the
-- scanner writes only the event, and the delivery worker turns each event
-- not yet queued into one outbox message per person, marking it queued in
-- the same transaction. A scan's cost then does not grow with the number
-- of people to tell.
ALTER TABLE sla_events ADD COLUMN queued_at TIMESTAMP;
-- Events recorded before this change had their notices queued already.
UPDATE sla_events SET queued_at = created_at;
CREATE INDEX sla_events_unqueued ON sla_events (id) WHERE queued_at IS NULL;
