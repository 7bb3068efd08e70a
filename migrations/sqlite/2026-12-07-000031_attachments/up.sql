-- Issue 25: files attached to a ticket's steps. An upload writes its object
-- first (content-addressed: sha256/<2>/<2>/<hex>), then a row here without a
-- ticket step (pending, its uploader's); the step that uses it (filing,
-- provide_info, request_info, resolve, an opinion, a comment) fills in the
-- ticket, its event and the visibility in the step's own transaction.
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The ticket an upload was made for (set by the step, or at upload
    -- through /tickets/{id}/attachments); NULL while pending for a filing.
    ticket_id BIGINT REFERENCES tickets (id),
    -- The step it belongs to; NULL while pending.
    event_id BIGINT REFERENCES ticket_events (id),
    uploader_id BIGINT NOT NULL REFERENCES users (id),
    -- As the uploader named it, sanitised (no path, no control characters).
    file_name TEXT NOT NULL,
    -- Decided by content, never by the name.
    media_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    object_key TEXT NOT NULL,
    thumbnail_key TEXT,
    -- public, or internal (staff only), after the step.
    visibility TEXT NOT NULL DEFAULT 'public',
    created_at TIMESTAMP NOT NULL,
    attached_at TIMESTAMP
);
CREATE INDEX attachments_ticket ON attachments (ticket_id, id);
CREATE INDEX attachments_pending ON attachments (event_id, created_at);
CREATE INDEX attachments_object ON attachments (object_key);
CREATE INDEX attachments_thumbnail ON attachments (thumbnail_key);
-- Every object the store holds, registered before it is written: the sweep
-- dooms a key (state 'doomed') in one conditional write before deleting its
-- object, and an upload of the same content waits for a doomed key, so that
-- several instances sweeping while others upload never lose a file in use.
CREATE TABLE attachment_objects (
    object_key TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    touched_at TIMESTAMP NOT NULL
);
CREATE INDEX attachment_objects_touched ON attachment_objects (state, touched_at);
