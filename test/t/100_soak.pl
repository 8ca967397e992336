# test/t/100_soak.pl
#
# A bounded soak.  Eight pgbench clients insert, start and finish runs for
# DURPRED_SOAK_SECONDS (default 20) while another session installs,
# activates, deactivates and drops models every few milliseconds:
#
#   - no write fails and no client aborts (pgbench's own report);
#   - no row is lost: every insert pgbench counted is in the table, and
#     every row in the table was recorded once by the statement that made it;
#   - every stored estimate is what the model logged for it in
#     analytics.run_estimate predicts for the run's features, recomputed
#     afterwards with that model (dropped models are installed again from
#     the bytes kept aside);
#   - that model was active while the write ran, and an estimate is NULL
#     only while no model was active.
#
# Then one backend switches models 10^4 times, scoring after each switch,
# and its VmRSS (from /proc/<pid>/status) must grow by less than 10 MB.
#
# How the checks can be exact:
#   - every write statement records, in the same statement, the run, the
#     instant its features are taken at, the estimate it stored and its
#     time window [now(), clock_timestamp()] (table soak_write); the
#     trigger's log row of that write is the one of that run that committed
#     with it (track_commit_timestamp: a transaction and its subtransactions
#     share one commit timestamp).  Not the one in its window: a write's
#     transaction can start before the previous write of the same run
#     commits, and take its snapshot after, so that window can hold the
#     previous write's log row too;
#   - the switching session records each change with the instant before it
#     and the instant after its commit (table soak_switch): a change
#     committed between them, so the state it made can have been seen from
#     the first instant until the next change's commit returned;
#   - a finished run finishes a day after its start, so that no run scored
#     during the soak has a history that changes while it runs: the
#     features as of a write's instant are the same afterwards.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $soak_seconds = $ENV{DURPRED_SOAK_SECONDS} // 20;
my $clients = 8;
my $switches = 10000;
my $warmup = 1000;
my $rss_limit_kb = 10 * 1024;
my $anon_limit_kb = 2 * 1024;

my $node = PostgreSQL::Test::Cluster->new('soak');
$node->init;
# no statement log: pgbench's statements would fill it; the writes are
# recorded in soak_write instead
$node->append_conf('postgresql.conf',
	"max_connections = 30\nlog_statement = none\ntrack_commit_timestamp = on\n");
$node->start;
my $db = $node->connstr('postgres');

# the production tables with a small history, the training set's
# definitions and the serving trigger
foreach my $script (qw(schema demo_data features serving))
{
	$node->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-v', 'runs=2000',
			'-d', $db, '-f', "extract/$script.sql" ], "extract/$script.sql runs");
}

