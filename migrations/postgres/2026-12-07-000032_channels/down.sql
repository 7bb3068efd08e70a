DROP TABLE delivery_channels;
DROP TABLE enterprise_mobiles;
DROP TABLE department_robots;
DROP INDEX outbox_robot;
DROP INDEX outbox_pending_channel;
DELETE FROM outbox_messages WHERE channel <> 'email';
ALTER TABLE outbox_messages DROP COLUMN robot_id;
ALTER TABLE outbox_messages DROP COLUMN channel;
CREATE INDEX outbox_pending ON outbox_messages (next_attempt_at) WHERE status = 'pending';
