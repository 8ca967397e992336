-- test/sql/lifecycle.sql: the model's life after training (issue 18):
-- training runs, the promotion gate's activation, shadow models, health
CREATE EXTENSION durpred;
\i test/fixtures/tiny_model.sql

--
-- Training runs: durpred-train records each run through these functions
--

SELECT durpred.training_run_start('run-a', 'analytics.run_features',
								  '{"eta": 0.1}', '0.1.0') IS NOT NULL AS started;
-- a run that has not finished has neither an end nor an outcome
SELECT run_id, finished_at IS NULL AS running, outcome, model_id, source, params,
	   trainer_version, run_by = session_user AS run_by_me
FROM durpred.training_runs;
SELECT durpred.install_model('tiny', convert_to(j::text, 'UTF8')) AS tiny_id FROM tiny \gset
SELECT durpred.training_run_finish('run-a', 'installed', :tiny_id, '2026-01-01 00:00+00',
								   '2026-01-31 00:00+00', '{"train": 6, "val": 2, "test": 2}',
								   '{"model": {"test_mae": 1.5}}', NULL) IS NOT NULL AS finished;
SELECT run_id, outcome, model_id = :tiny_id AS its_model, data_first, data_last, rows,
	   metrics, reason, finished_at >= started_at AS ordered, duration >= '0'::interval AS has_duration
FROM durpred.training_runs;
-- durpred.models names the run that made each model
SELECT name, version, training_run FROM durpred.models;
-- a run finishes once
SELECT durpred.training_run_finish('run-a', 'failed', NULL, NULL, NULL, NULL, NULL, 'again');
SELECT durpred.training_run_finish('no-such-run', 'failed', NULL, NULL, NULL, NULL, NULL, 'x');
-- the outcome is one of five, and required
SELECT durpred.training_run_start('run-b', 'x', '{}', '0.1.0') IS NOT NULL AS started;
SELECT durpred.training_run_finish('run-b', 'maybe', NULL, NULL, NULL, NULL, NULL, NULL);
SELECT durpred.training_run_finish('run-b', NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SELECT durpred.training_run_finish('run-b', 'failed', NULL, NULL, NULL, NULL, NULL,
								   'could not read source x') IS NOT NULL AS finished;
-- a run id is recorded once
SELECT durpred.training_run_start('run-b', 'x', '{}', '0.1.0');
SELECT run_id, outcome, model_id, reason FROM durpred.training_runs ORDER BY run_id;

--
-- promote_model: activates only while the active model is the one the
-- decision was made against
--

SELECT durpred.install_model('tiny', convert_to(j::text, 'UTF8')) AS second_id FROM tiny \gset
-- none active: promoted against "none"
SELECT durpred.promote_model(:tiny_id, NULL) AS promoted;
SELECT version, active FROM durpred.models ORDER BY version;
-- decided against "none", but the first is active now: nothing changes
SELECT durpred.promote_model(:second_id, NULL) AS promoted;
-- decided against another model: nothing changes
SELECT durpred.promote_model(:second_id, :second_id) AS promoted;
SELECT version, active FROM durpred.models ORDER BY version;
-- decided against the active one: promoted
SELECT durpred.promote_model(:second_id, :tiny_id) AS promoted;
SELECT version, active FROM durpred.models ORDER BY version;
SELECT durpred.promote_model(NULL, NULL);
SELECT durpred.promote_model(12345, :second_id);

-- the record of a run outlives its model
DELETE FROM durpred.model WHERE id = :tiny_id;
SELECT run_id, model_id = :tiny_id AS its_model FROM durpred.training_runs WHERE run_id = 'run-a';

--
-- Shadow models
--
\set ECHO none
\i extract/schema.sql
\i extract/features.sql
\i extract/serving.sql
\set ECHO all
-- the scripts stop on an error; the errors below are expected
\set ON_ERROR_STOP 0
SET TimeZone = 'UTC';
\set VERBOSITY default
-- page 20 has one sql block: tiny predicts 10.5 s, its variant 12.5 s
INSERT INTO app.workspace VALUES (1, 'w');
INSERT INTO app.notebook_page VALUES (20, 1, 'daily');
INSERT INTO app.block VALUES (1, 20, 'sql', 1);
SELECT durpred.install_model('shadowy', pg_temp.tiny_text_replace('10.0, 20.0]', '12.0, 20.0]'))
	AS shadow_id \gset
SELECT durpred.set_shadow_model(12345);
SELECT durpred.set_shadow_model('no such model');
SELECT durpred.set_shadow_model(NULL::bigint);
SELECT durpred.clear_shadow_model() AS was_shadow;

-- no shadow model: the trigger logs no shadow estimate
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at)
VALUES (1, 20, 1, 'pending', '2026-03-02 09:00');
SELECT count(*) AS shadow_rows FROM analytics.shadow_estimate;