$node->safe_psql(
	'postgres', q{
-- the demo's queue was written before the trigger: only the soak's runs are
-- pending or running
DELETE FROM app.noteflow_run WHERE status IN ('pending', 'running');
CREATE INDEX soak_pending_idx ON app.noteflow_run (id) WHERE status = 'pending';
CREATE INDEX soak_running_idx ON app.noteflow_run (id) WHERE status = 'running';

-- pages that can be scored, numbered for pgbench's random()
CREATE TABLE soak_page AS
SELECT row_number() OVER (ORDER BY b.page_id) AS n, p.id, p.workspace_id
FROM analytics.page_blocks b JOIN app.notebook_page p ON p.id = b.page_id
WHERE b.unknown_blocks = 0;
CREATE UNIQUE INDEX ON soak_page (n);

-- every write of a run that fires the trigger: the run, the instant of its
-- features, the estimate stored, the statement's window; the model and the
-- recomputed estimate are filled in by the checks
CREATE TABLE soak_write (
	run_id bigint NOT NULL,
	kind text NOT NULL,
	page_id bigint NOT NULL,
	as_of timestamptz NOT NULL,
	began timestamptz NOT NULL,
	ended timestamptz NOT NULL,
	estimate float8,
	committed timestamptz,
	model_id bigint,
	recomputed float8
);

-- every model installed, with its bytes, so that a dropped one can be
-- installed again to recompute its estimates
CREATE TABLE soak_model (id bigint PRIMARY KEY, bytes bytea NOT NULL);

-- every change of the registry: t_before < its commit < t_after
CREATE TABLE soak_switch (
	seq int PRIMARY KEY,
	t_before timestamptz NOT NULL,
	t_after timestamptz,
	action text NOT NULL,
	model_id bigint,
	active_after bigint
);

-- Model k: the tiny model's tree (sql_blocks, then historical_avg_duration)
-- with a threshold, leaves and base score of its own, so that two models
-- predict differently for the same page.
CREATE FUNCTION soak_model_bytes(k int) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
SELECT convert_to(jsonb_build_object(
	'learner', jsonb_build_object(
		'attributes', '{}'::jsonb,
		'feature_names', '["sql_blocks", "historical_avg_duration"]'::jsonb,
		'feature_types', '[]'::jsonb,
		'gradient_booster', jsonb_build_object(
			'name', 'gbtree',
			'model', jsonb_build_object(
				'gbtree_model_param', '{"num_parallel_tree": "1", "num_trees": "1", "size_leaf_vector": "0"}'::jsonb,
				'tree_info', '[0]'::jsonb,
				'trees', jsonb_build_array(jsonb_build_object(
					'id', 0,
					'tree_param', '{"num_deleted": "0", "num_feature": "2", "num_nodes": "5", "size_leaf_vector": "0"}'::jsonb,
					'left_children', '[1, 3, -1, -1, -1]'::jsonb,
					'right_children', '[2, 4, -1, -1, -1]'::jsonb,
					'parents', '[2147483647, 0, 0, 1, 1]'::jsonb,
					'split_indices', '[0, 1, 0, 0, 0]'::jsonb,
					'split_conditions', jsonb_build_array(1.5 + k % 3, 20 + k % 40,
														  100 + k, 10 + k * 0.5, 20 + k * 0.25),
					'default_left', '[0, 1, 0, 0, 0]'::jsonb,
					'base_weights', '[0, 0, 0, 0, 0]'::jsonb,
					'loss_changes', '[0, 0, 0, 0, 0]'::jsonb,
					'sum_hessian', '[1, 1, 1, 1, 1]'::jsonb)))),
		'learner_model_param', jsonb_build_object(
			'base_score', (k * 0.125)::text, 'boost_from_average', '1', 'num_class', '0',
			'num_feature', '2', 'num_target', '1'),
		'objective', '{"name": "reg:squarederror", "reg_loss_param": {"scale_pos_weight": "1"}}'::jsonb),
	'version', '[1, 7, 4]'::jsonb)::text, 'UTF8')
$$;

-- The switching session: one registry change per transaction, a pause
-- between them, for a given time.  Installs (a new model, half of them
-- activated at once), activations of any installed model, deactivations,
-- and drops of any installed model, the active one included; between 2
-- and 8 models stay installed.
CREATE PROCEDURE soak_switcher(seconds float8, pause float8)
LANGUAGE plpgsql AS $$
DECLARE
	stop timestamptz := clock_timestamp() + seconds * interval '1 second';
	k int := 0;
	t_before timestamptz;
	t_prev timestamptz;
	act text;
	m bigint;
	n int;
	r float8;
BEGIN
	SELECT max(seq) INTO k FROM soak_switch;
	WHILE clock_timestamp() < stop LOOP
		k := k + 1;
		t_before := clock_timestamp();
		SELECT count(*) INTO n FROM durpred.model;
		r := random();
		IF n < 2 OR (r < 0.2 AND n < 8) THEN
			act := 'install';
			m := durpred.install_model('soak', soak_model_bytes(k), NULL, random() < 0.5);
			INSERT INTO soak_model VALUES (m, soak_model_bytes(k));
		ELSIF r < 0.6 THEN
			act := 'activate';
			SELECT id INTO m FROM durpred.model ORDER BY random() LIMIT 1;
			PERFORM durpred.activate_model(m);
		ELSIF r < 0.75 THEN
			act := 'deactivate';
			m := durpred.deactivate_model();
		ELSE
			act := 'drop';
			SELECT id INTO m FROM durpred.model ORDER BY random() LIMIT 1;
			DELETE FROM durpred.model WHERE id = m;
		END IF;
		UPDATE soak_switch SET t_after = t_prev WHERE seq = k - 1 AND t_after IS NULL;
		INSERT INTO soak_switch
		VALUES (k, t_before, NULL, act, m, (SELECT id FROM durpred.model WHERE active));
		COMMIT;
		t_prev := clock_timestamp();
		PERFORM pg_sleep(pause);
	END LOOP;
	UPDATE soak_switch SET t_after = t_prev WHERE seq = k;
	COMMIT;
END
$$;

-- the state before the soak: one model, active
WITH m AS (SELECT durpred.install_model('soak', soak_model_bytes(0), NULL, true) AS id)
INSERT INTO soak_model SELECT id, soak_model_bytes(0) FROM m;
INSERT INTO soak_switch
SELECT 0, '-infinity', clock_timestamp(), 'install', id, id FROM durpred.model;
});

