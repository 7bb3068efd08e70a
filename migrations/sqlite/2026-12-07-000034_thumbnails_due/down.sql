DROP INDEX attachments_thumbnail_due;
ALTER TABLE attachments DROP COLUMN thumbnail_due_at;