-- a shadow model: both estimates are logged, the row gets the active one's
SELECT durpred.set_shadow_model('shadowy') = :shadow_id AS set_by_name;
SELECT name, version, active, shadow FROM durpred.models ORDER BY id;
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at)
VALUES (2, 20, 1, 'pending', '2026-03-02 09:00'), (3, 20, 1, 'pending', '2026-03-02 09:01');
SELECT id, estimated_duration FROM app.noteflow_run ORDER BY id;
UPDATE app.noteflow_run SET status = 'running', started_at = '2026-03-02 09:05' WHERE id IN (2, 3);
SELECT run_id, active_model_id = :second_id AS by_active, active_estimate,
	   shadow_model_id = :shadow_id AS by_shadow, shadow_estimate
FROM analytics.shadow_estimate ORDER BY run_id, estimated_at;
-- the comparison: run 2 took 11 s, run 3 14 s
UPDATE app.noteflow_run SET status = 'success', finished_at = started_at + interval '11 s' WHERE id = 2;
UPDATE app.noteflow_run SET status = 'success', finished_at = started_at + interval '14 s' WHERE id = 3;
SELECT week, active_model_id = :second_id AS active_ok, shadow_model_id = :shadow_id AS shadow_ok,
	   runs, active_mae, shadow_mae, round(active_rmse::numeric, 4) AS active_rmse,
	   round(shadow_rmse::numeric, 4) AS shadow_rmse, active_bias, shadow_bias, shadow_closer
FROM analytics.shadow_comparison;

-- set by id, and cleared
SELECT durpred.set_shadow_model(:shadow_id) = :shadow_id AS set_by_id;
SELECT durpred.clear_shadow_model() = :shadow_id AS cleared;
SELECT durpred.clear_shadow_model() IS NULL AS none_left;
SELECT count(*) AS shadows FROM durpred.models WHERE shadow;

-- the active model as its own shadow: nothing to compare, nothing logged
SELECT durpred.set_shadow_model(:second_id) = :second_id AS set;
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at)
VALUES (4, 20, 1, 'pending', '2026-03-02 09:00');
SELECT count(*) AS rows_for_run_4 FROM analytics.shadow_estimate WHERE run_id = 4;

