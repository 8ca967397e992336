-- test/sql/serving.sql: the completion trigger, the scored queue and the
-- accuracy view, on a hand-written fixture with the tiny model
\set ECHO none
\i test/fixtures/tiny_model.sql
\i extract/schema.sql
\i extract/features.sql
\i extract/serving.sql
\set ECHO all
SET TimeZone = 'UTC';

-- page 20 has one sql block: the tiny model predicts 10.5 s without
-- history, 10.5 when the page's runs average under 30 s, 20.5 above
INSERT INTO app.workspace VALUES (1, 'w');
INSERT INTO app.notebook_page VALUES (20, 1, 'daily'), (21, 1, 'odd');
INSERT INTO app.block VALUES (1, 20, 'sql', 1), (2, 21, 'mystery', 1);
SELECT durpred.install_model('tiny', pg_temp.tiny_bytes(), NULL, true) AS tiny_id;

-- a pending run is estimated as of its creation
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at)
VALUES (101, 20, 1, 'pending', '2025-06-02 09:00:00+00');
SELECT id, status, estimated_duration, estimated_completion_at FROM app.noteflow_run WHERE id = 101;
-- equal to the prediction from analytics.run_features_for
SELECT estimated_duration = durpred.predict_duration(analytics.run_features_for(id)) AS same
FROM app.noteflow_run WHERE id = 101;

-- starting it recomputes both, as of its start
UPDATE app.noteflow_run SET status = 'running', started_at = '2025-06-02 09:00:02+00' WHERE id = 101;
SELECT id, status, estimated_duration, estimated_completion_at FROM app.noteflow_run WHERE id = 101;

-- finishing it does not fire the trigger: the estimate stays
UPDATE app.noteflow_run SET status = 'success', finished_at = '2025-06-02 09:00:42+00' WHERE id = 101;
SELECT id, status, estimated_duration, estimated_completion_at FROM app.noteflow_run WHERE id = 101;

-- the next run has a history of 40 s: 20.5
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at)
VALUES (102, 20, 1, 'pending', '2025-06-02 09:01:00+00');
UPDATE app.noteflow_run SET status = 'running', started_at = '2025-06-02 09:01:01+00' WHERE id = 102;
SELECT id, estimated_duration, estimated_completion_at FROM app.noteflow_run WHERE id = 102;
UPDATE app.noteflow_run SET status = 'success', finished_at = '2025-06-02 09:01:11+00' WHERE id = 102;

-- an update of other columns does not fire it either
UPDATE app.noteflow_run SET workspace_id = 1 WHERE id = 102;

-- a finished run inserted as such is left alone
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at, started_at, finished_at)
VALUES (103, 20, 1, 'success', '2025-06-02 10:00:00+00', '2025-06-02 10:00:00+00', '2025-06-02 10:00:05+00');
SELECT id, estimated_duration, estimated_completion_at FROM app.noteflow_run WHERE id = 103;

-- without an explicit id, and with the other columns as given
INSERT INTO app.noteflow_run (notebook_page_id, workspace_id, status, created_at, started_at)
VALUES (20, 1, 'running', '2025-06-03 08:00:00+00', '2025-06-03 08:00:01+00')
RETURNING notebook_page_id, workspace_id, status, created_at, started_at, finished_at,
		  estimated_duration, estimated_completion_at;

-- a page that cannot be scored: no estimate, no error
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at)
VALUES (110, 21, 1, 'pending', '2025-06-03 09:00:00+00');
SELECT id, estimated_duration FROM app.noteflow_run WHERE id = 110;

-- another model makes the next estimate, and is recorded with it
SELECT durpred.install_model('shifted',
	   pg_temp.tiny_bytes(jsonb_set((SELECT j FROM tiny), '{learner,learner_model_param,base_score}', '"1E2"')),
	   NULL, true) AS shifted_id;
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at, started_at)
VALUES (104, 20, 1, 'running', '2025-06-09 12:00:00+00', '2025-06-09 12:00:00+00');
UPDATE app.noteflow_run SET status = 'failed', finished_at = '2025-06-09 12:02:00+00' WHERE id = 104;
-- an insert that writes nothing is estimated (the trigger runs before the
-- conflict is known) but takes nothing from the run that is there
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at)
VALUES (101, 20, 1, 'pending', '2025-06-09 13:00:00+00')
ON CONFLICT (id) DO NOTHING;
SELECT id, status, estimated_duration FROM app.noteflow_run WHERE id = 101;
-- the log, append-only: 101 estimated at creation and at its start (the
-- same 10.5 twice), 102 likewise, then 101 for the insert that wrote
-- nothing
SELECT run_id, model_id, estimated_duration FROM analytics.run_estimate
ORDER BY run_id, estimated_at;

