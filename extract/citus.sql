-- extract/citus.sql
--
-- Turns the production tables (schema "app", made by extract/schema.sql) of
-- a Citus coordinator into durpred's distributed layout, and keeps one model
-- registry for the whole cluster.  Run it on the coordinator, after
-- extract/schema.sql and before the other scripts, which then run there
-- unchanged; idempotent.
--
--   psql -v ON_ERROR_STOP=1 -f extract/citus.sql
--
-- The layout: everything a run's features read lives on the run's node.
--   app.workspace       reference table (a copy on every node)
--   app.notebook_page   distributed by id
--   app.block           distributed by notebook_page_id, co-located
--   app.noteflow_run    distributed by notebook_page_id, co-located
-- A distributed table's keys must hold its distribution column: the primary
-- keys of app.block and app.noteflow_run become (id, notebook_page_id), and
-- the foreign keys are made again once the tables are distributed.
-- extract/serving.sql co-locates its estimate log (analytics.run_estimate)
-- with the runs, and extract/features.sql knows the layout.
--
-- The registry: installing, activating, deactivating or dropping a model on
-- the coordinator copies the change to every node in the same distributed
-- transaction, so that ids, bytes and the active model are the same
-- everywhere, or the change fails.  The copy goes through the reference
-- table analytics.model_sync, whose trigger applies it on each worker.
-- analytics.cluster_models() reports each node's active model and sha256.
-- Install models on the coordinator only.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
		RAISE EXCEPTION 'extract/citus.sql needs the citus extension in this database'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'CREATE EXTENSION citus on every node, and add the workers (citus_add_node) first.';
	END IF;
	IF (SELECT groupid FROM pg_catalog.pg_dist_local_group) <> 0 THEN
		RAISE EXCEPTION 'extract/citus.sql runs on the coordinator, and this is a worker'
			USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	IF pg_catalog.to_regclass('app.noteflow_run') IS NULL THEN
		RAISE EXCEPTION 'the app tables are missing'
			USING ERRCODE = 'undefined_table', HINT = 'Run extract/schema.sql first.';
	END IF;
END
$$;

-- Created here, on the coordinator, Citus creates it on every node.
CREATE EXTENSION IF NOT EXISTS durpred;
CREATE SCHEMA IF NOT EXISTS analytics;

-- triggers on distributed and reference tables (the serving trigger, the
-- registry's copy) need this when they are created or dropped
SET citus.enable_unsafe_triggers = on;
-- Citus creates the shards in the same transaction
SET citus.multi_shard_modify_mode = sequential;

BEGIN;

-- The foreign keys between the app tables go while the tables are
-- distributed, and come back after (a local table may not reference a
-- distributed one, nor the other way round).
DO $$
DECLARE
	c record;
BEGIN
	FOR c IN
		SELECT con.conname, con.conrelid::regclass AS tab
		FROM pg_catalog.pg_constraint con
		WHERE con.contype = 'f'
		  AND con.conrelid IN ('app.notebook_page'::regclass, 'app.block'::regclass,
							   'app.noteflow_run'::regclass)
		  AND NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition p
						  WHERE p.logicalrelid = con.conrelid)
	LOOP
		EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT %I', c.tab, c.conname);
	END LOOP;

	-- keys that hold the distribution column
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = 'app.block'::regclass)
	   AND EXISTS (SELECT FROM pg_catalog.pg_constraint
				   WHERE conrelid = 'app.block'::regclass AND conname = 'block_pkey'
					 AND pg_catalog.array_length(conkey, 1) = 1) THEN
		ALTER TABLE app.block DROP CONSTRAINT block_pkey;
		ALTER TABLE app.block ADD CONSTRAINT block_pkey PRIMARY KEY (id, notebook_page_id);
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = 'app.noteflow_run'::regclass)
	   AND EXISTS (SELECT FROM pg_catalog.pg_constraint
				   WHERE conrelid = 'app.noteflow_run'::regclass AND conname = 'noteflow_run_pkey'
					 AND pg_catalog.array_length(conkey, 1) = 1) THEN
		ALTER TABLE app.noteflow_run DROP CONSTRAINT noteflow_run_pkey;
		ALTER TABLE app.noteflow_run ADD CONSTRAINT noteflow_run_pkey PRIMARY KEY (id, notebook_page_id);
	END IF;

	IF NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = 'app.workspace'::regclass) THEN
		PERFORM create_reference_table('app.workspace');
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = 'app.notebook_page'::regclass) THEN
		PERFORM create_distributed_table('app.notebook_page', 'id');
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = 'app.block'::regclass) THEN
		PERFORM create_distributed_table('app.block', 'notebook_page_id', colocate_with => 'app.notebook_page');
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = 'app.noteflow_run'::regclass) THEN
		PERFORM create_distributed_table('app.noteflow_run', 'notebook_page_id', colocate_with => 'app.notebook_page');
	END IF;

	-- the foreign keys of extract/schema.sql, between co-located tables or
	-- to the reference table
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_constraint
				   WHERE conrelid = 'app.notebook_page'::regclass AND conname = 'notebook_page_workspace_id_fkey') THEN
		ALTER TABLE app.notebook_page ADD CONSTRAINT notebook_page_workspace_id_fkey
			FOREIGN KEY (workspace_id) REFERENCES app.workspace;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_constraint
				   WHERE conrelid = 'app.block'::regclass AND conname = 'block_notebook_page_id_fkey') THEN
		ALTER TABLE app.block ADD CONSTRAINT block_notebook_page_id_fkey
			FOREIGN KEY (notebook_page_id) REFERENCES app.notebook_page;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_constraint
				   WHERE conrelid = 'app.noteflow_run'::regclass AND conname = 'noteflow_run_notebook_page_id_fkey') THEN
		ALTER TABLE app.noteflow_run ADD CONSTRAINT noteflow_run_notebook_page_id_fkey
			FOREIGN KEY (notebook_page_id) REFERENCES app.notebook_page;
	END IF;
