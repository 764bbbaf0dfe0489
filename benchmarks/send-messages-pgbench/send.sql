-- One grouped commit of 60 sends, as MessageCommitter calls it.
\set b random(0, 999)
SELECT count(*) FROM bench_batches AS x, LATERAL send_messages(
  ARRAY(SELECT lpad(to_hex(nextval('bench_ids')), 32, '0')::uuid FROM generate_series(1, 60)), x.c, x.s,
  ARRAY(SELECT gen_random_uuid() FROM generate_series(1, 60)),
  array_fill('load 1 123456789012345'::text, ARRAY[60]), array_fill(NULL::bigint, ARRAY[60])) AS r WHERE x.batch = :b;
