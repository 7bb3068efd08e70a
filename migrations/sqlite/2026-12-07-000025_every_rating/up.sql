-- Issue 22: 满意率 counts every rating given, also one a reopening
-- superseded; the standing ratings make the final satisfaction beside it.
ALTER TABLE metric_days ADD COLUMN final_rated BIGINT NOT NULL DEFAULT 0;
ALTER TABLE metric_days ADD COLUMN final_satisfied BIGINT NOT NULL DEFAULT 0;

-- Ratings given before every rating was kept (migration 19), from the log.
INSERT INTO ticket_ratings (ticket_id, rated_by, rating, solved, rated_at)
SELECT e.ticket_id, e.actor_id,
       json_extract(e.detail, '$.satisfaction'),
       CASE WHEN json_extract(e.detail, '$.solved') THEN TRUE ELSE FALSE END,
       e.created_at
FROM ticket_events e
WHERE e.action = 'rate' AND e.actor_id IS NOT NULL
  AND json_extract(e.detail, '$.satisfaction') IS NOT NULL
  AND NOT EXISTS (
      SELECT 1 FROM ticket_ratings r
      WHERE r.ticket_id = e.ticket_id AND r.rated_at = e.created_at
  )
ORDER BY e.id;

-- Folded again under the new definitions (the folder takes back what each
-- ticket added before).
UPDATE ticket_metrics SET folded = FALSE WHERE rated_at IS NOT NULL;
