-- bench/history_pages.sql: three pages with 100, 10,000 and 100,000
-- finished runs (one every five minutes, durations from 0.1 to 60 s, one
-- in nine failed), 3 sql blocks each, for make bench's history figures
-- (scripts/bench.sh, scripts/bench-instructions.sh); on the demo data.
INSERT INTO app.notebook_page VALUES (900100, 1, 'history 100'), (910000, 1, 'history 10k'), (1000000, 1, 'history 100k');
INSERT INTO app.block (id, notebook_page_id, block_type, position)
SELECT 9000000 + p * 10 + g, p, 'sql', g FROM (VALUES (900100), (910000), (1000000)) v(p), generate_series(1, 3) g;
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at, started_at, finished_at)
SELECT 10000000 + p.n * 1000000 + g, p.id, 1, CASE WHEN g % 9 = 0 THEN 'failed' ELSE 'success' END,
	   t, t, t + (1 + (g * 7919) % 600) * interval '0.1 second'
FROM (VALUES (900100, 100, 1), (910000, 10000, 2), (1000000, 100000, 3)) p(id, cnt, n)
CROSS JOIN LATERAL generate_series(1, p.cnt) g
CROSS JOIN LATERAL (SELECT timestamptz '2025-01-01' + g * interval '5 minutes' AS t) x;
VACUUM ANALYZE app.noteflow_run;