my $base = $node->safe_psql('postgres', 'SELECT max(id) FROM app.noteflow_run');
my $pages = $node->safe_psql('postgres', 'SELECT count(*) FROM soak_page');
cmp_ok($pages, '>=', 10, "$pages pages can be scored");

my $dir = PostgreSQL::Test::Utils::tempdir;
my %scripts = (
	# a new pending run of a random page
	'insert.sql' => q{\set n random(1, :pages)
WITH w AS (
	INSERT INTO app.noteflow_run (notebook_page_id, workspace_id, status, created_at)
	SELECT p.id, p.workspace_id, 'pending', now() FROM soak_page p WHERE p.n = :n
	RETURNING id, notebook_page_id, created_at, estimated_duration)
INSERT INTO soak_write (run_id, kind, page_id, as_of, began, ended, estimate)
SELECT id, 'insert', notebook_page_id, created_at, now(), clock_timestamp(), estimated_duration FROM w;
},
	# start the oldest pending run that no other client is starting
	'start.sql' => q{WITH w AS (
	UPDATE app.noteflow_run r SET status = 'running', started_at = now()
	WHERE r.id = (SELECT id FROM app.noteflow_run WHERE status = 'pending'
				  ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
	RETURNING r.id, r.notebook_page_id, r.started_at, r.estimated_duration)
INSERT INTO soak_write (run_id, kind, page_id, as_of, began, ended, estimate)
SELECT id, 'start', notebook_page_id, started_at, now(), clock_timestamp(), estimated_duration FROM w;
},
	# finish the oldest running run, a day after its start (see the header)
	'finish.sql' => q{UPDATE app.noteflow_run r
SET status = CASE WHEN random() < 0.1 THEN 'failed' ELSE 'success' END,
	finished_at = r.started_at + interval '1 day'
WHERE r.id = (SELECT id FROM app.noteflow_run WHERE status = 'running'
			  ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED);
},);
my @args;
my %weight = ('insert.sql' => 5, 'start.sql' => 3, 'finish.sql' => 2);
foreach my $name (sort keys %scripts)
{
	open(my $fh, '>', "$dir/$name") or die "$dir/$name: $!";
	print $fh $scripts{$name};
	close($fh);
	push @args, '-f', "$dir/$name\@$weight{$name}";
}

# the switching session runs a little longer than pgbench, on both sides
my ($sw_out, $sw_err) = ('', '');
my $switcher = IPC::Run::start(
	[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $db,
		'-c', sprintf('CALL soak_switcher(%g, 0.002)', $soak_seconds + 2) ],
	'>', \$sw_out, '2>', \$sw_err);
sleep 1;

my $t0 = time;
my ($stdout, $stderr);
my $ok = IPC::Run::run(
	[ 'pgbench', '-n', '-c', $clients, '-j', '2', '-T', $soak_seconds, '-D', "pages=$pages",
		@args, '-d', $db ],
	'>', \$stdout, '2>', \$stderr);
my $bench_time = time - $t0;
ok($switcher->finish, 'the switching session ran to its end') or diag($sw_err);

ok($ok, "pgbench with $clients clients exits 0") or diag($stderr);
note $stdout;
like($stdout, qr/number of failed transactions: 0 \(/, 'no transaction failed');
unlike($stderr, qr/aborted|ERROR/, 'no client aborted, no error');
my %done;
foreach my $name (sort keys %scripts)
{
	($done{$name}) = $stdout =~ /\Q$name\E\n.*?\n\s*- (\d+) transactions/s;
	ok(defined $done{$name} && $done{$name} > 0, "$name ran")
	  or $done{$name} = -1;
}

# the registry changes
my ($changes, $interval_ms, $installs, $activations, $deactivations, $drops, $none_ms) = split /\|/,
  $node->safe_psql(
	'postgres', q{
	SELECT count(*) FILTER (WHERE seq > 0),
		   round(1000 * extract(epoch FROM max(t_after) - min(t_before) FILTER (WHERE seq > 0))
				 / count(*) FILTER (WHERE seq > 0), 1),
		   count(*) FILTER (WHERE seq > 0 AND action = 'install'),
		   count(*) FILTER (WHERE action = 'activate'),
		   count(*) FILTER (WHERE action = 'deactivate'),
		   count(*) FILTER (WHERE action = 'drop'),
		   round(1000 * sum(extract(epoch FROM next_before - t_after))
				 FILTER (WHERE active_after IS NULL AND seq > 0))
	FROM (SELECT *, lead(t_before) OVER (ORDER BY seq) AS next_before FROM soak_switch) s});
diag(sprintf(
		"soak: %.1f s, %d clients: %d inserts, %d starts, %d finishes; %d registry changes "
		  . "(%d installs, %d activations, %d deactivations, %d drops), one every %s ms; "
		  . "no model active for at least %d ms in all",
		$bench_time, $clients, $done{'insert.sql'}, $done{'start.sql'}, $done{'finish.sql'},
		$changes, $installs, $activations, $deactivations, $drops, $interval_ms, $none_ms || 0));
cmp_ok($interval_ms, '<', 20, 'the registry changed every few milliseconds');
ok($installs > 0 && $activations > 0 && $deactivations > 0 && $drops > 0,
	'with installs, activations, deactivations and drops');

# no lost row.  pgbench -T stops its clients when the time is up, without
# waiting for a transaction in flight: such a transaction can commit on the
# server without being counted, so there can be up to one more insert per
# client than pgbench reports, never fewer.
my ($in_table, $recorded, $recorded_once) = split /\|/, $node->safe_psql(
	'postgres', qq{
	SELECT (SELECT count(*) FROM app.noteflow_run WHERE id > $base),
		   (SELECT count(*) FROM soak_write WHERE kind = 'insert'),
		   (SELECT count(DISTINCT run_id) FROM soak_write WHERE kind = 'insert')});
ok( $in_table >= $done{'insert.sql'} && $in_table <= $done{'insert.sql'} + $clients,
	"every insert pgbench counted is in the table ($in_table rows, pgbench counted "
	  . "$done{'insert.sql'}, $clients clients)");
ok($recorded == $in_table && $recorded_once == $in_table,
	"and each was recorded once ($recorded records of $recorded_once runs)");

# the log row of each write, the one that committed with it: the model
# behind each estimate
$node->safe_psql(
	'postgres', qq{
	UPDATE soak_write SET committed = pg_xact_commit_timestamp(xmin);
	CREATE TABLE soak_log AS
	SELECT e.*, pg_xact_commit_timestamp(e.xmin) AS committed
	FROM analytics.run_estimate e WHERE e.run_id > $base;
	CREATE INDEX ON soak_log (run_id, committed);
	ANALYZE soak_log;
	UPDATE soak_write w SET model_id = e.model_id
	FROM soak_log e
	WHERE e.run_id = w.run_id AND e.committed = w.committed;
	CREATE INDEX ON soak_write (model_id);
	CREATE INDEX ON soak_write (run_id, ended);
	ANALYZE soak_write;});
is($node->safe_psql('postgres', 'SELECT count(*) FROM soak_write WHERE committed IS NULL'),
	'0', 'every write has its commit timestamp');
diag('soak: ', $node->safe_psql(
		'postgres', q{
		SELECT count(*) FROM soak_write w
		WHERE EXISTS (SELECT FROM soak_log e
					  WHERE e.run_id = w.run_id AND e.committed <> w.committed
						AND e.estimated_at BETWEEN w.began AND w.ended)}),
	" writes had the log row of another write of their run in their window");
my ($writes, $estimated, $null) = split /\|/,
  $node->safe_psql('postgres',
	'SELECT count(*), count(estimate), count(*) - count(estimate) FROM soak_write');
diag("soak: $writes writes fired the trigger: $estimated estimated, $null NULL");
cmp_ok($estimated, '>', 0, 'writes were estimated');
cmp_ok($null, '>', 0, 'and some were written while no model was active');
is( $node->safe_psql(
		'postgres', q{
		SELECT count(*) FROM soak_write w
		WHERE (SELECT count(*) FROM soak_log e
			   WHERE e.run_id = w.run_id AND e.committed = w.committed
				 AND e.estimated_at BETWEEN w.began AND w.ended
				 AND (w.estimate IS NULL OR e.estimated_duration = w.estimate))
			  <> (w.estimate IS NOT NULL)::int}),
	'0', 'every estimate has its one log row, logged during its write; a NULL estimate none');
is($node->safe_psql('postgres', "SELECT count(*) FROM analytics.run_estimate WHERE run_id > $base"),
	$estimated, 'and the log has no other row of these runs');

# the model was active during the write; NULL only while none was
my $possible = q{
	EXISTS (SELECT FROM soak_switch s
			LEFT JOIN soak_switch n ON n.seq = s.seq + 1
			WHERE s.active_after IS NOT DISTINCT FROM w.model_id
			  AND s.t_before <= w.ended
			  AND COALESCE(n.t_after, 'infinity') >= w.began)};
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM soak_write w WHERE w.estimate IS NOT NULL AND NOT $possible"),
	'0', 'every estimate comes from a model that was active during its write')
  or diag(
	"the writes, their log rows and the registry changes around them:\n",
	$node->safe_psql(
		'postgres', qq{
		SELECT w.run_id, w.kind, w.began, w.ended, w.model_id, w.estimate,
			   (SELECT string_agg(e.model_id || '@' || e.estimated_at, ', ')
				FROM analytics.run_estimate e WHERE e.run_id = w.run_id) AS logged,
			   (SELECT string_agg(s.seq || ':' || s.t_before || '..' || s.t_after || '->'
								  || coalesce(s.active_after::text, 'none'), ', ' ORDER BY s.seq)
				FROM soak_switch s
				WHERE s.t_after >= w.began - interval '50 ms' AND s.t_before <= w.ended + interval '50 ms') AS switches
		FROM soak_write w WHERE w.estimate IS NOT NULL AND NOT $possible}));
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM soak_write w WHERE w.estimate IS NULL AND NOT $possible"),
	'0', 'every NULL estimate was written while no model was active');

