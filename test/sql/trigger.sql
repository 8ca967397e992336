-- test/sql/trigger.sql: durpred.estimate_completion(), the serving trigger
-- function: how it may be attached, its arguments, whose rights it uses,
-- which errors become warnings and which stop the statement
\set ECHO none
\i test/fixtures/tiny_model.sql
\i extract/schema.sql
\i extract/features.sql
\i extract/serving.sql
\set ECHO all
-- the scripts stop on an error; the errors below are expected
\set ON_ERROR_STOP 0
\set VERBOSITY default
SET TimeZone = 'UTC';

-- page 20 has one sql block: the tiny model predicts 10.5 s
INSERT INTO app.workspace VALUES (1, 'w');
INSERT INTO app.notebook_page VALUES (20, 1, 'daily');
INSERT INTO app.block VALUES (1, 20, 'sql', 1);
SELECT durpred.install_model('tiny', pg_temp.tiny_bytes(), NULL, true) AS tiny_id;

-- a table of runs of its own, to attach the function in other ways
CREATE TABLE public.runs (LIKE app.noteflow_run);

-- only the trigger manager may call it, and only BEFORE INSERT OR UPDATE
-- FOR EACH ROW: 39P01 otherwise
SELECT durpred.estimate_completion();
CREATE TRIGGER t AFTER INSERT ON runs FOR EACH ROW EXECUTE FUNCTION durpred.estimate_completion();
INSERT INTO runs (id, notebook_page_id, workspace_id, status, created_at)
VALUES (1, 20, 1, 'pending', '2025-06-02 09:00+00');
\echo :SQLSTATE
DROP TRIGGER t ON runs;
CREATE TRIGGER t BEFORE INSERT ON runs FOR EACH STATEMENT EXECUTE FUNCTION durpred.estimate_completion();
INSERT INTO runs (id, notebook_page_id, workspace_id, status, created_at)
VALUES (1, 20, 1, 'pending', '2025-06-02 09:00+00');
\echo :SQLSTATE
DROP TRIGGER t ON runs;
CREATE TRIGGER t BEFORE DELETE ON runs FOR EACH ROW EXECUTE FUNCTION durpred.estimate_completion();
INSERT INTO runs (id, notebook_page_id, workspace_id, status, created_at)
VALUES (1, 20, 1, 'pending', '2025-06-02 09:00+00');
DELETE FROM runs;
\echo :SQLSTATE
DROP TRIGGER t ON runs;
TRUNCATE runs;

-- at most three arguments (39P01), each a schema-qualified name (22023)
CREATE TRIGGER t BEFORE INSERT ON runs FOR EACH ROW
	EXECUTE FUNCTION durpred.estimate_completion('analytics.run_estimate', 'analytics.page_features',
												 'analytics.shadow_estimate', 'x.y');
INSERT INTO runs (id, notebook_page_id, workspace_id, status, created_at)
VALUES (1, 20, 1, 'pending', '2025-06-02 09:00+00');
\echo :SQLSTATE
DROP TRIGGER t ON runs;
CREATE TRIGGER t BEFORE INSERT ON runs FOR EACH ROW
	EXECUTE FUNCTION durpred.estimate_completion('run_estimate');
INSERT INTO runs (id, notebook_page_id, workspace_id, status, created_at)
VALUES (1, 20, 1, 'pending', '2025-06-02 09:00+00');
\echo :SQLSTATE
DROP TRIGGER t ON runs;

-- without arguments: no log, no fallback.  Without a WHEN clause it fires
-- for every row, and returns one that is not pending or running as it is
CREATE TRIGGER t BEFORE INSERT OR UPDATE ON runs FOR EACH ROW
	EXECUTE FUNCTION durpred.estimate_completion();
INSERT INTO runs (id, notebook_page_id, workspace_id, status, created_at)
VALUES (1, 20, 1, 'pending', '2025-06-02 09:00+00'),
	   (2, 20, 1, 'success', '2025-06-02 09:00+00');
