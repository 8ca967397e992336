# test/t/130_lifecycle.pl
#
# The model's life after training (issue 18), on the demo pipeline:
# - every durpred-train run is recorded in durpred.training_runs, with its
#   data window, rows, parameters, metrics per split and outcome; a run that
#   fails (a bad source, its connection lost) is recorded as failed with the
#   reason, and one that cannot be recorded exits non-zero with the reason;
# - the promotion gate (--promote-if-better): with no active model it
#   promotes; it scores the active model on exactly the new model's test
#   rows (the same split scored by the server and by XGBoost agree); a weak
#   candidate is kept (exit 3) and the active model stays; a better one is
#   promoted (exit 0); an equal one is not better; the figures and the
#   decision are recorded; bad gate options exit 2;
# - a shadow model: every run the trigger estimates has both estimates
#   logged, the active one's equal to the run's; analytics.shadow_comparison
#   agrees with a recomputation from the log and the outcomes.
use strict;
use warnings;

use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $trainer = 'durpred-train';

my $node = PostgreSQL::Test::Cluster->new('lifecycle');
$node->init;
$node->start;
my $db = $node->connstr('postgres');
foreach my $step ([ 'schema' ], [ 'demo_data', '-v', 'runs=4000' ], [ 'features' ], [ 'serving' ])
{
	my ($script, @vars) = @$step;
	$node->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', @vars, '-d', $db, '-f', "extract/$script.sql" ],
		"extract/$script.sql runs");
}
my $dir = PostgreSQL::Test::Utils::tempdir;

# runs the trainer; returns (exit status, stdout, stderr)
sub train
{
	my ($out, @args) = @_;
	my ($stdout, $stderr) = ('', '');
	IPC::Run::run([ $trainer, '-d', $db, '-o', "$dir/$out", '--quiet', @args ],
		'>', \$stdout, '2>', \$stderr);
	return ($? >> 8, $stdout, $stderr);
}

# the run id a trainer printed
sub run_id_of
{
	my $stdout = shift;
	return $stdout =~ /^Training run ([0-9a-f]{32}): /m ? $1 : '';
}

sub run_row
{
	my ($run, $expr) = @_;
	return $node->safe_psql('postgres',
		"SELECT $expr FROM durpred.training_runs WHERE run_id = '$run'");
}

sub gate_of
{
	my $run = shift;
	return decode_json(run_row($run, "metrics->'gate'"));
}

sub active_model
{
	return $node->safe_psql('postgres', 'SELECT id FROM durpred.models WHERE active');
}

# bad usage of the gate's options
command_exit_is([ $trainer, '--promote-if-better' ], 2, '--promote-if-better without --install exits 2');
command_exit_is([ $trainer, '--install', 'x', '--activate', '--promote-if-better' ], 2,
	'--activate with --promote-if-better exits 2');
command_exit_is([ $trainer, '--install', 'x', '--promote-metric', 'mae' ], 2,
	'--promote-metric without --promote-if-better exits 2');
command_exit_is([ $trainer, '--install', 'x', '--promote-if-better', '--promote-metric', 'mape' ], 2,
	'an unknown metric exits 2');
command_exit_is([ $trainer, '--install', 'x', '--promote-if-better', '--promote-margin', '1.5' ], 2,
	'a margin out of range exits 2');
command_like([ $trainer, '--help' ], qr/--promote-if-better.*--promote-metric.*--promote-margin/s,
	'--help documents the gate');

#
# A plain run is recorded as trained, with everything it knows
#
my ($rc, $out, $err) = train('plain', '--rounds', '20');
is($rc, 0, 'a plain run succeeds');
my $plain = run_id_of($out);
my $info = decode_json(slurp_file("$dir/plain/model_info.json"));
is($plain, $info->{run}{id}, 'it prints the run id of model_info.json');
is(run_row($plain, q{outcome || ' ' || (model_id IS NULL) || ' ' || (finished_at > started_at)
		|| ' ' || source || ' ' || (rows->>'train') || '/' || (rows->>'val') || '/' || (rows->>'test')
		|| ' ' || (params->>'max_rounds')}),
	'trained true true analytics.run_features 2400/800/800 20', 'recorded: outcome, source, rows per split, parameters');
is(run_row($plain, q{data_first = (SELECT min(started_at) FROM analytics.run_features)
		AND data_last = (SELECT max(started_at) FROM analytics.run_features)}),
	't', 'recorded: the data window, first and last started_at used');