END
$$;

COMMIT;

BEGIN;

-- The registry's changes on their way to the workers: a row per change of
-- durpred.model on the coordinator, written in the transaction that makes
-- it (Citus writes a reference table on every node, with two-phase
-- commit), applied on each worker by its trigger, and deleted again.
CREATE TABLE IF NOT EXISTS analytics.model_sync (
	seq bigserial PRIMARY KEY,
	op text NOT NULL CHECK (op IN ('upsert', 'delete', 'truncate')),
	model_id bigint,
	-- the row of durpred.model, without its bytes
	model_row jsonb,
	-- the bytes, when they are new to the workers
	model bytea
);

COMMENT ON TABLE analytics.model_sync IS
'changes of the coordinator''s durpred.model on their way to every node (a reference table; rows are deleted once applied)';

DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition
				   WHERE logicalrelid = 'analytics.model_sync'::regclass) THEN
		PERFORM create_reference_table('analytics.model_sync');
	END IF;
END
$$;

-- Applies a change to this node's durpred.model: on the workers, not on
-- the coordinator, where it was made.  The columns are read from the
-- catalog, so that a column added to durpred.model travels too.
CREATE OR REPLACE FUNCTION analytics.model_sync_apply()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cols text;
	sel text;
	upd text;
	n bigint;
BEGIN
	IF (SELECT groupid FROM pg_catalog.pg_dist_local_group) = 0 THEN
		RETURN NULL;
	END IF;
	IF NEW.op = 'delete' THEN
		DELETE FROM durpred.model m WHERE m.id = NEW.model_id;
	ELSIF NEW.op = 'truncate' THEN
		DELETE FROM durpred.model;
	ELSE
		SELECT string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum),
			   string_agg('r.' || pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum),
			   string_agg('excluded.' || pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum)
		INTO cols, sel, upd
		FROM pg_catalog.pg_attribute a
		WHERE a.attrelid = 'durpred.model'::regclass AND a.attnum > 0 AND NOT a.attisdropped
		  AND a.attgenerated = '' AND a.attname <> 'model';
		IF NEW.model IS NULL THEN
			EXECUTE pg_catalog.format(
				'UPDATE durpred.model m SET (%s) = (SELECT %s FROM pg_catalog.jsonb_populate_record(NULL::durpred.model, $1) r) WHERE m.id = $2',
				cols, sel)
			USING NEW.model_row, NEW.model_id;
			GET DIAGNOSTICS n = ROW_COUNT;
			IF n = 0 THEN
				RAISE EXCEPTION 'model % is not on this node', NEW.model_id
					USING ERRCODE = 'undefined_object',
						  HINT = 'Run extract/citus.sql again on the coordinator: it copies every model to every node.';
			END IF;
		ELSE
			EXECUTE pg_catalog.format(
				'INSERT INTO durpred.model (model, %s) SELECT $2, %s FROM pg_catalog.jsonb_populate_record(NULL::durpred.model, $1) r'
				' ON CONFLICT (id) DO UPDATE SET (model, %s) = ROW(excluded.model, %s)',
				cols, sel, cols, upd)
			USING NEW.model_row, NEW.model;
		END IF;
	END IF;
	RETURN NULL;
