-- extract/demo_data.sql
--
-- Replaces the contents of the production tables (schema "app", created by
-- extract/schema.sql) with generated data shaped like the reference
-- service's dataset: 47 workspaces, 750 pages with blocks of the 14 types,
-- finished runs started between 2024-01-01 and 2026-01-31, and some pending
-- and running runs at the end of that range.
--
--   psql -v ON_ERROR_STOP=1 [-v runs=N] [-v seed=S] -f extract/demo_data.sql
--
--   runs  finished runs to generate (default 50000)
--   seed  random seed (default 42): the same seed gives the same data
--
-- How a run's duration comes about (seconds):
--   duration = 0.1 + work(page) * speed(page) * hour(start) * season * busy
--                  * night * noise * tail,              at most 3600 (a timeout)
--   work(page)  0.3 + the sum of the page's blocks' costs (writeback 24 s,
--               ai 4, loop 2.5, tableau 2.2, sql 1.3, api 1.2, storage 1.2,
--               code 0.9, plotly 0.7, kpi 0.5, email 0.25, conditional 0.25,
--               slack 0.15, parameter 0.05)
--   speed(page) 0.82 lognormal(0, 0.55): how fast this page's queries and
--               systems are; it persists, so a page's history predicts it
--   hour        0.95 in business hours (9-17 UTC on weekdays), else 1: the
--               reference's "business hours have marginally faster execution"
--   season      1 + 3.0 * (share of sql and tableau blocks) in the months
--               after a quarter closes (January, April, July, October)
--   busy        1 + 1.5 * (the same share) in the weekday morning batch
--               window, 6-9 UTC, when the warehouses load
--   night       1 - 0.85 * (share of api, storage and ai blocks) before 6 UTC
--   noise       lognormal(0, 0.25) for every run
--   tail        1, or lognormal(1.5, 0.4) (slow systems, retries, timeouts)
--               with the page's slow propensity, 0.002 + 0.06 u^3 + 0.06 if
--               the page has two api, storage, ai or loop blocks (0.03 for
--               one), times 1.25 outside 7-17 UTC (nightly maintenance) and
--               0.95 within
-- The season, busy, night and tail effects are interactions of time and
-- blocks: a tree model learns them, a linear one cannot.  A run fails with
-- its page's propensity (0.025 + 0.40 u^4: most pages rarely fail, a few
-- often); a failed run stops part way (its duration times uniform(0.15,
-- 1)).  A handful of runs are cancelled.  Busy pages run more often than
-- quiet ones (lognormal weights), runs start mostly on weekdays and in the
-- daytime (UTC), and 3 % of runs start while another run of their page is
-- still running.
--
-- At the default size and seed this gives the reference figures within
-- 20 % (median 8.2 s, mean 16.8, p25 3.6, p75 17.9, p95 57, max in the
-- thousands; 11.5 % failed); business-hours runs are about 12 % quicker
-- (median 7.8 s against 8.9), and XGBoost with the reference
-- hyperparameters explains about a third of the test variance, ahead of a
-- linear model and of the page's historical median (test/pgtap/demo_data.sql
-- checks the figures, test/t/080_demo_model.pl the model's).
--
-- Every random draw is a hash of (seed, stream, entity id), so the data do
-- not depend on the order in which rows are computed.  1,000,000 runs take
-- a few minutes.

\set ON_ERROR_STOP 1
\if :{?runs}
\else
\set runs 50000
\endif
\if :{?seed}
\else
\set seed 42
\endif

SET client_min_messages = warning;
-- the inserts are deterministic whatever the plan; this only saves workers
SET max_parallel_workers_per_gather = 0;

BEGIN;

-- this session's functions stay here (on a Citus coordinator they would
-- be sent to the workers)
SET citus.enable_ddl_propagation = off;

-- a uniform number in (0, 1) for (seed, stream, id)
CREATE OR REPLACE FUNCTION pg_temp.u(seed bigint, stream int, id bigint) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT ((pg_catalog.hashint8extended(id, seed * 1000003 + stream) >> 11)
			& 9007199254740991)::float8 / 9007199254740992.0 + 0.5 / 9007199254740992.0
$$;

-- a standard normal number (Box-Muller) for (seed, stream, id)
CREATE OR REPLACE FUNCTION pg_temp.normal(seed bigint, stream int, id bigint) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT sqrt(-2.0 * ln(pg_temp.u(seed, 2 * stream, id)))
		   * cos(2.0 * pi() * pg_temp.u(seed, 2 * stream + 1, id))
