-- test/sql/categories.sql: duration categories and describe_duration
CREATE EXTENSION durpred;

-- every boundary: inclusive at the top
SELECT s AS seconds, durpred.duration_category(s)
FROM unnest(ARRAY[0, 4.999, 5, 5.0001, 30, 30.0001, 120, 120.0001, 300,
                  300.0001, 1e9, 'Infinity']::float8[]) AS s;

-- NULL gives NULL, -0.0 is quick
SELECT durpred.duration_category(NULL) IS NULL AS null_is_null;
SELECT durpred.duration_category('-0.0'::float8);

-- NaN and negative values are errors with SQLSTATE 22023
\set VERBOSITY sqlstate
SELECT durpred.duration_category('NaN'::float8);
SELECT durpred.duration_category(-1);
SELECT durpred.duration_category(-1e-300);
SELECT durpred.duration_category('-Infinity'::float8);
\set VERBOSITY default
SELECT durpred.duration_category('NaN'::float8);
SELECT durpred.duration_category(-1);

-- the enum sorts quick < normal < moderate < long < very_long
SELECT array_agg(c ORDER BY c) FROM unnest(enum_range(NULL::durpred.duration_category)) AS c;
SELECT 'quick'::durpred.duration_category < 'normal'
   AND 'normal'::durpred.duration_category < 'moderate'
   AND 'moderate'::durpred.duration_category < 'long'
   AND 'long'::durpred.duration_category < 'very_long' AS ordered;
SELECT durpred.duration_category(1) < durpred.duration_category(400) AS ordered_results;

-- describe_duration: the reference service's texts
SELECT * FROM durpred.describe_duration(22.804274);
SELECT d.*
FROM unnest(ARRAY[0, 5, 5.004, 30, 119.999, 120, 299.5, 300, 300.001, 3366.36]::float8[]) AS s,
     durpred.describe_duration(s) AS d;
-- a raw prediction below zero is clamped at 0, as the reference service does
SELECT * FROM durpred.describe_duration(-2.5);
-- and so is -0: it shows as 0, not -0
SELECT * FROM durpred.describe_duration('-0');
SELECT (durpred.describe_duration(s)).predicted_duration::text AS shown
FROM unnest(ARRAY['-0', '-0.001', '-1e-300']::float8[]) AS s;
-- Python's round(x, 2): the exact binary value, ties to even
SELECT (durpred.describe_duration(s)).predicted_duration
FROM unnest(ARRAY[0.125, 0.375, 2.675, 1.005, 1e15 + 0.3, 'Infinity']::float8[]) AS s;
SELECT durpred.describe_duration(NULL) IS NULL AS null_is_null;
SELECT * FROM durpred.describe_duration('NaN');

-- the function shares its name with the enum type, so a quoted literal is
-- read as a cast to the enum; a number (or an explicit float8) calls it
SELECT durpred.duration_category('long');
SELECT durpred.duration_category('45'::float8);

-- labels of the functions
SELECT p.proname, p.provolatile, p.proisstrict, p.proparallel
FROM pg_proc p
WHERE p.pronamespace = 'durpred'::regnamespace
  AND p.proname IN ('duration_category', 'describe_duration')
ORDER BY 1;

DROP EXTENSION durpred;
