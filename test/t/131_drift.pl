# test/t/131_drift.pl
#
# Drift and health (issue 18), on the demo data at 20,000 runs:
# - durpred-train stores each feature's training distribution with the
#   model, over the newest fifth of the training split; binned by SQL
#   (analytics.psi) those rows give a PSI of 0 against it: the trainer and
#   the SQL bin alike;
# - a week of new runs drawn like the recent training data: no block-count
#   feature drifts (PSI < 0.1) and model_health is not 'alert';
# - a week in which some pages gained many SQL blocks and the hours
#   shifted: sql_blocks, total_blocks and start_hour above 0.25, every
#   other block count below 0.1, model_health 'alert' naming them; the PSI
#   of sql_blocks recomputed here from the runs' features agrees;
# - durpred.check_health() warns and notifies durpred_health with the
#   health row as JSON; with status ok it does neither;
# - no active model, a model without a training distribution: health says
#   so.
use strict;
use warnings;

use JSON::PP;
use List::Util qw(max sum);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('drift');
$node->init;
$node->append_conf('postgresql.conf', 'work_mem = 64MB');
$node->start;
my $db = $node->connstr('postgres');
foreach my $step ([ 'schema' ], [ 'demo_data', '-v', 'runs=20000' ], [ 'features' ], [ 'serving' ])
{
	my ($script, @vars) = @$step;
	$node->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', @vars, '-d', $db, '-f', "extract/$script.sql" ],
		"extract/$script.sql runs");
}
my $dir = PostgreSQL::Test::Utils::tempdir;

sub psql_ok
{
	my ($sql) = @_;
	return $node->safe_psql('postgres', $sql);
}

sub replay_week
{
	my ($hours, $sql_pages) = @_;
	$node->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-v', "hours=$hours", '-v', "sql_pages=$sql_pages",
			'-d', $db, '-f', 'test/fixtures/replay_week.sql' ],
		"a week of runs replayed (hours +$hours, $sql_pages of the pages with more SQL blocks)");
}

sub drift
{
	my %d;
	foreach my $line (split /\n/, psql_ok(q{SELECT feature, psi, status, runs FROM analytics.feature_drift()}))
	{
		my ($f, $psi, $status, $runs) = split /\|/, $line;
		$d{$f} = { psi => $psi, status => $status, runs => $runs };
	}
	return \%d;
}

my @blocks = qw(sql_blocks tableau_blocks email_blocks slack_blocks parameter_blocks code_blocks
  plotly_blocks kpi_blocks api_blocks writeback_blocks conditional_blocks loop_blocks ai_blocks storage_blocks);

$node->command_ok([ 'durpred-train', '-d', $db, '-o', "$dir/m", '--quiet', '--install', 'demo', '--activate',
		'--predictions', "$dir/p.csv" ],
	'durpred-train trains and installs the model');
my $info = decode_json(slurp_file("$dir/m/model_info.json"));
my $dist = $info->{training_distribution};
is($dist->{rows}, 2400, 'the training distribution is of the newest 2,400 of the 12,000 training rows');
ok($dist->{newest}, 'it says so');
is(scalar(keys %{ $dist->{features} }), 25, 'it has the 25 features');
my $bad = 0;
foreach my $f (sort keys %{ $dist->{features} })
{
	my $s = $dist->{features}{$f};
	my @e = @{ $s->{edges} };
	$bad++ unless @{ $s->{shares} } == @e + 1 || (@e == 0 && @{ $s->{shares} } == 0);
	$bad++ unless abs(sum(0, @{ $s->{shares} }) - 1) < 1e-9 || @e == 0;
	$bad++ if grep { $e[$_] <= $e[ $_ - 1 ] } 1 .. $#e;
	$bad++ if @e > 9;
}
is($bad, 0, 'each feature: at most 9 ascending edges, one share more, shares adding up to 1');
ok(@{ $dist->{prediction}{edges} } >= 5, 'and the distribution of the predictions');

# the recent training rows against their own distribution: the SQL bins as
# the trainer did
psql_ok(q{CREATE TABLE all_train_rows (run_id bigint)});
my @train = map { (split /,/)[0] } grep { /,train,/ } split /\n/, slurp_file("$dir/p.csv");
is(scalar(@train), 12000, 'the predictions file names the training rows');
psql_ok('INSERT INTO all_train_rows VALUES (' . join('), (', @train) . ')');
psql_ok(q{CREATE TABLE train_rows AS SELECT run_id FROM all_train_rows JOIN analytics.run_features USING (run_id)
	ORDER BY started_at DESC, run_id DESC LIMIT 2400});
