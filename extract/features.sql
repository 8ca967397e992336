-- extract/features.sql
--
-- Builds the 25-feature training set from the production tables (schema
-- "app"), and the same features for runs still pending, in schema
-- "analytics".  Creates what is missing and refreshes the training set;
-- re-runnable.  Needs the durpred extension (created here when missing).
--
--   psql -v ON_ERROR_STOP=1 -f extract/features.sql
--
-- One definition of each feature serves training and serving:
--   durpred.timing_features(at)      the five timing features of an instant (in
--                                    the extension, in C)
--   analytics.page_blocks            the block counts of every page (one C
--                                    aggregate, durpred.block_counts)
--   analytics.run_outcomes           the runs that count: finished, with a
--                                    duration (zero too); finished_runs adds
--                                    that their page is usable
--   durpred.run_history(d, failed)   the five historical features (one C
--                                    aggregate, in the extension)
-- The as-of rule: a run's history is the finished runs of its page with
-- finished_at <= the run's start (its creation when it has not started)
-- that started before it: a run of zero duration that finished at that very
-- instant started with it, and is not part of its own history.
--
-- Objects:
--   analytics.run_features           training set, one row per finished run
--                                    (materialized; this script refreshes it)
--   analytics.pending_run_features   features of pending and running runs
--   analytics.page_features(page, at)   features of a run of a page at an
--                                    instant (the serving definition, which
--                                    durpred.page_features reads directly for
--                                    the trigger; features_as_of gives them
--                                    as one value)
--   analytics.run_features_for(run)  features of one run as of its start
--   analytics.excluded_runs          runs that cannot be used, and why

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE EXTENSION IF NOT EXISTS durpred;
CREATE SCHEMA IF NOT EXISTS analytics;

-- An extension created before 0.5.0 lacks durpred.run_duration_us().
\set durpred_needs 'durpred.run_duration_us(timestamptz, timestamptz)'
\set durpred_script extract/features.sql
\ir require_extension.sql

BEGIN;

