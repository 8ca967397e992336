-- test/sql/edge_rows.sql: rows with timestamps at the edges of PostgreSQL's
-- range (-infinity, 4714-11-24 BC, 294276-12-31 AD, infinity) break no view
-- for everyone: a finished run without a duration PostgreSQL can compute is
-- left out of the training set and the history, a queued run without a
-- completion time that can be shown gets NULL there, both are listed in
-- analytics.excluded_runs with the reason, and the trigger's direct reads
-- (C) agree with the SQL definition on every one of them
\set ECHO none
\i test/fixtures/tiny_model.sql
\i extract/schema.sql
\i extract/features.sql
\i extract/serving.sql
\set ECHO all
-- a view that fails shows its error, and the test goes on to the next
\set ON_ERROR_STOP 0
SET TimeZone = 'UTC';

-- page 20 has one sql block: the tiny model predicts 10.5 s, or 20.5 s when
-- the page's history averages 30 s or more
INSERT INTO app.workspace VALUES (1, 'w');
INSERT INTO app.notebook_page VALUES (20, 1, 'daily');
INSERT INTO app.block VALUES (1, 20, 'sql', 1);
SELECT durpred.install_model('tiny', pg_temp.tiny_bytes(), NULL, true) > 0 AS installed;

-- finished runs: 1, 7 and 8 have a duration (7 at the first instant
-- PostgreSQL has, 8 at the last); the others do not (9 lasts over 283,000
-- years, 10 exactly 2^63 - 1 microseconds, the longest an interval holds,
-- 11 one more: all beyond the 2^53 microseconds of durpred.run_duration_us)
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at, started_at, finished_at) VALUES
	(1, 20, 1, 'success', '2025-01-01', '2025-01-01 00:00:00+00', '2025-01-01 00:00:40+00'),
	(2, 20, 1, 'success', '2025-01-01', '2025-01-01 00:01:00+00', 'infinity'),
	(3, 20, 1, 'failed', '2025-01-01', '-infinity', '2025-01-01 00:02:00+00'),
	(4, 20, 1, 'cancelled', '2025-01-01', 'infinity', 'infinity'),
	(5, 20, 1, 'success', '2025-01-01', '-infinity', '-infinity'),
	(6, 20, 1, 'success', '4714-11-24 00:00:00+00 BC', '4714-11-24 00:00:00+00 BC', '294276-12-31 23:59:59.999999+00'),
	(7, 20, 1, 'failed', '4714-11-24 00:00:00+00 BC', '4714-11-24 00:00:00+00 BC', '4714-11-24 00:00:10+00 BC'),
	(8, 20, 1, 'success', '294276-12-31', '294276-12-31 23:59:00+00', '294276-12-31 23:59:59.999999+00'),
	(9, 20, 1, 'success', '1999-01-01', '1999-01-01 00:00:00+00', '285000-01-01 00:00:00+00'),
	(10, 20, 1, 'success', '1999-12-23', '1999-12-23 19:59:05.224192+00', '294276-12-31 23:59:59.999999+00'),
	(11, 20, 1, 'success', '1999-12-23', '1999-12-23 19:59:05.224191+00', '294276-12-31 23:59:59.999999+00');