UPDATE runs SET estimated_duration = 99 WHERE id = 2;
UPDATE runs SET status = 'running', started_at = '2025-06-02 10:00+00' WHERE id = 1;
SELECT id, status, estimated_duration, estimated_completion_at FROM runs ORDER BY id;
-- a page that does not exist: no features, no estimate, no warning
INSERT INTO runs (id, notebook_page_id, workspace_id, status, created_at)
VALUES (3, 99, 1, 'pending', '2025-06-02 09:00+00');
SELECT id, estimated_duration, estimated_completion_at FROM runs WHERE id = 3;
-- an estimated completion beyond the last timestamp: a WARNING, both NULL
INSERT INTO runs (id, notebook_page_id, workspace_id, status, created_at)
VALUES (4, 20, 1, 'pending', '294276-12-31 23:59:59+00');
SELECT id, estimated_duration, estimated_completion_at FROM runs WHERE id = 4;
-- tables it cannot read directly, and no fallback: a WARNING, both NULL
ALTER TABLE app.block ENABLE ROW LEVEL SECURITY;
INSERT INTO runs (id, notebook_page_id, workspace_id, status, created_at)
VALUES (5, 20, 1, 'pending', '2025-06-02 09:00+00');
SELECT id, estimated_duration FROM runs WHERE id = 5;
DROP TRIGGER t ON runs;

-- a fallback that does not give durpred.features rows: a WARNING, both NULL
CREATE FUNCTION public.wrong_features(page_id bigint, as_of timestamptz)
RETURNS TABLE (start_hour int) LANGUAGE sql AS 'SELECT 1';
CREATE TRIGGER t BEFORE INSERT ON runs FOR EACH ROW
	EXECUTE FUNCTION durpred.estimate_completion('', 'public.wrong_features');
INSERT INTO runs (id, notebook_page_id, workspace_id, status, created_at)
VALUES (6, 20, 1, 'pending', '2025-06-02 09:00+00');
SELECT id, estimated_duration FROM runs WHERE id = 6;
DROP TRIGGER t ON runs;

-- a cancel is not a scoring error: a statement timeout in the fallback
-- stops the statement (57014), and no row is written
CREATE FUNCTION public.slow_features(page_id bigint, as_of timestamptz)
RETURNS SETOF durpred.features LANGUAGE sql
AS 'SELECT f.* FROM analytics.page_features(page_id, as_of) f, pg_catalog.pg_sleep(60) s';
CREATE TRIGGER t BEFORE INSERT ON runs FOR EACH ROW
	EXECUTE FUNCTION durpred.estimate_completion('', 'public.slow_features');
SET statement_timeout = '200ms';
INSERT INTO runs (id, notebook_page_id, workspace_id, status, created_at)
VALUES (7, 20, 1, 'pending', '2025-06-02 09:00+00');
\echo :SQLSTATE
RESET statement_timeout;
SELECT count(*) AS written FROM runs WHERE id = 7;
DROP TRIGGER t ON runs;
ALTER TABLE app.block DISABLE ROW LEVEL SECURITY;

-- the columns it reads and sets: 42703 when one is missing, 42804 when it
-- has another type
CREATE TRIGGER t BEFORE INSERT ON runs FOR EACH ROW EXECUTE FUNCTION durpred.estimate_completion();
ALTER TABLE runs RENAME COLUMN estimated_completion_at TO eta;
INSERT INTO runs (id, notebook_page_id, workspace_id, status, created_at)
VALUES (8, 20, 1, 'pending', '2025-06-02 09:00+00');
\echo :SQLSTATE
ALTER TABLE runs RENAME COLUMN eta TO estimated_completion_at;
ALTER TABLE runs ALTER COLUMN estimated_duration TYPE numeric;
INSERT INTO runs (id, notebook_page_id, workspace_id, status, created_at)
VALUES (8, 20, 1, 'pending', '2025-06-02 09:00+00');
\echo :SQLSTATE
DROP TABLE runs;