-- The block counts of every page, and how many blocks are of a type the
-- features do not know (such a page's runs are excluded).  One aggregate,
-- durpred.block_counts, counts them all: the serving trigger computes one
-- page's counts for every new run.
CREATE OR REPLACE VIEW analytics.page_blocks AS
SELECT c.page_id,
	   c.workspace_id,
	   c.n[1] AS total_blocks,
	   c.n[2] AS sql_blocks,
	   c.n[3] AS tableau_blocks,
	   c.n[4] AS email_blocks,
	   c.n[5] AS slack_blocks,
	   c.n[6] AS parameter_blocks,
	   c.n[7] AS code_blocks,
	   c.n[8] AS plotly_blocks,
	   c.n[9] AS kpi_blocks,
	   c.n[10] AS api_blocks,
	   c.n[11] AS writeback_blocks,
	   c.n[12] AS conditional_blocks,
	   c.n[13] AS loop_blocks,
	   c.n[14] AS ai_blocks,
	   c.n[15] AS storage_blocks,
	   c.n[16] AS unknown_blocks
FROM (SELECT p.id AS page_id, p.workspace_id, n.n
	  FROM app.notebook_page p
	  -- per page, from the index on app.block: a GROUP BY over a join
	  -- costs twice as much for the one page of the serving trigger
	  CROSS JOIN LATERAL (SELECT durpred.block_counts(b.block_type) AS n
						  FROM app.block b
						  WHERE b.notebook_page_id = p.id) n) c;

COMMENT ON VIEW analytics.page_blocks IS
'block counts of every page by type; unknown_blocks counts types the features do not know';

-- The runs that have an outcome: finished, started, and not finished before
-- they started; with their duration.  Whether their page can be used is
-- for analytics.page_blocks to say.  date_part gives the duration as
-- float8 directly (EXTRACT computes a numeric first, three times slower in
-- the serving trigger); below a day it is the same correctly rounded value.
CREATE OR REPLACE VIEW analytics.run_outcomes AS
SELECT r.id AS run_id,
	   r.notebook_page_id AS page_id,
	   r.workspace_id,
	   r.status,
	   r.started_at,
	   r.finished_at,
	   pg_catalog.date_part('epoch', r.finished_at - r.started_at) AS duration_seconds,
	   r.status = 'failed' AS failed
FROM app.noteflow_run r
WHERE r.status IN ('success', 'failed', 'cancelled')
  -- started, finished, not before it started, finite: the one rule, which
  -- the history summary's index and src/ share
  AND durpred.run_duration_us(r.finished_at, r.started_at) IS NOT NULL;

COMMENT ON VIEW analytics.run_outcomes IS
'finished runs with a duration (zero included), whatever their page';

-- The finished runs that count, as training rows and as history: those
-- with an outcome, on a page whose blocks are all of known types.
CREATE OR REPLACE VIEW analytics.finished_runs AS
SELECT o.*
FROM analytics.run_outcomes o
JOIN analytics.page_blocks b ON b.page_id = o.page_id AND b.unknown_blocks = 0;

COMMENT ON VIEW analytics.finished_runs IS
'finished runs with a duration (zero included) on a page whose blocks are all of known types: the training rows and every run''s history';

-- The runs that cannot be used, and why.
CREATE OR REPLACE VIEW analytics.excluded_runs AS
SELECT r.id AS run_id, r.status, x.reason
FROM app.noteflow_run r
LEFT JOIN analytics.page_blocks b ON b.page_id = r.notebook_page_id
CROSS JOIN LATERAL (SELECT CASE
	WHEN b.unknown_blocks > 0 THEN 'page has blocks of an unknown type'
	WHEN r.status NOT IN ('success', 'failed', 'cancelled') THEN NULL
	WHEN r.started_at IS NULL THEN 'finished without started_at'
	WHEN r.finished_at IS NULL THEN 'finished without finished_at'
	WHEN r.finished_at < r.started_at THEN 'finished_at before started_at'
	END AS reason) x
WHERE x.reason IS NOT NULL;

COMMENT ON VIEW analytics.excluded_runs IS
'runs left out of the training set (finished but unusable) or of scoring (page with unknown block types), with the reason';

-- The features of a run of a page at an instant: the serving definition.
-- No row when the page does not exist or has blocks of an unknown type.  A
-- set-returning SQL function of one SELECT, STABLE, without SET or STRICT:
-- called in FROM, the planner inlines it into the calling query, so that
-- the views below (and the serving trigger, where it cannot read the tables
-- directly with durpred.page_features, which computes the same values)
-- compute it without a function call of their own.
CREATE OR REPLACE FUNCTION analytics.page_features(page_id bigint, as_of timestamptz)
RETURNS SETOF durpred.features
LANGUAGE sql STABLE PARALLEL SAFE ROWS 1
AS $$
	SELECT (durpred.timing_features(as_of)).start_hour,
		   (durpred.timing_features(as_of)).day_of_week,
		   (durpred.timing_features(as_of)).month,
		   (durpred.timing_features(as_of)).is_weekend,
		   (durpred.timing_features(as_of)).is_business_hours,
		   b.total_blocks, b.sql_blocks, b.tableau_blocks, b.email_blocks, b.slack_blocks,
		   b.parameter_blocks, b.code_blocks, b.plotly_blocks, b.kpi_blocks, b.api_blocks,
		   b.writeback_blocks, b.conditional_blocks, b.loop_blocks, b.ai_blocks, b.storage_blocks,
		   (h.h).historical_run_count, (h.h).historical_avg_duration,
		   (h.h).historical_median_duration, (h.h).historical_stddev_duration,
		   (h.h).historical_failure_rate
	FROM analytics.page_blocks b
	-- the page is usable (checked below), so are its outcomes: they are its
	-- analytics.finished_runs.  They are added in the order the training
	-- set's window adds them, finish, start, id (a zero-duration run after
	-- the others that finished at its instant), so that avg and stddev come
	-- out to the bit.  The order comes from a sorted subquery, which the
	-- index noteflow_run_page_history_idx returns in that order: an ORDER BY in
	-- the aggregate's call would sort again for every run.
	CROSS JOIN (SELECT durpred.run_history(s.duration_seconds, s.failed) AS h
				FROM (SELECT f.duration_seconds, f.failed
					  FROM analytics.run_outcomes f
					  WHERE f.page_id = page_features.page_id
						AND f.finished_at <= page_features.as_of
						AND f.started_at < page_features.as_of
					  ORDER BY f.finished_at, f.started_at, f.run_id) s) h
	WHERE b.page_id = page_features.page_id
	  AND b.unknown_blocks = 0
