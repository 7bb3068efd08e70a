DROP TABLE notification_preferences;
DROP TABLE outbox_messages;