my $self = psql_ok(q{
	SELECT string_agg(d.key || '=' || round(analytics.psi(d.value,
		   (SELECT array_agg(CASE jsonb_typeof(to_jsonb(f) -> d.key)
							 WHEN 'boolean' THEN (to_jsonb(f) ->> d.key)::bool::int::float8
							 ELSE (to_jsonb(f) ->> d.key)::float8 END)
			FROM analytics.run_features f JOIN train_rows t USING (run_id)))::numeric, 6), ' ' ORDER BY d.key)
	FROM jsonb_each(durpred.model_info() -> 'training_distribution' -> 'features') d
	WHERE d.key NOT LIKE 'historical\_%\_duration' AND d.key <> 'historical_failure_rate'});
unlike($self, qr/=(?!0\.000000)/, "whole features of the training rows: PSI 0 against their own distribution ($self)");
my $self_float = psql_ok(q{
	SELECT max(analytics.psi(d.value,
		   (SELECT array_agg((to_jsonb(f) ->> d.key)::float8)
			FROM analytics.run_features f JOIN train_rows t USING (run_id))))
	FROM jsonb_each(durpred.model_info() -> 'training_distribution' -> 'features') d
	WHERE d.key LIKE 'historical\_%\_duration' OR d.key = 'historical_failure_rate'});
cmp_ok($self_float, '<', 0.001, "float features (binned in float8 against float32 edges): PSI about 0 ($self_float)");

# no runs in the window
my $d = drift();
is(scalar(keys %$d), 25, 'feature_drift: a row per feature');
is($d->{sql_blocks}{status}, 'no runs', 'no runs created in the last 7 days: no verdict');
is($d->{month}{status}, 'expected', 'month moves by construction');

#
# A week like the recent training data
#
replay_week(0, 0);
$d = drift();
my $runs = $d->{sql_blocks}{runs};
cmp_ok($runs, '>', 400, "the week has $runs runs");
note(join("\n", map { sprintf('%-28s %8.4f %s', $_, $d->{$_}{psi}, $d->{$_}{status}) }
	  sort { $d->{$b}{psi} <=> $d->{$a}{psi} } keys %$d));
foreach my $f (@blocks, 'total_blocks')
{
	cmp_ok($d->{$f}{psi}, '<', 0.1, "a week like the training data: $f does not drift ($d->{$f}{psi})");
}
my ($status, $reasons) = split /\|/, psql_ok(q{SELECT status, array_to_string(reasons, '; ') FROM analytics.model_health});
isnt($status, 'alert', "model_health is not alert ($status: $reasons)");
is(psql_ok(q{SELECT recent_finished > 400 AND recent_mae > 0 AND test_mae > 0 AND runs_since_window >= recent_runs
	AND prediction_psi IS NOT NULL AND model_id = (SELECT id FROM durpred.models WHERE active) FROM analytics.model_health}),
	't', 'model_health: the estimated runs of the week, their MAE, the test MAE, the estimates\' PSI');

# check_health: not ok warns and notifies; ok does neither
my ($stdout, $stderr) = ('', '');
IPC::Run::run([ 'psql', '-X', '-d', $db, '-c', 'LISTEN durpred_health', '-c', 'SELECT durpred.check_health()' ],
	'>', \$stdout, '2>', \$stderr);
if ($status eq 'ok')
{
	unlike($stdout, qr/Asynchronous notification/, 'check_health with status ok: no notification');
	is($stderr, '', 'and no warning');
}
else
{
	like($stdout, qr/Asynchronous notification "durpred_health" with payload "\{.*"status": "$status"/,
		"check_health with status $status: a notification");
	like($stderr, qr/WARNING:  durpred model health is $status: /, 'and a warning');
}

#
# A week in which some pages gained many SQL blocks and the hours shifted
#
psql_ok(q{DELETE FROM app.noteflow_run WHERE created_at >= now() - interval '8 days';
	DELETE FROM analytics.run_estimate l WHERE NOT EXISTS (SELECT FROM app.noteflow_run r WHERE r.id = l.run_id)});