$$;

RESET citus.enable_ddl_propagation;

TRUNCATE app.noteflow_run, app.block, app.notebook_page, app.workspace;
-- the serving log of estimates (extract/serving.sql) goes with the runs
DO $$
BEGIN
	IF pg_catalog.to_regclass('analytics.run_estimate') IS NOT NULL THEN
		TRUNCATE analytics.run_estimate;
	END IF;
	-- and the shadow model's (extract/lifecycle.sql)
	IF pg_catalog.to_regclass('analytics.shadow_estimate') IS NOT NULL THEN
		TRUNCATE analytics.shadow_estimate;
	END IF;
END
$$;

INSERT INTO app.workspace (id, name)
SELECT w, 'workspace ' || w FROM generate_series(1, 47) w;

-- The pages and blocks are made in temporary tables first, and the
-- draws read those: on a Citus coordinator (extract/citus.sql) a query of
-- the distributed app tables runs on the workers, which do not have this
-- session's pg_temp functions.

-- pages: a few large workspaces, many small ones
CREATE TEMP TABLE gen_page ON COMMIT DROP AS
SELECT p::bigint AS id, 1 + floor(47 * pg_temp.u(:seed, 1, p) ^ 1.8)::bigint AS workspace_id,
	   'page ' || p AS name
FROM generate_series(1, 750) p;
INSERT INTO app.notebook_page (id, workspace_id, name)
SELECT id, workspace_id, name FROM gen_page;

-- blocks: 1 to 40 per page, each of one of the 14 types
CREATE TEMP TABLE block_type (type text, lower float8, upper float8, cost float8) ON COMMIT DROP;
INSERT INTO block_type
SELECT type, sum(share) OVER (ORDER BY ord) - share,
	   -- the last bound past 1, whatever the rounding of the sum
	   CASE WHEN ord = 14 THEN 2 ELSE sum(share) OVER (ORDER BY ord) END, cost
FROM (VALUES (1, 'sql', 0.31, 1.3), (2, 'tableau', 0.08, 2.2), (3, 'email', 0.10, 0.25),
			 (4, 'slack', 0.08, 0.15), (5, 'parameter', 0.10, 0.05), (6, 'code', 0.08, 0.9),
			 (7, 'plotly', 0.05, 0.7), (8, 'kpi', 0.05, 0.5), (9, 'api', 0.04, 1.2),
			 (10, 'writeback', 0.02, 24.0), (11, 'conditional', 0.03, 0.25),
			 (12, 'loop', 0.02, 2.5), (13, 'ai', 0.02, 4.0), (14, 'storage', 0.02, 1.2))
	 AS t(ord, type, share, cost);

CREATE TEMP TABLE gen_block ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY p.id, b.position) AS id, p.id AS notebook_page_id,
	   t.type AS block_type, b.position
FROM gen_page p
CROSS JOIN LATERAL generate_series(1, least(40, 1 + floor(exp(1.6 + 0.75 * pg_temp.normal(:seed, 2, p.id)))::int))
	AS b(position)
JOIN block_type t ON pg_temp.u(:seed, 3, p.id * 100 + b.position) >= t.lower
				 AND pg_temp.u(:seed, 3, p.id * 100 + b.position) < t.upper;
INSERT INTO app.block (id, notebook_page_id, block_type, position)
SELECT id, notebook_page_id, block_type, position FROM gen_block;

-- what makes a page's runs long or short, and how often it runs
CREATE TEMP TABLE page_profile ON COMMIT DROP AS
SELECT p.id AS page_id, p.workspace_id,
	   0.3 + COALESCE((SELECT sum(t.cost) FROM gen_block b JOIN block_type t ON t.type = b.block_type
					   WHERE b.notebook_page_id = p.id), 0) AS work,
	   0.82 * exp(0.55 * pg_temp.normal(:seed, 4, p.id)) AS speed,
	   0.025 + 0.40 * pg_temp.u(:seed, 5, p.id) ^ 4 AS failure_propensity,
	   0.002 + 0.06 * pg_temp.u(:seed, 27, p.id) ^ 3
		   + 0.06 * least(1.0, COALESCE((SELECT count(*) FROM gen_block b
										 WHERE b.notebook_page_id = p.id
										   AND b.block_type IN ('api', 'storage', 'ai', 'loop')), 0) / 2.0)
		   AS slow_propensity,
	   exp(1.1 * pg_temp.normal(:seed, 6, p.id)) AS weight,
	   COALESCE((SELECT count(*) FILTER (WHERE b.block_type IN ('sql', 'tableau'))::float8 / count(*)
				 FROM gen_block b WHERE b.notebook_page_id = p.id), 0) AS reporting_share,
	   COALESCE((SELECT count(*) FILTER (WHERE b.block_type IN ('api', 'storage', 'ai'))::float8 / count(*)
				 FROM gen_block b WHERE b.notebook_page_id = p.id), 0) AS external_share
