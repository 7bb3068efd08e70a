-- Issue 25: an image's thumbnail is made by a job after its upload is
-- answered (decoding a photo costs more than receiving it). While one is
-- due, this is the time from which a job may take it: a job that takes it
-- moves the time on by its lease, so that a job that dies leaves it to
-- another instance. NULL: nothing to make (made, or not an image).
ALTER TABLE attachments ADD COLUMN thumbnail_due_at TIMESTAMP;
CREATE INDEX attachments_thumbnail_due ON attachments (thumbnail_due_at)
    WHERE thumbnail_due_at IS NOT NULL;