# recompute every estimate with its model, installing dropped ones again
$node->safe_psql(
	'postgres', q{
	CREATE PROCEDURE soak_recompute()
	LANGUAGE plpgsql AS $$
	DECLARE
		m record;
		id bigint;
	BEGIN
		FOR m IN SELECT DISTINCT w.model_id FROM soak_write w WHERE w.model_id IS NOT NULL
				 ORDER BY 1
		LOOP
			id := m.model_id;
			IF NOT EXISTS (SELECT FROM durpred.model d WHERE d.id = m.model_id) THEN
				id := durpred.install_model('again', (SELECT s.bytes FROM soak_model s
													  WHERE s.id = m.model_id));
				INSERT INTO soak_reinstalled VALUES (m.model_id, id);
			END IF;
			PERFORM durpred.activate_model(id);
			COMMIT;
			IF durpred.current_model_id() <> id THEN
				RAISE EXCEPTION 'model % is not the current one', id;
			END IF;
			UPDATE soak_write w
			SET recomputed = durpred.predict_duration(analytics.features_as_of(w.page_id, w.as_of))
			WHERE w.model_id = m.model_id;
			COMMIT;
		END LOOP;
	END
	$$;
	CREATE TABLE soak_reinstalled (model_id bigint, again bigint);
	CALL soak_recompute();});