END
$$;

COMMENT ON FUNCTION analytics.model_sync_apply() IS
'trigger of analytics.model_sync: applies a change of the coordinator''s registry to this worker''s durpred.model';

REVOKE ALL ON FUNCTION analytics.model_sync_apply() FROM PUBLIC;

DROP TRIGGER IF EXISTS model_sync_apply ON analytics.model_sync;
CREATE TRIGGER model_sync_apply AFTER INSERT ON analytics.model_sync
	FOR EACH ROW EXECUTE FUNCTION analytics.model_sync_apply();

-- Sends every change of the coordinator's durpred.model to the workers.
CREATE OR REPLACE FUNCTION analytics.model_sync_send()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	sent bigint;
BEGIN
	IF TG_OP = 'TRUNCATE' THEN
		INSERT INTO analytics.model_sync (op) VALUES ('truncate') RETURNING model_sync.seq INTO sent;
	ELSIF TG_OP = 'DELETE' THEN
		INSERT INTO analytics.model_sync (op, model_id) VALUES ('delete', OLD.id)
		RETURNING model_sync.seq INTO sent;
	ELSE
		INSERT INTO analytics.model_sync (op, model_id, model_row, model)
		VALUES ('upsert', NEW.id, pg_catalog.to_jsonb(NEW) - 'model' - 'sha256',
				CASE WHEN TG_OP = 'INSERT' OR NEW.model IS DISTINCT FROM OLD.model THEN NEW.model END)
		RETURNING model_sync.seq INTO sent;
	END IF;
	DELETE FROM analytics.model_sync s WHERE s.seq = sent;
	RETURN NULL;
END
$$;

COMMENT ON FUNCTION analytics.model_sync_send() IS
'trigger of the coordinator''s durpred.model: sends each change to every node through analytics.model_sync, in the same transaction';

REVOKE ALL ON FUNCTION analytics.model_sync_send() FROM PUBLIC;

DROP TRIGGER IF EXISTS model_sync_send ON durpred.model;
CREATE TRIGGER model_sync_send AFTER INSERT OR UPDATE OR DELETE ON durpred.model
	FOR EACH ROW EXECUTE FUNCTION analytics.model_sync_send();
DROP TRIGGER IF EXISTS model_sync_send_truncate ON durpred.model;
CREATE TRIGGER model_sync_send_truncate AFTER TRUNCATE ON durpred.model
	FOR EACH STATEMENT EXECUTE FUNCTION analytics.model_sync_send();

-- What the coordinator holds now, on every node: its models, first the
-- inactive ones (so that the active one is set last), and no other.
INSERT INTO analytics.model_sync (op) VALUES ('truncate');
INSERT INTO analytics.model_sync (op, model_id, model_row, model)
SELECT 'upsert', m.id, pg_catalog.to_jsonb(m) - 'model' - 'sha256', m.model
FROM durpred.model m
ORDER BY m.active, m.id;
DELETE FROM analytics.model_sync;

-- Each node's active model, and the sha256 of its bytes: the same on every
-- row when the registry is in sync.
CREATE OR REPLACE FUNCTION analytics.cluster_models()
RETURNS TABLE (nodename text, nodeport integer, is_coordinator boolean, model_id bigint,
			   name text, version integer, sha256 text, models bigint)
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT n.nodename::text, n.nodeport, n.groupid = 0,
		   (j ->> 'id')::bigint, j ->> 'name', (j ->> 'version')::integer, j ->> 'sha256',
		   (j ->> 'models')::bigint
	FROM (SELECT r.nodeid, r.result::jsonb AS j
		  FROM pg_catalog.run_command_on_all_nodes($c$
			SELECT pg_catalog.jsonb_build_object(
				'id', m.id, 'name', m.name, 'version', m.version,
				'sha256', pg_catalog.encode(m.sha256, 'hex'),
				'models', (SELECT count(*) FROM durpred.model))
			FROM (SELECT NULL) x LEFT JOIN durpred.model m ON m.active
		  $c$) r) r
	JOIN pg_catalog.pg_dist_node n ON n.nodeid = r.nodeid
	ORDER BY n.groupid, n.nodename, n.nodeport
$$;

COMMENT ON FUNCTION analytics.cluster_models() IS
'each node''s active durpred model (id, name, version, sha256 of its bytes; NULL when none) and how many models it holds';

COMMIT;
