ALTER TABLE idempotency_keys DROP COLUMN fingerprint;
DROP TABLE enterprise_join_requests;
DROP TABLE ticket_ratings;
DROP INDEX enterprises_unverified;
ALTER TABLE enterprises DROP COLUMN contact_changed_by;
ALTER TABLE enterprises DROP COLUMN verified_at;
ALTER TABLE enterprises DROP COLUMN verified_by;
ALTER TABLE enterprises DROP COLUMN verification;