FROM gen_page p;

-- cumulative weights: run k goes to the page whose bucket holds its draw
CREATE TEMP TABLE page_buckets ON COMMIT DROP AS
SELECT array_agg(cum ORDER BY page_id) AS bounds, array_agg(page_id ORDER BY page_id) AS pages
FROM (SELECT page_id, sum(weight) OVER (ORDER BY page_id) / sum(weight) OVER () AS cum
	  FROM page_profile) c;

-- the finished runs, numbered in time order afterwards
CREATE TEMP TABLE draft ON COMMIT DROP AS
WITH k AS (
	SELECT k, (SELECT pages[least(width_bucket(pg_temp.u(:seed, 7, k), bounds), 749) + 1]
			   FROM page_buckets) AS page_id
	FROM generate_series(1, :runs) k
), t AS (
	SELECT k.k, k.page_id,
		   -- the day: uniform over the range, most weekend runs moved to Friday or Monday
		   (date '2024-01-01' + floor(pg_temp.u(:seed, 8, k.k) * (date '2026-01-31' - date '2024-01-01'))::int) AS day0,
		   -- the hour: daytime for most runs, any hour for the rest (UTC)
		   CASE WHEN pg_temp.u(:seed, 9, k.k) < 0.72
				THEN least(23, greatest(0, round(12.5 + 3.2 * pg_temp.normal(:seed, 10, k.k))))
				ELSE floor(24 * pg_temp.u(:seed, 11, k.k)) END AS hour,
		   pg_temp.u(:seed, 12, k.k) * 3600 AS second_of_hour
	FROM k
), s0 AS (
	SELECT t.k, t.page_id,
		   -- most weekend runs move to a weekday of the same week
		   (CASE WHEN extract(isodow FROM t.day0) >= 6 AND pg_temp.u(:seed, 13, t.k) < 0.6
				 THEN t.day0 - (extract(isodow FROM t.day0)::int - 1)
					  + floor(5 * pg_temp.u(:seed, 26, t.k))::int
				 ELSE t.day0 END)::timestamp AT TIME ZONE 'UTC'
		   + make_interval(hours => t.hour::int) + make_interval(secs => t.second_of_hour) AS started_at
	FROM t
), s AS (
	-- 3 % of runs start while another is running: a schedule and a manual
	-- run, or a retry; they take the page and start of the previous draw
	SELECT s0.k,
		   CASE WHEN twin THEN lag(s0.page_id) OVER w ELSE s0.page_id END AS page_id,
		   CASE WHEN twin THEN least(lag(s0.started_at) OVER w
									 + make_interval(secs => 0.5 + 4.5 * pg_temp.u(:seed, 29, s0.k)),
									 timestamptz '2026-01-30 23:59:59+00')
				ELSE s0.started_at END AS started_at
	FROM (SELECT s0.*, s0.k > 1 AND pg_temp.u(:seed, 28, s0.k) < 0.03 AS twin FROM s0) s0
	WINDOW w AS (ORDER BY s0.k)
)
SELECT s.k, s.page_id, pp.workspace_id, s.started_at,
	   s.started_at - make_interval(secs => 0.05 + 2.0 * -ln(pg_temp.u(:seed, 14, s.k))) AS created_at,
	   CASE WHEN pg_temp.u(:seed, 15, s.k) < 0.00012 THEN 'cancelled'
			WHEN pg_temp.u(:seed, 16, s.k) < pp.failure_propensity THEN 'failed'
			ELSE 'success' END AS status,
	   pp.work * pp.speed
		   * CASE WHEN extract(isodow FROM s.started_at AT TIME ZONE 'UTC') <= 5
					   AND extract(hour FROM s.started_at AT TIME ZONE 'UTC') BETWEEN 9 AND 16
				  THEN 0.95 ELSE 1.0 END
		   -- reporting pages slow down in quarter-closing months and in the
		   -- busy hours of weekdays; external systems are quicker at night
		   * (1 + 3.0 * pp.reporting_share
				* CASE WHEN extract(month FROM s.started_at AT TIME ZONE 'UTC') IN (1, 4, 7, 10) THEN 1 ELSE 0 END)
		   * (1 + 1.5 * pp.reporting_share
				* CASE WHEN extract(isodow FROM s.started_at AT TIME ZONE 'UTC') <= 5
						   AND extract(hour FROM s.started_at AT TIME ZONE 'UTC') BETWEEN 6 AND 8 THEN 1 ELSE 0 END)
		   * (1 - 0.85 * pp.external_share
				* CASE WHEN extract(hour FROM s.started_at AT TIME ZONE 'UTC') < 6 THEN 1 ELSE 0 END)
		   * exp(0.25 * pg_temp.normal(:seed, 17, s.k))
		   * CASE WHEN pg_temp.u(:seed, 18, s.k) < pp.slow_propensity
					   * CASE WHEN extract(hour FROM s.started_at AT TIME ZONE 'UTC') NOT BETWEEN 7 AND 16
							  THEN 1.25 ELSE 0.95 END
				  THEN exp(1.5 + 0.4 * pg_temp.normal(:seed, 19, s.k)) ELSE 1.0 END AS work_seconds
