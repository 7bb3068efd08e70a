-- Substring search in titles and descriptions that works for Chinese:
-- trigram GIN indexes serve LIKE '%...%'.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX tickets_title_trgm ON tickets USING gin (title gin_trgm_ops);
CREATE INDEX tickets_description_trgm ON tickets USING gin (description gin_trgm_ops);