my ($models, $reinstalled) = split /\|/,
  $node->safe_psql('postgres',
	'SELECT count(DISTINCT model_id), (SELECT count(*) FROM soak_reinstalled) FROM soak_write');
diag("soak: estimates from $models models, $reinstalled of them dropped during the soak");
cmp_ok($reinstalled, '>', 0, 'some estimates came from models dropped since');
is( $node->safe_psql(
		'postgres', q{
		SELECT count(*) FROM soak_write
		WHERE estimate IS NOT NULL AND recomputed IS DISTINCT FROM estimate}),
	'0', 'every stored estimate is what its logged model predicts');

# the table holds what the last write of each run stored
is( $node->safe_psql(
		'postgres', qq{
		SELECT count(*) FROM app.noteflow_run r
		WHERE r.id > $base
		  AND r.estimated_duration IS DISTINCT FROM
			  (SELECT w.estimate FROM soak_write w WHERE w.run_id = r.id
			   ORDER BY w.ended DESC LIMIT 1)}),
	'0', 'every run holds the estimate of its last write');
is( $node->safe_psql(
		'postgres', qq{
		SELECT count(*) FROM app.noteflow_run
		WHERE id > $base
		  AND estimated_completion_at IS DISTINCT FROM
			  COALESCE(started_at, created_at) + estimated_duration * interval '1 second'}),
	'0', 'and its completion time is its start plus that estimate');

unlike(slurp_file($node->logfile), qr/WARNING:  durpred|ERROR|PANIC|TRAP/,
	'the server log has no scoring warning and no error');