-- Nothing about the shadow model fails a write.  A shadow model that does
-- not load: a WARNING, the row written with the active model's estimate
SELECT durpred.set_shadow_model(:shadow_id) = :shadow_id AS set;
UPDATE durpred.model SET model = convert_to('{"learner": 1}', 'UTF8') WHERE id = :shadow_id;
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at)
VALUES (5, 20, 1, 'pending', '2026-03-02 09:00');
SELECT id, estimated_duration FROM app.noteflow_run WHERE id = 5;
-- its log missing: a WARNING, the row written
UPDATE durpred.model SET model = pg_temp.tiny_text_replace('10.0, 20.0]', '12.0, 20.0]') WHERE id = :shadow_id;
ALTER TABLE analytics.shadow_estimate RENAME TO shadow_estimate_away;
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at)
VALUES (6, 20, 1, 'pending', '2026-03-02 09:00');
SELECT id, estimated_duration FROM app.noteflow_run WHERE id = 6;
ALTER TABLE analytics.shadow_estimate_away RENAME TO shadow_estimate;
-- the log: its rows without the executor where it is a plain table, with
-- an index too (amcheck finds every row in it); through an INSERT where it
-- has a trigger, which fires
CREATE EXTENSION amcheck;
CREATE INDEX shadow_estimate_run ON analytics.shadow_estimate (run_id);
ALTER TABLE analytics.shadow_estimate ADD COLUMN note text DEFAULT 'default';
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at)
VALUES (9, 20, 1, 'pending', '2026-03-02 09:00');
CREATE FUNCTION public.note_shadow() RETURNS trigger LANGUAGE plpgsql
AS $$BEGIN NEW.note := 'by trigger'; RETURN NEW; END$$;
CREATE TRIGGER note BEFORE INSERT ON analytics.shadow_estimate
	FOR EACH ROW EXECUTE FUNCTION public.note_shadow();
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at)
VALUES (10, 20, 1, 'pending', '2026-03-02 09:00');
SELECT run_id, note, shadow_model_id = :shadow_id AS by_shadow
FROM analytics.shadow_estimate WHERE run_id IN (9, 10) ORDER BY run_id;
SELECT bt_index_check('analytics.shadow_estimate_run', true);
DROP TRIGGER note ON analytics.shadow_estimate;
DROP FUNCTION public.note_shadow();
ALTER TABLE analytics.shadow_estimate DROP COLUMN note;
DROP INDEX analytics.shadow_estimate_run;
DROP EXTENSION amcheck;
-- the shadow model dropped: nothing to score, nothing logged, no warning
DELETE FROM durpred.model WHERE id = :shadow_id;
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at)
VALUES (8, 20, 1, 'pending', '2026-03-02 09:00');
SELECT id, estimated_duration FROM app.noteflow_run WHERE id = 8;
SELECT run_id, count(*) FROM analytics.shadow_estimate GROUP BY run_id ORDER BY run_id;

--
-- Health: no active model is an alert; check_health warns and returns the
-- row (the notification and drift: test/t/131_drift.pl, 132_pg_cron.pl)
--
SELECT durpred.deactivate_model() IS NOT NULL AS deactivated;
SELECT model_id, status, reasons FROM analytics.model_health;
SELECT count(*) AS drift_rows FROM analytics.feature_drift();
SELECT durpred.check_health() ->> 'status' AS status;
-- the tiny model has no training distribution, nor info
SELECT durpred.activate_model(:second_id) = :second_id AS activated;
SELECT model_id = :second_id AS active, data_window_end, test_mae, max_psi, status, reasons
FROM analytics.model_health;
-- analytics.psi: identical distributions give 0; a moved one more
SELECT round(analytics.psi('{"edges": [1, 2], "shares": [0.5, 0.25, 0.25], "missing": 0}',
						   '{0, 0, 1, 2}')::numeric, 9) AS same,
	   round(analytics.psi('{"edges": [1, 2], "shares": [0.5, 0.25, 0.25], "missing": 0}',
						   '{2, 2, 2, NULL}')::numeric, 6) AS moved,
	   analytics.psi('{"edges": [1, 2], "shares": [0.5, 0.25, 0.25], "missing": 0}', '{}') AS no_values;
-- without the view, check_health says what to run
ALTER VIEW analytics.model_health RENAME TO model_health_away;
SELECT durpred.check_health();
ALTER VIEW analytics.model_health_away RENAME TO model_health;

RESET TimeZone;
DROP SCHEMA analytics CASCADE;
DROP SCHEMA app CASCADE;
DROP EXTENSION durpred;