-- the training set refreshes (it failed with "cannot subtract infinite
-- timestamps"), with the runs that have a duration
REFRESH MATERIALIZED VIEW analytics.run_features;
SELECT run_id, status, started_at, duration_seconds, historical_run_count
FROM analytics.run_features ORDER BY run_id;
SELECT run_id, duration_seconds = analytics.run_duration(started_at, finished_at) AS same
FROM analytics.run_outcomes ORDER BY run_id;
SELECT run_id, status, reason FROM analytics.excluded_runs ORDER BY run_id;

-- every finished run is either in analytics.run_outcomes or excluded, never both
SELECT count(*) FILTER (WHERE o.run_id IS NULL) AS excluded,
	   count(*) FILTER (WHERE o.run_id IS NOT NULL) AS counted,
	   count(*) FILTER (WHERE (o.run_id IS NULL) = (x.run_id IS NULL)) AS both_or_neither
FROM app.noteflow_run r
LEFT JOIN analytics.run_outcomes o ON o.run_id = r.id
LEFT JOIN analytics.excluded_runs x ON x.run_id = r.id
WHERE analytics.has_outcome(r.status);

-- the direct reads (C) and the SQL agree as of every instant of every run
-- and at the edges; the history as of infinity holds the five runs with a
-- duration, 10 among them and 11 not
CREATE TEMP TABLE instants AS
SELECT DISTINCT at FROM (
	SELECT unnest(ARRAY[r.created_at, r.started_at, r.finished_at]) AS at FROM app.noteflow_run r
	UNION ALL
	SELECT unnest(ARRAY['-infinity', '4714-11-24 00:00:00.000001+00 BC', '2000-01-01',
						'294276-12-31 23:59:59.999999+00', 'infinity']::timestamptz[])) i
WHERE at IS NOT NULL;
SELECT count(*) AS instants,
	   count(*) FILTER (WHERE durpred.page_features(20, at)
						IS DISTINCT FROM analytics.features_as_of(20, at)) AS different
FROM instants;
SELECT at, (f).historical_run_count, (f).historical_failure_rate
FROM instants, analytics.features_as_of(20, at) f
WHERE at IN ('-infinity', '4714-11-24 00:00:00.000001+00 BC', '2000-01-01', 'infinity')
ORDER BY at;
-- the training rows are the features of each run as of its start
SELECT count(*) AS different
FROM analytics.run_features f
WHERE to_jsonb(analytics.run_features_for(f.run_id))
	  IS DISTINCT FROM to_jsonb(f) - '{run_id, page_hash, workspace_hash, started_at, status, duration_seconds}'::text[];

-- the queue.  101's estimate (20.5 s after 294276-12-31 23:59:55) ends past
-- the last timestamp: the trigger warns and writes NULLs, and the scored
-- queue (which failed with "timestamp out of range") gives it no completion
-- time.  102 ends just before it.  103 and 104 are as of an infinite
-- instant: no completion time there either (the trigger stores the
-- infinite sum).  105 is as of the first instant.
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at, started_at) VALUES
	(101, 20, 1, 'pending', '294276-12-31 23:59:55+00', NULL),
	(102, 20, 1, 'pending', '294276-12-31 23:59:39.499999+00', NULL),
	(103, 20, 1, 'running', '2025-06-01', 'infinity'),
	(104, 20, 1, 'pending', '-infinity', NULL),
	(105, 20, 1, 'pending', '4714-11-24 00:00:00+00 BC', NULL),
	(106, 20, 1, 'pending', '2025-06-02 08:00:00+00', NULL);
SELECT id, estimated_duration, estimated_completion_at FROM app.noteflow_run WHERE id > 100 ORDER BY id;
SELECT run_id, estimated_duration, duration_category, estimated_completion_at, model_id IS NOT NULL AS scored
FROM analytics.pending_run_estimates;
SELECT run_id, start_hour, month, historical_run_count FROM analytics.pending_run_features ORDER BY run_id;
SELECT id, (analytics.run_features_for(id)).historical_run_count
FROM app.noteflow_run WHERE id > 100 ORDER BY id;
SELECT run_id, status, reason FROM analytics.excluded_runs WHERE run_id > 100 ORDER BY run_id;

-- estimates against outcomes, with estimates on every finished run: the
-- runs without a duration are not counted (an infinite one failed it)
UPDATE app.noteflow_run SET estimated_duration = 30, estimated_completion_at = 'infinity'
WHERE analytics.has_outcome(status);
SELECT week, runs, round(mae::numeric, 3) AS mae, round(category_agreement::numeric, 3) AS category_agreement,
	   late_share
FROM analytics.prediction_accuracy;