#
# Memory: one backend switches between 6 models (more than a backend keeps
# loaded, so every switch loads one and evicts another) and scores after
# each switch; every score must be the new model's.
#
$node->safe_psql(
	'postgres', q{
	SELECT durpred.deactivate_model();
	DELETE FROM durpred.model;
	VACUUM durpred.model;
	CREATE TABLE mem_model AS
	SELECT n, durpred.install_model('mem' || n, soak_model_bytes(1000 + n)) AS id, NULL::float8 AS expected
	FROM generate_series(0, 5) n;
	-- each model's prediction, one model active at a time
	CREATE PROCEDURE soak_expect()
	LANGUAGE plpgsql AS $$
	DECLARE
		m record;
	BEGIN
		FOR m IN SELECT * FROM mem_model ORDER BY n LOOP
			PERFORM durpred.activate_model(m.id);
			COMMIT;
			IF durpred.current_model_id() <> m.id THEN
				RAISE EXCEPTION 'model % is not the current one', m.id;
			END IF;
			UPDATE mem_model SET expected = durpred.predict_duration(sql_blocks => 1, historical_avg_duration => 5)
			WHERE n = m.n;
			COMMIT;
		END LOOP;
	END
	$$;
	CALL soak_expect();
	-- switch to the next model, score, and count the scores that are not
	-- the new model's
	CREATE PROCEDURE soak_memory(switches int, INOUT wrong int DEFAULT 0)
	LANGUAGE plpgsql AS $$
	DECLARE
		ids bigint[];
		predicts float8[];
		v float8;
	BEGIN
		SELECT array_agg(m.id ORDER BY m.n), array_agg(m.expected ORDER BY m.n) INTO ids, predicts
		FROM mem_model m;
		wrong := 0;
		FOR i IN 1 .. switches LOOP
			PERFORM durpred.activate_model(ids[1 + i % 6]);
			COMMIT;
			v := durpred.predict_duration(sql_blocks => 1, historical_avg_duration => 5);
			IF v IS DISTINCT FROM predicts[1 + i % 6] THEN
				wrong := wrong + 1;
			END IF;
		END LOOP;
	END
	$$;});
is($node->safe_psql('postgres', 'SELECT count(DISTINCT expected) FROM mem_model'),
	'6', 'the 6 models predict differently');

my $rss = q{SELECT string_agg((regexp_match(s, k || ':\s+(\d+) kB'))[1], '|' ORDER BY o)
	FROM pg_read_file('/proc/' || pg_backend_pid() || '/status') s,
		 unnest('{VmRSS,RssAnon,RssShmem}'::text[]) WITH ORDINALITY AS u(k, o);};
my $rounds = 10;
my $per_round = $switches / $rounds;
my $sql = "SELECT pg_backend_pid();\nCALL soak_memory($warmup);\n$rss\n";
$sql .= "CALL soak_memory($per_round);\n$rss\n" foreach 1 .. $rounds;
$t0 = time;
my @out = split /\n/, $node->safe_psql('postgres', $sql);
my $mem_time = time - $t0;
my $pid = shift @out;
my @wrong;
my @samples;
while (@out)
{
	push @wrong, shift @out;
	push @samples, [ split /\|/, shift @out ];
}
is(scalar @samples, $rounds + 1, 'VmRSS was read after the warm-up and after each round');
is((grep { $_ ne '0' } @wrong), 0, 'every score after a switch came from the new model');
my @growth = map { $samples[$_][0] - $samples[0][0] } 1 .. $rounds;
diag(sprintf(
		"memory: backend %d, %d switches with a score after each in %.1f s (after %d to warm up): "
		  . "VmRSS %d kB -> %d kB (%+d kB; RssAnon %+d kB, RssShmem %+d kB); growth per %d: %s kB",
		$pid, $switches, $mem_time, $warmup, $samples[0][0], $samples[-1][0],
		$samples[-1][0] - $samples[0][0], $samples[-1][1] - $samples[0][1],
		$samples[-1][2] - $samples[0][2], $per_round, join(' ', @growth)));
cmp_ok($samples[-1][0] - $samples[0][0], '<', $rss_limit_kb,
	"VmRSS grows by less than 10 MB over $switches model switches");
# VmRSS also counts the shared memory that the backend touches for the
# first time (WAL buffers, shared buffers), bounded by their size; its
# private memory shows a leak long before: 200 bytes a switch would be 2 MB
cmp_ok($samples[-1][1] - $samples[0][1], '<', $anon_limit_kb,
	"its private memory (RssAnon) grows by less than 2 MB over $switches switches");

$node->stop;
done_testing();
