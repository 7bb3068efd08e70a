-- Bulk notices (the SLA scanner's) are queued as one row per audience, e.g.
-- `handlers:345`; the delivery worker expands each into one row per
-- recipient. The scanner's cost then does not grow with department sizes.
ALTER TABLE outbox_messages ADD COLUMN audience TEXT;
CREATE INDEX outbox_fanout ON outbox_messages (id) WHERE audience IS NOT NULL AND status = 'pending';