-- analytics.completion_at(at, seconds) is at + seconds * interval '1 second'
-- exactly where that is a timestamp, and NULL elsewhere (where PostgreSQL
-- raises an error or, past an int64, may wrap around): checked against
-- the sum in numeric microseconds over the edges of both arguments
CREATE TEMP TABLE ats (at timestamptz);
INSERT INTO ats VALUES ('-infinity'), ('4714-11-24 00:00:00+00 BC'), ('4714-11-24 00:00:00.000001+00 BC'),
	('1999-12-23 19:59:05.224192+00'), ('2000-01-01'), ('2025-06-01 12:00:00.5+00'),
	('294276-12-31 00:00:00+00'), ('294276-12-31 23:59:59+00'), ('294276-12-31 23:59:59.999999+00'),
	('infinity');
CREATE TEMP TABLE secs (s float8);
INSERT INTO secs VALUES (0), ('-0'), (1e-6), (4e-7), (6e-7), (-1e-6), (1), (-1), (10.5), (86399.5), (0.999999),
	(9223372036854.774), (9223372036854.775), (9223372036854.7758), (9.3e12), (1e13), (-1e13),
	(-9223372036854.775), (-9.3e12), (1e300), (-1e300), ('Infinity'), ('-Infinity'), ('NaN');
-- the seconds from each instant to the last and to the first timestamp, and
-- one microsecond either side (an instant's microseconds from 2000-01-01,
-- exactly: extract(epoch) of an interval is an exact numeric, of a
-- timestamp near the end it is not)
INSERT INTO secs
SELECT DISTINCT (extract(epoch FROM e.t - '2000-01-01 00:00:00+00')
				 - extract(epoch FROM a.at - '2000-01-01 00:00:00+00') + d)::float8
FROM ats a,
	 (VALUES ('294276-12-31 23:59:59.999999+00'::timestamptz), ('4714-11-24 00:00:00+00 BC')) e(t),
	 (VALUES (-0.000001), (0), (0.000001)) x(d)
WHERE isfinite(a.at);
-- the sum fits where the product is an interval (rint(seconds * 10^6) in
-- an int64: interval_mul) and the sum in numeric microseconds from
-- 2000-01-01 is between the first and the last timestamp
CREATE TEMP TABLE oracle AS
SELECT a.at, s.s,
	   CASE WHEN isfinite(a.at) AND abs(s.s) < 1e15 THEN
			CASE WHEN round(s.s * 1e6::float8) >= '-9223372036854775808'::float8
					  AND round(s.s * 1e6::float8) < '9223372036854775808'::float8
				 THEN extract(epoch FROM a.at - '2000-01-01 00:00:00+00') * 1000000
					  + round(s.s * 1e6::float8)::int8
					  BETWEEN -211813488000000000 AND 9223371331199999999
				 ELSE false END
			ELSE false END AS fits
FROM ats a, (SELECT DISTINCT s FROM secs) s;
SELECT count(*) AS pairs,
	   count(*) FILTER (WHERE fits) AS fit,
	   count(*) FILTER (WHERE fits AND analytics.completion_at(at, s) IS DISTINCT FROM at + s * interval '1 second')
		   AS wrong_sums,
	   count(*) FILTER (WHERE NOT fits AND analytics.completion_at(at, s) IS NOT NULL) AS not_null
FROM oracle;
-- the edges themselves
SELECT at, s, analytics.completion_at(at, s)
FROM (VALUES ('294276-12-31 23:59:59+00'::timestamptz, 0.999999::float8), ('294276-12-31 23:59:59+00', 1),
			 ('4714-11-24 00:00:00+00 BC', -1e-6), ('4714-11-24 00:00:00+00 BC', 0),
			 ('4714-11-24 00:00:00+00 BC', 9223372036854.774), ('4714-11-24 00:00:00+00 BC', 9223372036854.775),
			 ('2000-01-01', 9223372036854.774), ('294276-12-31 23:59:59.999999+00', -9223372036854.774),
			 ('2025-06-01', 1e300), ('2025-06-01', 'Infinity'), ('2025-06-01', 'NaN'), ('2025-06-01', NULL),
			 ('infinity', 1), ('-infinity', 1), (NULL, 1)) v(at, s);

RESET TimeZone;
DROP SCHEMA analytics CASCADE;
DROP SCHEMA app CASCADE;
DROP EXTENSION durpred;
