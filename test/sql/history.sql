-- test/sql/history.sql: durpred.run_history, the historical features aggregate
CREATE EXTENSION durpred;

-- no runs: a count of 0 and NULLs; one run: no standard deviation
SELECT (durpred.run_history(d, f)).* FROM (VALUES (NULL::float8, NULL::bool)) v(d, f) WHERE false;
SELECT (durpred.run_history(d, f)).* FROM (VALUES (4.0::float8, true)) v(d, f);
SELECT (durpred.run_history(d, f)).* FROM (VALUES (4.0::float8, true), (8.0, false)) v(d, f);
-- the median interpolates between the middle values, as percentile_cont
SELECT (durpred.run_history(d, false)).historical_median_duration AS median,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY d) AS percentile_cont
FROM unnest(ARRAY[1, 100, 3, 7]::float8[]) d;
-- rows with a NULL duration are skipped (the run being scored, in a window)
SELECT (durpred.run_history(d, f)).* FROM (VALUES (2.0::float8, false), (NULL, true), (6.0, true)) v(d, f);

-- for many groups of random sizes, ties included: the count, the median and
-- the failure rate equal PostgreSQL's own aggregates over the same values;
-- the mean and the sample standard deviation come from the exact totals of
-- the durations in microseconds, each rounded once to float8, and equal the
-- same arithmetic done in numeric; none depends on the order of the rows
CREATE TEMP TABLE runs AS
SELECT g AS page, i AS seq,
	   CASE WHEN random() < 0.1 THEN 5.0 ELSE round((random() ^ 3 * 500)::numeric, 3)::float8 END AS d,
	   random() < 0.12 AS failed
FROM generate_series(1, 200) g, generate_series(1, (g * 7) % 53 + 1) i;
SELECT count(*) AS groups,
	   count(*) FILTER (WHERE (h).historical_run_count = n) AS count_equal,
	   count(*) FILTER (WHERE (h).historical_avg_duration = a) AS avg_equal,
	   count(*) FILTER (WHERE (h).historical_median_duration = m) AS median_equal,
	   count(*) FILTER (WHERE (h).historical_stddev_duration IS NOT DISTINCT FROM s) AS stddev_equal,
	   count(*) FILTER (WHERE (h).historical_failure_rate = fr) AS failure_rate_equal,
	   count(*) FILTER (WHERE h = h_reversed AND h = h_shuffled) AS order_free
FROM (SELECT page,
			 durpred.run_history(d, failed ORDER BY seq) AS h,
			 durpred.run_history(d, failed ORDER BY seq DESC) AS h_reversed,
			 durpred.run_history(d, failed ORDER BY md5(seq::text)) AS h_shuffled,
			 count(*)::int AS n,
			 sum(us)::float8 / (count(*)::float8 * 1000000) AS a,
			 percentile_cont(0.5) WITHIN GROUP (ORDER BY d) AS m,
			 CASE WHEN count(*) > 1 THEN
				 sqrt((count(*) * sum(us * us) - sum(us) ^ 2)::float8
					  / (count(*)::float8 * (count(*) - 1)::float8)) / 1000000 END AS s,
			 count(*) FILTER (WHERE failed)::float8 / count(*) AS fr
	  FROM (SELECT *, round(d::numeric * 1000000) AS us FROM runs) r GROUP BY page) x;

-- as a window aggregate, each row's value equals the plain aggregate over
-- the rows up to it
SELECT count(*) AS rows,
	   count(*) FILTER (WHERE w.h = (SELECT durpred.run_history(r.d, r.failed ORDER BY r.seq)
									FROM runs r WHERE r.page = w.page AND r.seq <= w.seq)) AS equal
FROM (SELECT page, seq, durpred.run_history(d, failed)
		  OVER (PARTITION BY page ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS h
	  FROM runs) w;

-- bad durations
SELECT durpred.run_history(d, false) FROM (VALUES ('NaN'::float8)) v(d);
SELECT durpred.run_history(d, false) FROM (VALUES (-1::float8)) v(d);
SELECT durpred.run_history(d, false) FROM (VALUES ('Infinity'::float8)) v(d);

DROP EXTENSION durpred;