replay_week(8, 0.4);
$d = drift();
note(join("\n", map { sprintf('%-28s %8.4f %s', $_, $d->{$_}{psi}, $d->{$_}{status}) }
	  sort { $d->{$b}{psi} <=> $d->{$a}{psi} } keys %$d));
foreach my $f (qw(sql_blocks total_blocks start_hour))
{
	cmp_ok($d->{$f}{psi}, '>', 0.25, "$f drifted ($d->{$f}{psi})");
	is($d->{$f}{status}, 'alert', "$f: alert");
}
foreach my $f (grep { $_ ne 'sql_blocks' } @blocks)
{
	cmp_ok($d->{$f}{psi}, '<', 0.1, "$f did not change: no drift ($d->{$f}{psi})");
}
($status, $reasons) = split /\|/, psql_ok(q{SELECT status, array_to_string(reasons, '; ') FROM analytics.model_health});
is($status, 'alert', 'model_health: alert');
like($reasons, qr/sql_blocks drifted: PSI/, 'naming sql_blocks');
like($reasons, qr/start_hour drifted: PSI/, 'and start_hour');
is(psql_ok(q{SELECT max_psi_feature IN ('sql_blocks', 'total_blocks', 'start_hour') FROM analytics.model_health}),
	't', 'the largest PSI is one of the changed features');

# the PSI of sql_blocks, recomputed here from the week's features
my $spec = $dist->{features}{sql_blocks};
my @vals = split /\n/, psql_ok(q{
	SELECT f.sql_blocks FROM app.noteflow_run n JOIN analytics.run_as_of r ON r.run_id = n.id
	CROSS JOIN LATERAL analytics.serving_page_features(r.page_id, r.as_of) f
	WHERE n.created_at >= now() - interval '7 days'});
my @count = (0) x (@{ $spec->{edges} } + 1);
foreach my $v (@vals)
{
	my $b = grep { $_ <= $v } @{ $spec->{edges} };
	$count[$b]++;
}
my $psi = 0;
my $missing_e = $spec->{missing} > 1e-4 ? $spec->{missing} : 1e-4;
$psi += (1e-4 - $missing_e) * log(1e-4 / $missing_e);
foreach my $b (0 .. $#count)
{
	my $a = max($count[$b] / @vals, 1e-4);
	my $e = max($spec->{shares}[$b] * (1 - $spec->{missing}), 1e-4);
	$psi += ($a - $e) * log($a / $e);
}
ok(abs($psi - $d->{sql_blocks}{psi}) < 1e-9, "feature_drift's PSI of sql_blocks agrees with a recomputation ($psi)");

($stdout, $stderr) = ('', '');
IPC::Run::run([ 'psql', '-X', '-d', $db, '-c', 'LISTEN durpred_health', '-c', 'SELECT durpred.check_health()' ],
	'>', \$stdout, '2>', \$stderr);
like($stdout, qr/Asynchronous notification "durpred_health" with payload "(\{.*\})" received/,
	'check_health notifies durpred_health');
my ($payload) = $stdout =~ /with payload "(\{.*\})" received/;
my $health = eval { decode_json($payload) } // {};
is($health->{status}, 'alert', 'the payload is the health row as JSON: status alert');
ok((grep { /^sql_blocks drifted/ } @{ $health->{reasons} // [] }), 'with its reasons');
like($stderr, qr/WARNING:  durpred model health is alert: .*sql_blocks drifted/, 'check_health warns');

#
# Without a model fit for drift
#
psql_ok(q{SELECT durpred.deactivate_model()});
is(psql_ok(q{SELECT status || ': ' || array_to_string(reasons, '; ') FROM analytics.model_health}),
	'alert: no active model', 'no active model: alert');
is(psql_ok(q{SELECT count(*) FROM analytics.feature_drift()}), '0', 'and no drift rows');
psql_ok(q{SELECT durpred.install_model('bare', durpred.export_model(id), NULL, true) FROM durpred.models WHERE name = 'demo'});
like(psql_ok(q{SELECT status || ': ' || array_to_string(reasons, '; ') FROM analytics.model_health}),
	qr/^(warn|alert): .*the model has no training distribution: drift is not measured/,
	'a model without a training distribution: health says drift is not measured');

$node->stop;
done_testing();