$$;

COMMENT ON FUNCTION analytics.page_features(bigint, timestamptz) IS
'the 25 features of a run of a page starting at an instant (no row for a page that cannot be scored): history = the page''s finished runs with finished_at <= as_of and started_at < as_of';

-- The same as one value, NULL for a page that cannot be scored.
CREATE OR REPLACE FUNCTION analytics.features_as_of(page_id bigint, as_of timestamptz)
RETURNS durpred.features
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
	SELECT f FROM analytics.page_features(features_as_of.page_id, features_as_of.as_of) f
$$;

COMMENT ON FUNCTION analytics.features_as_of(bigint, timestamptz) IS
'analytics.page_features() as one value: the features of a run of a page starting at an instant, NULL for a page that cannot be scored';

-- The serving reads: the features of analytics.page_features(), read
-- directly by durpred.page_features (in C) from the page's history summary,
-- at a cost that does not grow with the page's history, where the app
-- tables allow direct reads; elsewhere (views in place of the tables,
-- row-level security), computed by analytics.page_features itself.  Read
-- with the caller's rights on the app tables.
CREATE OR REPLACE FUNCTION analytics.serving_page_features(page_id bigint, as_of timestamptz)
RETURNS SETOF durpred.features
LANGUAGE sql STABLE PARALLEL SAFE ROWS 1
AS $$
	SELECT f.*
	FROM durpred.page_features(serving_page_features.page_id, serving_page_features.as_of,
							   'analytics.page_features(bigint, timestamptz)'::pg_catalog.regprocedure) f
	WHERE f.historical_run_count IS NOT NULL
$$;

COMMENT ON FUNCTION analytics.serving_page_features(bigint, timestamptz) IS
'analytics.page_features() computed the fastest way the deployment allows (durpred.page_features and the history summary where the app tables can be read directly); used by the pending-run views and run_features_for';

CREATE OR REPLACE FUNCTION analytics.run_features_for(run_id bigint)
RETURNS durpred.features
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
	SELECT f
	FROM app.noteflow_run r
	CROSS JOIN LATERAL analytics.serving_page_features(r.notebook_page_id, COALESCE(r.started_at, r.created_at)) f
	WHERE r.id = run_features_for.run_id
$$;

COMMENT ON FUNCTION analytics.run_features_for(bigint) IS
'the features of one run as of its start (its creation when not started); equal to its analytics.run_features row for every finished run';

CREATE OR REPLACE VIEW analytics.pending_run_features AS
SELECT r.id AS run_id, f.*
FROM app.noteflow_run r
CROSS JOIN LATERAL analytics.serving_page_features(r.notebook_page_id, COALESCE(r.started_at, r.created_at)) f
WHERE r.status IN ('pending', 'running');

COMMENT ON VIEW analytics.pending_run_features IS
'the 25 features of every pending or running run, as of its start (its creation when not started)';

