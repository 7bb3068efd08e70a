-- A minimal durable ticket create, for pgbench: one transaction writing a
-- ticket, its event and one outgoing message, committed with the server's
-- default durability (synchronous_commit on). The ticket_filing benchmark
-- runs it beside the service as a second baseline: what PostgreSQL on this
-- machine does with the least a filing could write (tables in
-- bench/minimal_create_setup.sql).
\set county random(1, 300)
BEGIN;
INSERT INTO minimal_tickets (place_code, title, description, status, filed_at) VALUES ('C' || :county, '货车无法进入园区', '受防控措施影响，运送零部件的货车在高速出口被劝返，生产线原料只够两天，请协调办理通行证。', 'pending_sign', now()) RETURNING id \gset
INSERT INTO minimal_events (ticket_id, action, created_at) VALUES (:id, 'file', now());
INSERT INTO minimal_outbox (ticket_id, notice, params, created_at) VALUES (:id, 'new_ticket', '{"ticket_id": ' || :id || '}', now());
END;