my $recorded = decode_json(run_row($plain, 'metrics'));
is_deeply($recorded->{model}, $info->{metrics}, 'recorded: the metrics per split of the model');
is_deeply($recorded->{comparison}, $info->{comparison}, 'recorded: those of the four baselines');
is(run_row($plain, 'reason IS NULL'), 't', 'a plain run needs no reason');

#
# The gate
#
($rc, $out, $err) = train('first', '--rounds', '5', '--install', 'gate', '--promote-if-better');
is($rc, 0, 'with no active model the gate promotes (exit 0)');
my $first = run_id_of($out);
my $first_model = run_row($first, 'model_id');
is(active_model(), $first_model, 'the new model is active');
is(run_row($first, q{outcome || ': ' || reason}), 'promoted: no model was active', 'recorded: promoted, why');
is($node->safe_psql('postgres', "SELECT training_run FROM durpred.models WHERE id = $first_model"),
	$first, 'durpred.models links the model to its run');

($rc, $out, $err) = train('weak', '--rounds', '1', '--install', 'gate', '--promote-if-better');
is($rc, 3, 'a weak candidate (one round) is kept: exit 3');
like($out, qr/Promotion gate: test MAE .* not better\.\nThe active model stays active\./, 'it says why');
my $weak = run_id_of($out);
is(active_model(), $first_model, 'the active model stays');
is(run_row($weak, q{outcome || ' ' || (model_id IS NOT NULL) || ' ' || (model_id <> } . $first_model . ')'),
	'kept true true', 'recorded: kept, with the model it installed');
like(run_row($weak, 'reason'), qr/^test MAE [0-9.]+ of the new model against [0-9.]+ of the active model "gate" version 1 \(id $first_model\), margin 0: not better$/,
	'recorded: the reason names both figures');
my $g = gate_of($weak);
is($g->{active_model_id}, $first_model, 'the gate judged the active model');
is($g->{rows}, 800, 'on the 800 test rows');
cmp_ok($g->{candidate}{mae}, '>', $g->{active}{mae}, 'the candidate is worse on MAE');
# the same seed gives the same split: the server's scores of the active
# model on these rows are what XGBoost predicted for them when it was the
# candidate (clamped at 0 both)
my $g1 = gate_of($first);
foreach my $m (qw(mae rmse r2))
{
	ok(abs($g->{active}{$m} - $g1->{candidate}{$m}) <= 1e-9 * (1 + abs($g1->{candidate}{$m})),
		"the server's $m of the active model equals the trainer's on the same rows ($g->{active}{$m})");
}
is($node->safe_psql('postgres', "SELECT active FROM durpred.models WHERE id = " . run_row($weak, 'model_id')),
	'f', 'the kept model is installed, not active');

($rc, $out, $err) = train('better', '--install', 'gate', '--promote-if-better', '--promote-metric', 'rmse');
is($rc, 0, 'a better candidate (300 rounds, early stopping) is promoted: exit 0');
my $better = run_id_of($out);
my $better_model = run_row($better, 'model_id');
is(active_model(), $better_model, 'it is the active model');
$g = gate_of($better);
is($g->{metric}, 'rmse', 'the gate used the chosen metric');
cmp_ok($g->{candidate}{rmse}, '<', $g->{active}{rmse}, 'the candidate has the lower RMSE');
like(run_row($better, q{outcome || ': ' || reason}), qr/^promoted: test RMSE .* margin 0: better$/,
	'recorded: promoted, why');

# the same data and seed train the same model again: equal is not better,
# and a margin asks for more
($rc, $out, $err) = train('again', '--install', 'gate', '--promote-if-better', '--promote-margin', '0.05');
is($rc, 3, 'the same model again is not better by the margin: exit 3');
my $again = run_id_of($out);
$g = gate_of($again);
is($g->{candidate}{mae}, $g->{active}{mae}, 'both models score the same on the same rows');
is($g->{margin}, 0.05, 'the margin is recorded');
is(active_model(), $better_model, 'the active model stays');

# the metric r2 compares unexplained variance
($rc, $out, $err) = train('r2', '--rounds', '2', '--install', 'gate', '--promote-if-better', '--promote-metric', 'r2');
is($rc, 3, 'a weak candidate is kept on R2 too');
like($out, qr/Promotion gate: test R2 /, 'the reason names R2');

#
# Failures
#
($rc, $out, $err) = train('bad', '--source', 'analytics.no_such_table');
is($rc, 1, 'a bad source fails: exit 1');
like($err, qr/durpred-train: error: could not read source analytics.no_such_table/, 'with its message');
is($node->safe_psql('postgres', q{SELECT outcome || ': ' || reason FROM durpred.training_runs
		WHERE source = 'analytics.no_such_table'}),
	'failed: could not read source analytics.no_such_table: relation "analytics.no_such_table" does not exist',
	'recorded as failed, with the reason');

# the connection is lost while the rows are read: the failure is recorded
# through a new connection
($rc, $out, $err) = train('lost', '--source',
	'SELECT * FROM analytics.run_features WHERE pg_catalog.pg_terminate_backend(pg_catalog.pg_backend_pid())');
is($rc, 1, 'a run whose connection is lost fails: exit 1');
like($node->safe_psql('postgres', q{SELECT outcome || ': ' || reason FROM durpred.training_runs
		WHERE source LIKE '%pg_terminate_backend%'}),
	qr/^failed: could not read source .*(terminat|closed the connection)/s,
	'recorded as failed, with the reason');

# where nothing can be recorded, the run fails with its reason all the same
($rc, $out, $err) = train('nodb', '-d', $node->connstr('no_such_database'));
is($rc, 1, 'a run that cannot connect exits 1');
like($err, qr/durpred-train: error: .*no_such_database/, 'with the reason');

# a role that may not record runs trains all the same, with a warning
$node->safe_psql('postgres', 'CREATE ROLE analyst LOGIN; GRANT USAGE ON SCHEMA analytics TO analyst;
	GRANT SELECT ON analytics.run_features TO analyst');
my $runs_before = $node->safe_psql('postgres', 'SELECT count(*) FROM durpred.training_runs');
($rc, $out, $err) = train('analyst', '-U', 'analyst', '--rounds', '5');
is($rc, 0, 'a role that is not durpred_admin trains');
like($err, qr/warning: training run [0-9a-f]{32} is not recorded: permission denied/, 'with a warning that the run is not recorded');
is($node->safe_psql('postgres', 'SELECT count(*) FROM durpred.training_runs'), $runs_before, 'and no record');

is($node->safe_psql('postgres', q{SELECT string_agg(outcome, ',' ORDER BY started_at) FROM durpred.training_runs}),
	'trained,promoted,kept,promoted,kept,kept,failed,failed', 'every run is recorded, in order');
is($node->safe_psql('postgres', q{SELECT count(*) FROM durpred.training_runs WHERE finished_at IS NULL}),
	'0', 'every recorded run finished');

#
# A shadow model: the kept weak model beside the active one
#
my $shadow = run_row($weak, 'model_id');
is($node->safe_psql('postgres', "SELECT durpred.set_shadow_model($shadow)"), $shadow, 'the weak model is the shadow model');
# 300 new runs of existing pages: pending, then running, then finished
$node->safe_psql('postgres', q{
	CREATE TABLE new_runs AS
	SELECT (SELECT max(id) FROM app.noteflow_run) + g AS id, r.notebook_page_id, r.workspace_id,
		   now() - interval '2 days' + g * interval '1 minute' AS created_at,
		   r.finished_at - r.started_at AS took, r.status AS final_status
	FROM generate_series(1, 300) g
	JOIN LATERAL (SELECT * FROM app.noteflow_run r WHERE r.finished_at IS NOT NULL
				  ORDER BY r.id OFFSET g * 7 LIMIT 1) r ON true;
	INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at)
	SELECT id, notebook_page_id, workspace_id, 'pending', created_at FROM new_runs;
	UPDATE app.noteflow_run n SET status = 'running', started_at = x.created_at + interval '5 s'
	FROM new_runs x WHERE n.id = x.id;
	UPDATE app.noteflow_run n SET status = x.final_status, finished_at = n.started_at + x.took
	FROM new_runs x WHERE n.id = x.id;});
is($node->safe_psql('postgres', q{
	SELECT count(*) FILTER (WHERE n.estimated_duration IS NOT NULL) || ' ' ||
		   count(*) FILTER (WHERE EXISTS (
			   SELECT FROM analytics.run_estimate l WHERE l.run_id = n.id
				 AND NOT EXISTS (SELECT FROM analytics.shadow_estimate s
								 WHERE s.run_id = l.run_id AND s.active_model_id = l.model_id
								   AND s.active_estimate = l.estimated_duration
								   AND s.shadow_model_id = } . $shadow . q{))) || ' ' ||
		   (SELECT count(*) FROM analytics.shadow_estimate s JOIN new_runs x ON x.id = s.run_id) || ' ' ||
		   (SELECT count(*) FROM analytics.run_estimate l JOIN new_runs x ON x.id = l.run_id)
	FROM app.noteflow_run n JOIN new_runs x ON x.id = n.id}),
	'300 0 600 600', 'every estimate of the 300 runs (at creation and at start) has its shadow estimate logged beside it');
# the shadow's estimates are the shadow model's: scored again in SQL with a
# copy of it, from the runs' features as of their start, wherever those are
# still what they were when the trigger scored (the active model scores
# them the same): a run's history as of its start may since have gained
# runs that finished before it started but were written after it
$node->safe_psql('postgres', "SELECT durpred.install_model('shadow_copy', durpred.export_model($shadow))");
my ($total, $same_features, $shadow_same, $differ) = split / /, $node->safe_psql('postgres', q{
	CREATE TABLE rescored AS
	SELECT s.run_id, s.active_estimate, s.shadow_estimate,
		   durpred.predict_duration(analytics.run_features_for(s.run_id)) AS active_again
	FROM analytics.shadow_estimate s JOIN new_runs x ON x.id = s.run_id
	WHERE s.estimated_at = (SELECT max(t.estimated_at) FROM analytics.shadow_estimate t WHERE t.run_id = s.run_id);
	SET durpred.model = 'shadow_copy';
	SELECT count(*) || ' ' || count(*) FILTER (WHERE active_again = active_estimate)
		|| ' ' || count(*) FILTER (WHERE active_again = active_estimate
			AND shadow_estimate = durpred.predict_duration(analytics.run_features_for(run_id)))
		|| ' ' || count(*) FILTER (WHERE shadow_estimate <> active_estimate)
	FROM rescored});
is($total, 300, 'the last estimate of each of the 300 runs');
cmp_ok($same_features, '>=', 150, "$same_features of them still have the features they were scored with");
is($shadow_same, $same_features, 'for each of those, the shadow estimate is what the shadow model predicts');
is($differ, 300, 'and none is the active model\'s');
my $recomputed = $node->safe_psql('postgres', q{
	WITH last AS (
		SELECT DISTINCT ON (s.run_id) s.* FROM analytics.shadow_estimate s
		ORDER BY s.run_id, s.estimated_at DESC),
	d AS (SELECT date_trunc('week', n.finished_at AT TIME ZONE 'UTC')::date AS week, l.active_model_id, l.shadow_model_id,
				 l.active_estimate - extract(epoch FROM n.finished_at - n.started_at)::float8 AS ae,
				 l.shadow_estimate - extract(epoch FROM n.finished_at - n.started_at)::float8 AS se
		  FROM last l JOIN app.noteflow_run n ON n.id = l.run_id WHERE n.finished_at IS NOT NULL)
	SELECT string_agg(concat_ws(' ', week, active_model_id, shadow_model_id, runs, round(am::numeric, 9), round(sm::numeric, 9),
							   round(ar::numeric, 9), round(sr::numeric, 9), round(ab::numeric, 9), round(sb::numeric, 9),
							   round(closer::numeric, 9)), E'\n' ORDER BY week)
	FROM (SELECT week, active_model_id, shadow_model_id, count(*) AS runs, avg(abs(ae)) AS am, avg(abs(se)) AS sm,
				 sqrt(avg(ae * ae)) AS ar, sqrt(avg(se * se)) AS sr, avg(ae) AS ab, avg(se) AS sb,
				 avg(CASE WHEN abs(se) < abs(ae) THEN 1.0 ELSE 0.0 END) AS closer
		  FROM d GROUP BY 1, 2, 3) x});
my $view = $node->safe_psql('postgres', q{
	SELECT string_agg(concat_ws(' ', week, active_model_id, shadow_model_id, runs, round(active_mae::numeric, 9),
							   round(shadow_mae::numeric, 9), round(active_rmse::numeric, 9), round(shadow_rmse::numeric, 9),
							   round(active_bias::numeric, 9), round(shadow_bias::numeric, 9), round(shadow_closer::numeric, 9)),
					  E'\n' ORDER BY week)
	FROM analytics.shadow_comparison});
is($view, $recomputed, 'analytics.shadow_comparison agrees with a recomputation from the log');
like($view, qr/^\S+ $better_model $shadow \d+ /, 'it compares the active model with the shadow');
is($node->safe_psql('postgres', 'SELECT sum(runs) FROM analytics.shadow_comparison'), '300', 'on the 300 finished runs');

$node->stop;
done_testing();
