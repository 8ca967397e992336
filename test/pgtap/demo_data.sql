-- test/pgtap/demo_data.sql: the demo data generator at its default size
--
-- The figures of the reference dataset within 20 %, the statuses, the
-- structure of the data, and determinism (same seed, same data).
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
DROP SCHEMA IF EXISTS analytics CASCADE;
DROP SCHEMA IF EXISTS app CASCADE;
\o /dev/null
\i extract/schema.sql
\i extract/demo_data.sql
\o

SELECT plan(38);

CREATE TEMP TABLE durations AS
SELECT r.id, r.notebook_page_id, r.status,
	   EXTRACT(epoch FROM r.finished_at - r.started_at)::float8 AS d
FROM app.noteflow_run r WHERE r.finished_at IS NOT NULL;

-- ok when a figure is within 20 % of the reference's
CREATE FUNCTION pg_temp.near(what text, value float8, reference float8) RETURNS text
LANGUAGE sql AS $$
	SELECT ok(abs(value - reference) <= 0.2 * reference,
			  format('%s %s is within 20 %% of the reference %s', what, round(value::numeric, 2), reference))
$$;

SELECT is((SELECT count(*) FROM app.workspace), 47::bigint, '47 workspaces');
SELECT is((SELECT count(*) FROM app.notebook_page), 750::bigint, '750 pages');
SELECT is((SELECT count(*) FROM durations), 50000::bigint, '50,000 finished runs');
SELECT ok((SELECT min(started_at) >= '2024-01-01 00:00+00' AND max(started_at) < '2026-01-31 00:00+00'
		   FROM app.noteflow_run WHERE finished_at IS NOT NULL),
		  'finished runs started between 2024-01-01 and 2026-01-31');

-- statuses: 88.1 % success, 11.9 % failed, a handful cancelled
SELECT ok(abs((SELECT count(*) FILTER (WHERE status = 'success')::float8 / count(*) FROM durations) - 0.881) <= 0.02,
		  'about 88.1 % of finished runs succeeded');
SELECT ok(abs((SELECT count(*) FILTER (WHERE status = 'failed')::float8 / count(*) FROM durations) - 0.119) <= 0.02,
		  'about 11.9 % failed');
SELECT ok((SELECT count(*) FROM durations WHERE status = 'cancelled') BETWEEN 1 AND 30,
		  'a handful were cancelled');

-- the duration statistics of the reference dataset
SELECT pg_temp.near('median', (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d) FROM durations), 8.61);
SELECT pg_temp.near('mean', (SELECT avg(d) FROM durations), 19.96);
SELECT pg_temp.near('p25', (SELECT percentile_cont(0.25) WITHIN GROUP (ORDER BY d) FROM durations), 3.74);
SELECT pg_temp.near('p75', (SELECT percentile_cont(0.75) WITHIN GROUP (ORDER BY d) FROM durations), 16.99);
SELECT pg_temp.near('p95', (SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY d) FROM durations), 52.31);
SELECT ok((SELECT min(d) FROM durations) > 0.1, 'the shortest run takes more than 0.1 s');
SELECT ok((SELECT max(d) FROM durations) BETWEEN 1000 AND 10000, 'the longest run takes thousands of seconds');

-- durations depend on the blocks
SELECT ok((SELECT avg(d) FROM durations x
		   WHERE EXISTS (SELECT FROM app.block b WHERE b.notebook_page_id = x.notebook_page_id
						 AND b.block_type = 'writeback')) >= 40,
		  'runs of pages with writeback blocks average 40 s or more');
SELECT ok((SELECT avg(d) FROM durations x
		   WHERE EXISTS (SELECT FROM app.block b WHERE b.notebook_page_id = x.notebook_page_id
						 AND b.block_type = 'writeback'))
		  > 2 * (SELECT avg(d) FROM durations x
				 WHERE NOT EXISTS (SELECT FROM app.block b WHERE b.notebook_page_id = x.notebook_page_id
								   AND b.block_type = 'writeback')),
		  'writeback pages are the slowest');
-- per block, pages with sql or tableau blocks are slower, pages with email
-- or slack blocks quicker (pages without writeback, which would dominate)
CREATE TEMP TABLE page_speed AS
SELECT x.notebook_page_id, x.median / b.blocks AS per_block, b.sql, b.tableau, b.email, b.slack
FROM (SELECT notebook_page_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY d) AS median
	  FROM durations GROUP BY notebook_page_id HAVING count(*) >= 5) x
JOIN (SELECT notebook_page_id, count(*) AS blocks,
			 count(*) FILTER (WHERE block_type = 'sql') > 0 AS sql,
			 count(*) FILTER (WHERE block_type = 'tableau') > 0 AS tableau,
			 count(*) FILTER (WHERE block_type = 'email') > 0 AS email,
			 count(*) FILTER (WHERE block_type = 'slack') > 0 AS slack
	  FROM app.block GROUP BY notebook_page_id
	  HAVING count(*) FILTER (WHERE block_type = 'writeback') = 0) b USING (notebook_page_id);
SELECT ok((SELECT avg(per_block) FILTER (WHERE sql) > 1.2 * avg(per_block) FILTER (WHERE NOT sql) FROM page_speed),
		  'sql blocks make a page slower');
SELECT ok((SELECT avg(per_block) FILTER (WHERE tableau) > 1.2 * avg(per_block) FILTER (WHERE NOT tableau) FROM page_speed),
		  'tableau blocks make a page slower');
SELECT ok((SELECT avg(per_block) FILTER (WHERE email) < avg(per_block) FILTER (WHERE NOT email) FROM page_speed),
		  'email blocks are cheap');
