DROP TABLE digests;
DROP TABLE account_tokens;
DROP TABLE message_templates;
DROP INDEX outbox_dead;