-- the log, in one session: a plain table gets its rows without the
-- executor, the columns not given their defaults; a table that needs more
-- gets them from an INSERT; DDL on the log is seen at the next row
CREATE TABLE public.runs (LIKE app.noteflow_run);
CREATE TABLE public.est_log (note text DEFAULT 'default', run_id bigint NOT NULL,
	model_id bigint NOT NULL, estimated_duration float8 NOT NULL,
	seq bigint GENERATED ALWAYS AS IDENTITY, interval_low float8, interval_high float8);
CREATE TRIGGER t BEFORE INSERT OR UPDATE ON runs FOR EACH ROW
	EXECUTE FUNCTION durpred.estimate_completion('public.est_log');
INSERT INTO runs (id, notebook_page_id, workspace_id, status, created_at)
VALUES (301, 20, 1, 'pending', '2025-06-02 09:00+00');
-- a unique index made now takes the next rows: a second estimate of run
-- 301 is refused (23505), and the run's update with it
CREATE UNIQUE INDEX est_log_run ON public.est_log (run_id);
UPDATE runs SET started_at = '2025-06-02 09:10+00' WHERE id = 301;
\echo :SQLSTATE
-- a check constraint (for the rows to come): the INSERT checks it (23514)
ALTER TABLE public.est_log ADD CONSTRAINT short CHECK (estimated_duration < 10) NOT VALID;
INSERT INTO runs (id, notebook_page_id, workspace_id, status, created_at)
VALUES (302, 20, 1, 'pending', '2025-06-02 09:00+00');
\echo :SQLSTATE
ALTER TABLE public.est_log DROP CONSTRAINT short;
-- a trigger on the log: the INSERT fires it
CREATE FUNCTION public.note_log() RETURNS trigger LANGUAGE plpgsql
AS $$BEGIN NEW.note := 'by trigger'; RETURN NEW; END$$;
CREATE TRIGGER note BEFORE INSERT ON public.est_log FOR EACH ROW EXECUTE FUNCTION public.note_log();
INSERT INTO runs (id, notebook_page_id, workspace_id, status, created_at)
VALUES (303, 20, 1, 'pending', '2025-06-02 09:00+00');
DROP TRIGGER note ON public.est_log;
-- a NOT NULL column without a default: the INSERT refuses the row (23502)
ALTER TABLE public.est_log ADD COLUMN who text NOT NULL DEFAULT 'someone';
ALTER TABLE public.est_log ALTER COLUMN who DROP DEFAULT;
INSERT INTO runs (id, notebook_page_id, workspace_id, status, created_at)
VALUES (304, 20, 1, 'pending', '2025-06-02 09:00+00');
\echo :SQLSTATE
ALTER TABLE public.est_log DROP COLUMN who;
INSERT INTO runs (id, notebook_page_id, workspace_id, status, created_at)
VALUES (305, 20, 1, 'pending', '2025-06-02 09:00+00');
SELECT seq, note, run_id, model_id = (SELECT id FROM durpred.models WHERE active) AS by_active, estimated_duration, interval_low, interval_high
FROM public.est_log ORDER BY seq;
-- every row is in the index (amcheck)
CREATE EXTENSION amcheck;
SELECT bt_index_check('public.est_log_run', true);
DROP EXTENSION amcheck;
SELECT id, estimated_duration FROM runs ORDER BY id;
-- dropped and made again, without the interval's columns: the rows go to
-- the new table
DROP TABLE public.est_log;
CREATE TABLE public.est_log (run_id bigint, model_id bigint, estimated_duration float8);
INSERT INTO runs (id, notebook_page_id, workspace_id, status, created_at)
VALUES (306, 20, 1, 'pending', '2025-06-02 09:00+00');
SELECT run_id, estimated_duration FROM public.est_log;
DROP TABLE runs, public.est_log;
DROP FUNCTION public.note_log();

