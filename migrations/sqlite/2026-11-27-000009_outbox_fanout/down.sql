DROP INDEX outbox_fanout;
ALTER TABLE outbox_messages DROP COLUMN audience;
