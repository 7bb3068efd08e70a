-- The repeat check at filing (same enterprise and category within 30 days)
-- probes this instead of reading every ticket of the enterprise.
CREATE INDEX tickets_enterprise_category ON tickets (enterprise_id, category, filed_at);