SELECT ok((SELECT avg(per_block) FILTER (WHERE slack) < avg(per_block) FILTER (WHERE NOT slack) FROM page_speed),
		  'slack blocks are cheap');
-- business hours are marginally faster: a little, not a lot
SELECT ok((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d) FILTER (WHERE business)
				  / percentile_cont(0.5) WITHIN GROUP (ORDER BY d) FILTER (WHERE NOT business)
		   FROM (SELECT x.d, extract(isodow FROM r.started_at AT TIME ZONE 'UTC') <= 5
						AND extract(hour FROM r.started_at AT TIME ZONE 'UTC') BETWEEN 9 AND 16 AS business
				 FROM durations x JOIN app.noteflow_run r USING (id)) y) BETWEEN 0.8 AND 0.97,
		  'runs in business hours are a little quicker (their median 3 to 20 % lower)');
-- a page's runs resemble each other: the page explains much of the spread
SELECT ok((SELECT stddev(ln(m)) FROM (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d) AS m
										FROM durations GROUP BY notebook_page_id HAVING count(*) >= 20) x)
		  > (SELECT avg(s) FROM (SELECT stddev(ln(d)) AS s FROM durations
								 GROUP BY notebook_page_id HAVING count(*) >= 20) y) * 0.8,
		  'pages differ persistently: the spread of page medians rivals the spread within a page');

-- structure
SELECT is((SELECT count(DISTINCT block_type) FROM app.block), 14::bigint, 'blocks of all 14 types');
SELECT is((SELECT count(*) FROM app.block WHERE block_type NOT IN
			('sql', 'tableau', 'email', 'slack', 'parameter', 'code', 'plotly', 'kpi',
			 'api', 'writeback', 'conditional', 'loop', 'ai', 'storage')), 0::bigint,
		  'no block of another type');
SELECT ok((SELECT min(n) >= 1 AND max(n) <= 40 FROM (SELECT count(*) AS n FROM app.block GROUP BY notebook_page_id) x),
		  'every page has 1 to 40 blocks');
SELECT is((SELECT count(*) FROM app.noteflow_run
		   WHERE finished_at IS NOT NULL AND NOT (created_at <= started_at AND started_at < finished_at)),
		  0::bigint, 'every finished run was created, then started, then finished');
SELECT ok((SELECT count(*) FROM app.noteflow_run WHERE status IN ('pending', 'running')) BETWEEN 100 AND 1000,
		  'a few hundred runs are pending or running');
SELECT is((SELECT count(*) FROM app.noteflow_run
		   WHERE status IN ('pending', 'running') AND finished_at IS NOT NULL), 0::bigint,
		  'pending and running runs have not finished');
SELECT is((SELECT count(*) FROM app.noteflow_run
		   WHERE (status = 'pending') <> (started_at IS NULL) AND status IN ('pending', 'running')), 0::bigint,
		  'pending runs have not started, running ones have');
SELECT is((SELECT count(*) FROM (SELECT id, created_at, lag(created_at) OVER (ORDER BY id) AS previous
								 FROM app.noteflow_run) x WHERE created_at < previous), 0::bigint,
		  'ids increase with created_at');
SELECT ok((SELECT count(*) FROM app.noteflow_run a JOIN app.noteflow_run b
		   ON b.notebook_page_id = a.notebook_page_id AND b.id > a.id
		   AND b.started_at > a.started_at AND b.started_at < a.finished_at
		   WHERE a.id < 5000) > 0,
		  'a page''s runs sometimes overlap');
SELECT ok((SELECT count(*) FILTER (WHERE extract(isodow FROM started_at AT TIME ZONE 'UTC') <= 5)::float8 / count(*)
		   FROM durations JOIN app.noteflow_run USING (id)) > 0.8,
		  'most runs start on weekdays');
SELECT lives_ok($$INSERT INTO app.noteflow_run (notebook_page_id, workspace_id, status, created_at)
				 VALUES (1, 1, 'pending', now())$$,
				'a run inserted without an id gets a fresh one');

-- determinism: the same seed gives the same tables, another seed others
CREATE TEMP TABLE digest AS
SELECT (SELECT md5(string_agg(t::text, ',' ORDER BY t.id)) FROM app.noteflow_run t WHERE t.id <= 50300) AS runs,
	   (SELECT md5(string_agg(t::text, ',' ORDER BY t.id)) FROM app.block t) AS blocks,
	   (SELECT md5(string_agg(t::text, ',' ORDER BY t.id)) FROM app.notebook_page t) AS pages;
\o /dev/null
\i extract/demo_data.sql
\o
SELECT is((SELECT md5(string_agg(t::text, ',' ORDER BY t.id)) FROM app.noteflow_run t),
		  (SELECT runs FROM digest), 'the same seed gives the same runs');
SELECT is((SELECT md5(string_agg(t::text, ',' ORDER BY t.id)) FROM app.block t),
		  (SELECT blocks FROM digest), 'and the same blocks');
SELECT is((SELECT md5(string_agg(t::text, ',' ORDER BY t.id)) FROM app.notebook_page t),
		  (SELECT pages FROM digest), 'and the same pages');
\set seed 7
\o /dev/null
\i extract/demo_data.sql
\o
SELECT isnt((SELECT md5(string_agg(t::text, ',' ORDER BY t.id)) FROM app.noteflow_run t),
			(SELECT runs FROM digest), 'another seed gives other runs');
\set runs 1000
\o /dev/null
\i extract/demo_data.sql
\o
SELECT is((SELECT count(*) FROM app.noteflow_run WHERE finished_at IS NOT NULL), 1000::bigint,
		  'the runs variable sets the number of finished runs');

SELECT * FROM finish();

DROP SCHEMA app CASCADE;