-- rights: it reads and writes as the owner of the table it fires on.  The
-- application's role needs only its rights on app.noteflow_run; the
-- owner's are granted by extract/serving.sql (the log) or by hand (the
-- app tables it reads)
CREATE ROLE regress_durpred_owner;
CREATE ROLE regress_durpred_writer;
ALTER TABLE app.noteflow_run OWNER TO regress_durpred_owner;
GRANT USAGE ON SCHEMA app TO regress_durpred_owner, regress_durpred_writer;
GRANT SELECT ON app.notebook_page, app.block TO regress_durpred_owner;
GRANT SELECT, INSERT, UPDATE ON app.noteflow_run TO regress_durpred_writer;
\set ECHO none
\i extract/serving.sql
\set ON_ERROR_STOP 0
\set ECHO all
SELECT has_table_privilege('regress_durpred_owner', 'analytics.run_estimate', 'INSERT') AS owner_may_log,
	   has_table_privilege('regress_durpred_writer', 'analytics.run_estimate', 'INSERT') AS writer_may_log,
	   has_table_privilege('regress_durpred_writer', 'app.block', 'SELECT') AS writer_reads_blocks;
SET ROLE regress_durpred_writer;
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at)
VALUES (201, 20, 1, 'pending', '2025-06-02 09:00+00')
RETURNING id, estimated_duration, estimated_completion_at;
RESET ROLE;
SELECT run_id, model_id, estimated_duration FROM analytics.run_estimate WHERE run_id = 201;
-- the stored estimate is the active model's, whatever the writer's
-- durpred.model says: a writer may score with another model in its own
-- queries, but not choose the one behind the estimates of its rows
SELECT durpred.install_model('other', pg_temp.tiny_bytes(jsonb_set((SELECT j FROM tiny),
		'{learner,gradient_booster,model,trees,0,split_conditions}', '[2.5, 30.0, 100.0, 70.0, 80.0]'))) AS other_id \gset
SET ROLE regress_durpred_writer;
SET durpred.model = 'other';
SELECT durpred.predict_duration(sql_blocks => 1) AS writers_own_query;
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at)
VALUES (203, 20, 1, 'pending', '2025-06-02 09:00+00')
RETURNING id, estimated_duration, estimated_completion_at;
-- a name that no model has changes nothing either
SET durpred.model = 'no such model';
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at)
VALUES (204, 20, 1, 'pending', '2025-06-02 09:00+00')
RETURNING id, estimated_duration, estimated_completion_at;
RESET durpred.model;
RESET ROLE;
SELECT l.run_id, l.model_id = (SELECT id FROM durpred.models WHERE active) AS by_active_model,
	   l.model_id = :other_id AS by_other,
	   l.estimated_duration = durpred.predict_duration(sql_blocks => 1) AS equals_active_prediction
FROM analytics.run_estimate l WHERE l.run_id IN (203, 204) ORDER BY l.run_id;
-- an owner that may not read the blocks: a WARNING, both NULL, the row written
REVOKE SELECT ON app.block FROM regress_durpred_owner;
SET ROLE regress_durpred_writer;
INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at)
VALUES (202, 20, 1, 'pending', '2025-06-02 09:00+00')
RETURNING id, estimated_duration, estimated_completion_at;
RESET ROLE;
-- attaching it lends the owner's rights to every writer: not granted to
-- PUBLIC, so even the table's owner may not attach it (42501)
SET ROLE regress_durpred_owner;
CREATE TRIGGER t BEFORE INSERT ON app.noteflow_run FOR EACH ROW
	EXECUTE FUNCTION durpred.estimate_completion();
\echo :SQLSTATE
RESET ROLE;
SELECT has_function_privilege('public', 'durpred.estimate_completion()', 'EXECUTE') AS public_may_attach;

RESET TimeZone;
DROP FUNCTION public.wrong_features(bigint, timestamptz), public.slow_features(bigint, timestamptz);
DROP SCHEMA analytics CASCADE;
DROP SCHEMA app CASCADE;
DROP OWNED BY regress_durpred_owner, regress_durpred_writer;
DROP ROLE regress_durpred_owner, regress_durpred_writer;
DROP EXTENSION durpred;
