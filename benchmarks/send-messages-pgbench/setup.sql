-- 1,000 batches of 60 sends, each a random member of a random conversation of the seeded database, and the ids of
-- new messages in the order of time (as Guid.CreateVersion7 gives them).
CREATE SEQUENCE IF NOT EXISTS bench_ids;
DROP TABLE IF EXISTS bench_batches;
CREATE TABLE bench_batches AS
SELECT b AS batch, array_agg(m.conversation_id ORDER BY m.r) AS c, array_agg(m.user_id ORDER BY m.r) AS s
FROM generate_series(0, 999) AS b
CROSS JOIN LATERAL (
    SELECT cm.conversation_id, cm.user_id, random() + b * 0 AS r
    FROM conversation_members AS cm ORDER BY 3 LIMIT 60) AS m
GROUP BY b;
CREATE UNIQUE INDEX ON bench_batches (batch);
ANALYZE bench_batches;