FROM s JOIN page_profile pp ON pp.page_id = s.page_id;

INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at, started_at, finished_at)
SELECT row_number() OVER (ORDER BY d.created_at, d.k), d.page_id, d.workspace_id, d.status,
	   d.created_at, d.started_at,
	   d.started_at + make_interval(secs => least(3600.0 - pg_temp.u(:seed, 20, d.k),
		   0.1 + d.work_seconds * CASE WHEN d.status = 'success' THEN 1.0
									   ELSE 0.15 + 0.85 * pg_temp.u(:seed, 21, d.k) END))
FROM draft d;

-- the queue at the end of the range: pending runs (not started) and
-- running ones, created on 2026-01-31, numbered after the finished runs
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at, started_at)
SELECT :runs + row_number() OVER (ORDER BY c.created_at, c.q), c.page_id, c.workspace_id,
	   c.status, c.created_at,
	   CASE WHEN c.status = 'running'
			THEN c.created_at + make_interval(secs => 0.05 + 2.0 * -ln(pg_temp.u(:seed, 24, c.q))) END
FROM (SELECT q, pp.page_id, pp.workspace_id,
			 timestamptz '2026-01-31 00:00:00+00' + make_interval(secs => 43200 * pg_temp.u(:seed, 22, q)) AS created_at,
			 CASE WHEN pg_temp.u(:seed, 23, q) < 0.4 THEN 'running' ELSE 'pending' END AS status
	  FROM generate_series(1, greatest(50, (:runs * 0.006)::int)) q
	  CROSS JOIN LATERAL (SELECT pages[least(width_bucket(pg_temp.u(:seed, 25, q), bounds), 749) + 1] AS page_id
						  FROM page_buckets) b
	  JOIN page_profile pp ON pp.page_id = b.page_id) c;

-- inserts without an explicit id continue after these
SELECT setval(pg_get_serial_sequence('app.noteflow_run', 'id'), (SELECT max(id) FROM app.noteflow_run))
	AS last_run_id \gset

COMMIT;

ANALYZE app.workspace, app.notebook_page, app.block, app.noteflow_run;

\echo 'Demo data (seed' :seed'):'
SELECT w.workspaces, p.pages, b.blocks, r.*
FROM (SELECT count(*) AS workspaces FROM app.workspace) w,
	 (SELECT count(*) AS pages FROM app.notebook_page) p,
	 (SELECT count(*) AS blocks FROM app.block) b,
	 (SELECT count(*) FILTER (WHERE status = 'success') AS success,
			 count(*) FILTER (WHERE status = 'failed') AS failed,
			 count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
			 count(*) FILTER (WHERE status = 'running') AS running,
			 count(*) FILTER (WHERE status = 'pending') AS pending
	  FROM app.noteflow_run) r;
