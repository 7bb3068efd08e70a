CREATE INDEX tickets_status ON tickets (status, place_code);
DROP INDEX tickets_live;