-- The training set, built with windows: each page's finish events and the
-- start of each of its finished runs, in time order, with the history
-- aggregate over all earlier rows.  At equal instants a finish comes before
-- a start (finished_at <= started_at counts), except the finish of a run of
-- zero duration, which comes after (it started at that instant too); finishes
-- at one instant in the order of their start, then id, as in
-- analytics.page_features().  One sort, O(n log n).  The block counts
-- are joined to the runs before the window, where the planner knows how
-- many rows there are.
CREATE OR REPLACE VIEW analytics.run_features_source AS
WITH runs AS (
	SELECT f.run_id, f.page_id, f.workspace_id, f.started_at, f.finished_at, f.status,
		   f.duration_seconds, f.failed,
		   b.total_blocks, b.sql_blocks, b.tableau_blocks, b.email_blocks, b.slack_blocks,
		   b.parameter_blocks, b.code_blocks, b.plotly_blocks, b.kpi_blocks, b.api_blocks,
		   b.writeback_blocks, b.conditional_blocks, b.loop_blocks, b.ai_blocks, b.storage_blocks
	FROM analytics.finished_runs f
	JOIN analytics.page_blocks b ON b.page_id = f.page_id
), events AS (
	-- a run's finish (kind 0, or 2 at zero duration) counts for later runs;
	-- its start (kind 1) is where its own features are read
	SELECT r.*, r.finished_at AS at,
		   CASE WHEN r.finished_at = r.started_at THEN 2 ELSE 0 END AS kind
	FROM runs r
	UNION ALL
	SELECT r.*, r.started_at, 1 FROM runs r
), history AS (
	SELECT e.*,
		   durpred.run_history(CASE WHEN e.kind <> 1 THEN e.duration_seconds END,
							   CASE WHEN e.kind <> 1 THEN e.failed END)
			   OVER (PARTITION BY e.page_id ORDER BY e.at, e.kind, e.started_at, e.run_id
					 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS h
	FROM events e
)
SELECT h.run_id,
	   pg_catalog.md5(h.page_id::text) AS page_hash,
	   pg_catalog.md5(h.workspace_id::text) AS workspace_hash,
	   h.started_at,
	   h.status,
	   (durpred.timing_features(h.started_at)).start_hour,
	   (durpred.timing_features(h.started_at)).day_of_week,
	   (durpred.timing_features(h.started_at)).month,
	   (durpred.timing_features(h.started_at)).is_weekend,
	   (durpred.timing_features(h.started_at)).is_business_hours,
	   h.total_blocks, h.sql_blocks, h.tableau_blocks, h.email_blocks, h.slack_blocks,
	   h.parameter_blocks, h.code_blocks, h.plotly_blocks, h.kpi_blocks, h.api_blocks,
	   h.writeback_blocks, h.conditional_blocks, h.loop_blocks, h.ai_blocks, h.storage_blocks,
	   (h.h).historical_run_count, (h.h).historical_avg_duration,
	   (h.h).historical_median_duration, (h.h).historical_stddev_duration,
	   (h.h).historical_failure_rate,
	   h.duration_seconds
FROM history h
WHERE h.kind = 1;

COMMENT ON VIEW analytics.run_features_source IS
'the definition of analytics.run_features (computed in one pass with window functions)';

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics.run_features AS
SELECT * FROM analytics.run_features_source
WITH NO DATA;

COMMENT ON MATERIALIZED VIEW analytics.run_features IS
'the training set: one row per finished run, the 25 features as of its start and its duration; refresh with extract/features.sql';

-- analytics.timing_features() and its type analytics.timing were the timing
-- features' definition before durpred.timing_features(), which computes the
-- same five values: nothing uses them any more.
DROP FUNCTION IF EXISTS analytics.timing_features(timestamptz);
DROP TYPE IF EXISTS analytics.timing;

-- The per-page history summary: the exact totals of every page's runs with
-- an outcome (analytics.run_outcomes), kept up to date by triggers as runs
-- finish, change or go, so that the history of a run starting now costs the
-- same on a page of 100 runs and of 100,000 (src/summary.c).  The serving
-- reads (durpred.page_features) use it where it is complete, and give the
-- values of analytics.page_features() either way.  Keep the columns in sync
-- with src/summary.c: summary_columns.
CREATE TABLE IF NOT EXISTS analytics.page_history_summary (
	page_id bigint PRIMARY KEY,
	complete boolean NOT NULL DEFAULT false,
	runs bigint NOT NULL DEFAULT 0,
	failed_runs bigint NOT NULL DEFAULT 0,
	sum_us numeric NOT NULL DEFAULT 0,
	sum_squares_us numeric NOT NULL DEFAULT 0,
	median_low_us bigint,
	median_low_run bigint,
	median_high_us bigint,
	median_high_run bigint
);

COMMENT ON TABLE analytics.page_history_summary IS
'per page: runs with an outcome, failed ones, sum and sum of squares of their durations in microseconds, the two middle runs by duration; complete = kept up to date (else durpred.page_history_rebuild builds it); maintained by triggers on app.noteflow_run and app.notebook_page';

-- The page's runs with an outcome in duration order, where the summary
-- finds its middle runs.  Its predicate is analytics.run_outcomes' rule.
-- Against production tables, build it first with CREATE INDEX CONCURRENTLY
-- (see the README).
CREATE INDEX IF NOT EXISTS noteflow_run_page_duration_idx
	ON app.noteflow_run (notebook_page_id, durpred.run_duration_us(finished_at, started_at), id)
	INCLUDE (status)
	WHERE status IN ('success', 'failed', 'cancelled')
	  AND durpred.run_duration_us(finished_at, started_at) IS NOT NULL;

DROP TRIGGER IF EXISTS page_history_insert ON app.noteflow_run;
DROP TRIGGER IF EXISTS page_history_update ON app.noteflow_run;
DROP TRIGGER IF EXISTS page_history_delete ON app.noteflow_run;
DROP TRIGGER IF EXISTS page_history_truncate ON app.noteflow_run;
CREATE TRIGGER page_history_insert AFTER INSERT ON app.noteflow_run
	REFERENCING NEW TABLE AS new_runs
	FOR EACH STATEMENT EXECUTE FUNCTION durpred.page_history_maintain('runs');
CREATE TRIGGER page_history_update AFTER UPDATE ON app.noteflow_run
	REFERENCING OLD TABLE AS old_runs NEW TABLE AS new_runs
	FOR EACH STATEMENT EXECUTE FUNCTION durpred.page_history_maintain('runs');
CREATE TRIGGER page_history_delete AFTER DELETE ON app.noteflow_run
	REFERENCING OLD TABLE AS old_runs
	FOR EACH STATEMENT EXECUTE FUNCTION durpred.page_history_maintain('runs');
CREATE TRIGGER page_history_truncate AFTER TRUNCATE ON app.noteflow_run
	FOR EACH STATEMENT EXECUTE FUNCTION durpred.page_history_maintain('runs');

DROP TRIGGER IF EXISTS page_history_insert ON app.notebook_page;
DROP TRIGGER IF EXISTS page_history_delete ON app.notebook_page;
DROP TRIGGER IF EXISTS page_history_truncate ON app.notebook_page;
CREATE TRIGGER page_history_insert AFTER INSERT ON app.notebook_page
	REFERENCING NEW TABLE AS new_pages
	FOR EACH STATEMENT EXECUTE FUNCTION durpred.page_history_maintain('pages');
CREATE TRIGGER page_history_delete AFTER DELETE ON app.notebook_page
	REFERENCING OLD TABLE AS old_pages
	FOR EACH STATEMENT EXECUTE FUNCTION durpred.page_history_maintain('pages');
CREATE TRIGGER page_history_truncate AFTER TRUNCATE ON app.notebook_page
	FOR EACH STATEMENT EXECUTE FUNCTION durpred.page_history_maintain('pages');

-- The triggers write the summary as the owner of the app tables: grant it
-- what it lacks (the owner of all these objects needs nothing).
DO $$
DECLARE
	t text;
	owner name;
BEGIN
	FOREACH t IN ARRAY ARRAY['app.noteflow_run', 'app.notebook_page'] LOOP
		owner := (SELECT pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class c
				  WHERE c.oid OPERATOR(pg_catalog.=) t::pg_catalog.regclass);
		IF NOT pg_catalog.has_schema_privilege(owner, 'analytics', 'USAGE') THEN
			EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA analytics TO %I', owner);
		END IF;
		IF NOT pg_catalog.has_table_privilege(owner, 'analytics.page_history_summary',
											  'SELECT, INSERT, UPDATE, DELETE') THEN
			EXECUTE pg_catalog.format('GRANT SELECT, INSERT, UPDATE, DELETE ON analytics.page_history_summary TO %I', owner);
		END IF;
	END LOOP;
END
$$;

-- (Re)builds the summaries that are missing or incomplete (all of them with
-- every_page), page by page, committing every batch pages: each page's
-- writers wait only while its own summary is computed.  CALL it outside a
-- transaction block; extract/features.sql builds the missing ones itself.
CREATE OR REPLACE PROCEDURE analytics.rebuild_page_history(batch integer DEFAULT 100,
														   every_page boolean DEFAULT false)
LANGUAGE plpgsql
-- no SET search_path: a procedure with one may not commit; every name is
-- qualified instead
AS $$
DECLARE
	page bigint;
	n integer := 0;
BEGIN
	IF batch IS NULL OR batch OPERATOR(pg_catalog.<) 1 THEN
		RAISE EXCEPTION 'batch must be a positive number of pages' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	FOR page IN
		SELECT p.id FROM app.notebook_page p
		WHERE every_page OR NOT EXISTS (SELECT FROM analytics.page_history_summary h
										WHERE h.page_id OPERATOR(pg_catalog.=) p.id AND h.complete)
		ORDER BY p.id
	LOOP
		PERFORM durpred.page_history_rebuild(page);
		n := n OPERATOR(pg_catalog.+) 1;
		IF n OPERATOR(pg_catalog.%) batch OPERATOR(pg_catalog.=) 0 THEN
			COMMIT;
		END IF;
	END LOOP;
END
$$;

COMMENT ON PROCEDURE analytics.rebuild_page_history(integer, boolean) IS
'builds the history summaries that are missing or incomplete (every one with every_page), committing every batch pages; CALL outside a transaction block';

CREATE UNIQUE INDEX IF NOT EXISTS run_features_run_id_idx ON analytics.run_features (run_id);
CREATE INDEX IF NOT EXISTS run_features_started_at_idx ON analytics.run_features (started_at);

-- The definitions commit before the refresh: replacing the views locks
-- them, and the serving trigger reads them for every new run, so they are
-- held for an instant, not for the length of the refresh (which locks
-- analytics.run_features alone).
COMMIT;

-- the summaries of pages that have none yet, or an incomplete one
SELECT count(durpred.page_history_rebuild(p.id)) AS summaries_built
FROM app.notebook_page p
WHERE NOT EXISTS (SELECT FROM analytics.page_history_summary h WHERE h.page_id = p.id AND h.complete)
\g /dev/null

REFRESH MATERIALIZED VIEW analytics.run_features;

ANALYZE analytics.run_features;

-- What was built, and what was left out.
\echo
\echo 'Training set (analytics.run_features) and pending runs:'
SELECT (SELECT count(*) FROM analytics.run_features) AS training_rows,
	   (SELECT count(*) FROM analytics.pending_run_features) AS pending_runs,
	   (SELECT min(started_at) FROM analytics.run_features) AS first_start,
	   (SELECT max(started_at) FROM analytics.run_features) AS last_start;
\echo 'Runs excluded, by reason:'
SELECT reason, count(*) AS runs FROM analytics.excluded_runs GROUP BY reason
UNION ALL
SELECT 'total', count(*) FROM analytics.excluded_runs
ORDER BY runs DESC, reason;