-- accuracy by week and model, against numbers computed by hand:
-- week of 2025-06-02, tiny: runs 101 (10.5 vs 40) and 102 (20.5 vs 10):
--   MAE 20, RMSE sqrt(490.25), bias -9.5, category agreement 0.5 (40 s is
--   moderate, 10.5 normal), late 0.5 (101 finished after 09:00:12.5)
-- week of 2025-06-09, shifted: run 104 (100 + 10 = 110 vs 120)
SELECT week, model_name, model_version, runs, mae, rmse, bias, category_agreement, late_share
FROM analytics.prediction_accuracy;
SELECT sqrt(490.25::float8) AS "sqrt(490.25)";

-- the queue: every pending or running run, scored, soonest first; the
-- run on a page that cannot be scored has no estimate and comes last
SELECT run_id, status, estimated_duration, duration_category, estimated_completion_at
FROM analytics.pending_run_estimates;

-- no active model: the insert succeeds, both NULL, no warning
SELECT durpred.deactivate_model() AS was_active;
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at)
VALUES (105, 20, 1, 'pending', '2025-06-10 09:00:00+00');
SELECT id, estimated_duration, estimated_completion_at FROM app.noteflow_run WHERE id = 105;

-- a model whose stored bytes were corrupted: a WARNING, both NULL
SELECT durpred.activate_model('tiny') AS tiny_active;
UPDATE durpred.model SET model = convert_to('{"learner": {}}', 'UTF8') WHERE name = 'tiny';
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at)
VALUES (106, 20, 1, 'pending', '2025-06-10 09:05:00+00');
SELECT id, estimated_duration, estimated_completion_at FROM app.noteflow_run WHERE id = 106;

-- where the tables can be read directly, the fallback is not called: its
-- absence changes nothing
SELECT durpred.activate_model('shifted') AS shifted_active;
ALTER FUNCTION analytics.page_features(bigint, timestamptz) RENAME TO page_features_gone;
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at)
VALUES (107, 20, 1, 'pending', '2025-06-10 09:10:00+00');
SELECT id, estimated_duration FROM app.noteflow_run WHERE id = 107;
ALTER FUNCTION analytics.page_features_gone(bigint, timestamptz) RENAME TO page_features;

-- tables that cannot be read directly (here row-level security on
-- app.block; views in place of the tables alike): the SQL definition gives
-- the same estimate, without a warning
ALTER TABLE app.block ENABLE ROW LEVEL SECURITY;
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at)
VALUES (109, 20, 1, 'pending', '2025-06-10 09:12:00+00');
SELECT id, estimated_duration,
	   estimated_duration = durpred.predict_duration(analytics.run_features_for(id)) AS same
FROM app.noteflow_run WHERE id = 109;
-- and with the SQL definition missing too: a WARNING, both NULL
ALTER FUNCTION analytics.page_features(bigint, timestamptz) RENAME TO page_features_gone;
UPDATE app.noteflow_run SET status = 'running', started_at = '2025-06-10 09:12:01+00' WHERE id = 109;
SELECT id, estimated_duration, estimated_completion_at FROM app.noteflow_run WHERE id = 109;
ALTER FUNCTION analytics.page_features_gone(bigint, timestamptz) RENAME TO page_features;
ALTER TABLE app.block DISABLE ROW LEVEL SECURITY;

-- any other error, also one of the same SQLSTATE class as having no model
-- (55): a WARNING, both NULL
BEGIN;
ALTER TABLE durpred.model RENAME COLUMN sha256 TO sha;
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at)
VALUES (108, 20, 1, 'pending', '2025-06-10 09:15:00+00');
SELECT id, estimated_duration FROM app.noteflow_run WHERE id = 108;
ROLLBACK;

-- re-running the script keeps everything and changes nothing
SELECT count(*) AS logged_before FROM analytics.run_estimate \gset
\set ECHO none
\i extract/serving.sql
\set ECHO all
SELECT count(*) AS runs, count(estimated_duration) AS estimated FROM app.noteflow_run;
SELECT count(*) = :logged_before AS log_kept FROM analytics.run_estimate;
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'app.noteflow_run'::regclass AND NOT tgisinternal;

RESET TimeZone;
DROP SCHEMA analytics CASCADE;
DROP SCHEMA app CASCADE;
DROP EXTENSION durpred;
