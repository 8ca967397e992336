# test/t/010_trainer.pl
#
# durpred-train's command line, artifacts, determinism and errors, on the
# demo pipeline at 3,000 runs:
# - --help, --version, bad options (exit 2), each with its own message, in
#   PostgreSQL's frontend format (pg_logging: error, then a hint);
# - a full run writes model.json and model_info.json with every key; the
#   reported test RMSE equals the RMSE of the written test predictions;
# - the same data, options and seed give a byte-identical model.json, in
#   whatever order the source returns the rows;
# - the model installed with --install scores in the database exactly what
#   the trainer predicted, for every objective, and python3-xgboost loading
#   model.json too;
# - values beyond float32 are excluded and counted like infinite ones;
# - the session's search_path is empty from the first statement on, and
#   the second reads the feature names from durpred.features;
# - the feature names are the database's: model.json and model_info.json
#   name durpred.features' attributes in their order, whatever they are; a
#   database without the type, or with one of another width, is refused;
# - each bad input exits 1 with its message and leaves no artifact;
# - the data's time range in model_info.json (epoch_iso, compiled alone).
use strict;
use warnings;

use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $trainer = 'durpred-train';

# model_info.json of a run, or {} when the run wrote none
sub info_of
{
	my $file = shift;
	return eval { decode_json(slurp_file($file)) } // {};
}

program_help_ok($trainer);
program_version_ok($trainer);
program_options_handling_ok($trainer);
command_like([ $trainer, '--version' ], qr/^durpred-train \(durpred\) \d+\.\d+\.\d+$/,
	'--version prints the version');
command_like([ $trainer, '--help' ],
	qr/--dbname.*--source.*--split.*--seed.*--objective.*--eta.*--max-depth.*--min-child-weight.*--subsample.*--colsample-bytree.*--gamma.*--lambda.*--alpha.*--rounds.*--early-stopping.*--threads.*--output.*--predictions.*--install.*--activate.*--quiet/s,
	'--help documents every option');
command_exit_is([ $trainer, '--no-such-option' ], 2, 'an unknown option exits 2');
command_exit_is([ $trainer, '--eta' ], 2, 'a missing argument exits 2');
command_exit_is([ $trainer, '--eta', '7' ], 2, 'an out-of-range value exits 2');
command_exit_is([ $trainer, '--objective', 'binary:logistic' ], 2, 'an unsupported objective exits 2');
command_exit_is([ $trainer, '--split', 'sideways' ], 2, 'an unknown split exits 2');
command_exit_is([ $trainer, '--activate' ], 2, '--activate without --install exits 2');
command_exit_is([ $trainer, 'stray' ], 2, 'a stray argument exits 2');
# getopt_long gives a long option's value, not a character, for these
foreach my $case (
	[ [ '--quiet=1' ], qr/option "--quiet" does not take an argument/, '--quiet=1' ],
	[ [ '--activate=yes' ], qr/option "--activate" does not take an argument/, '--activate=yes' ],
	[ [ '--s', 'x' ], qr/option "--s" is ambiguous \(--source, --split, --seed, --subsample\)/, 'an ambiguous abbreviation' ],
	[ [ '-d' ], qr/option "-d" requires an argument/, 'a short option missing its argument' ],
	[ [ '-x' ], qr/invalid option -- 'x'/, 'an unknown short option' ])
{
	my ($args, $re, $what) = @$case;
	my ($out, $err);
	IPC::Run::run([ $trainer, @$args ], '>', \$out, '2>', \$err);
	is($? >> 8, 2, "$what exits 2");
	like($err, qr/^durpred-train: error: $re\ndurpred-train: hint: Try "durpred-train --help" for more information\.\n$/,
		"$what: its message");
}
command_like([ $trainer, '--help' ], qr/schema-qualified table or view, or a query/,
	'--help: a table or view name must be schema-qualified');
command_like([ $trainer, '--help' ], qr/Rows are split in the order of run_id, then of their values/,
	'--help: the split does not depend on the order of the rows');

my $node = PostgreSQL::Test::Cluster->new('trainer');
$node->init;
$node->start;
my $db = $node->connstr('postgres');
foreach my $script (qw(schema demo_data features))
{
	$node->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-v', 'runs=3000',
			'-d', $db, '-f', "extract/$script.sql" ], "extract/$script.sql runs");
}

my $dir = PostgreSQL::Test::Utils::tempdir;

# a full run
my ($stdout, $stderr);
IPC::Run::run([ $trainer, '-d', $db, '-o', "$dir/a", '--predictions', "$dir/a/predictions.csv" ],
	'>', \$stdout, '2>', \$stderr);
is($?, 0, 'a full training run succeeds');
like($stdout, qr/Linear Regression.*Ridge Regression.*Random Forest.*XGBoost.*Historical median/s,
	'the comparison table is on stdout');
like($stderr, qr/round\s+0\s+train RMSE.*validation RMSE/, 'progress is on stderr');
ok(-s "$dir/a/model.json" && -s "$dir/a/model_info.json", 'both artifacts are written');

my $info = decode_json(slurp_file("$dir/a/model_info.json"));
foreach my $key (qw(model_type n_features feature_columns num_boost_round params metrics
	comparison split data feature_importance defaults run))
{
	ok(exists $info->{$key}, "model_info.json has \"$key\"");
}
foreach my $key (map { my $s = $_; map { "${s}_$_" } qw(rmse mae r2) } qw(train val test))
{
	ok(defined $info->{metrics}{$key}, "metrics has $key");
}
is($info->{model_type}, 'XGBoost Regressor', 'model_type as the reference service');
is($info->{n_features}, 25, '25 features');
is_deeply([ sort keys %{ $info->{comparison} } ],
	[ 'Historical median', 'Linear Regression', 'Random Forest', 'Ridge Regression', 'XGBoost' ],
	'the comparison has the five models');
is_deeply([ @{ $info->{split} }{qw(method seed train val test)} ], [ 'random', 42, 1800, 600, 600 ],
	'a 60/20/20 random split with seed 42');
is($info->{data}{rows}, 3000, 'every row was used');
like($info->{data}{started_at_min}, qr/^2024-01-0/, 'the data\'s time range is recorded');
like($info->{run}{id}, qr/^[0-9a-f]{32}$/, 'a run id');
ok($info->{run}{started_at} le $info->{run}{finished_at}, 'and its timestamps');
ok(scalar(keys %{ $info->{feature_importance} }) == 25, 'importance by gain for every feature');
is($info->{num_boost_round}, $info->{run}{best_iteration} + 1, 'the model keeps the trees up to the best round');

my $model = decode_json(slurp_file("$dir/a/model.json"));
is_deeply($model->{learner}{feature_names}, $info->{feature_columns}, 'model.json stores the feature names');
# they are the attributes of the database's durpred.features, in order
my $attributes_sql = q{
	SELECT a.attname FROM pg_catalog.pg_attribute a
	WHERE a.attrelid = (SELECT t.typrelid FROM pg_catalog.pg_type t
						WHERE t.oid = 'durpred.features'::pg_catalog.regtype)
	  AND a.attnum > 0 AND NOT a.attisdropped
	ORDER BY a.attnum};
my @attributes = split /\n/, $node->safe_psql('postgres', $attributes_sql);
is(scalar @attributes, 25, 'durpred.features has 25 attributes');
is_deeply($model->{learner}{feature_names}, \@attributes,
	'model.json names the attributes of durpred.features, in their order');
is_deeply([ sort keys %{ $info->{feature_importance} } ], [ sort @attributes ],
	'importance is keyed by those names');
is(scalar @{ $model->{learner}{gradient_booster}{model}{trees} }, $info->{num_boost_round},
	'model.json holds exactly those trees');

# the reported test RMSE is that of the written predictions
my @pred = split /\n/, slurp_file("$dir/a/predictions.csv");
is(shift @pred, 'row,split,target,prediction', 'the predictions have a header');
is(scalar @pred, 3000, 'a prediction for every row');
my ($sse, $n) = (0, 0);
foreach my $line (@pred)
{
	my ($row, $split, $target, $prediction) = split /,/, $line;
	next unless $split eq 'test';
	$sse += ($prediction - $target)**2;
	$n++;
}
my $rmse = sqrt($sse / $n);
ok(abs($rmse - $info->{metrics}{test_rmse}) <= 1e-6 * $rmse,
	"the reported test RMSE ($info->{metrics}{test_rmse}) is that of the test predictions ($rmse)");

# determinism
command_ok([ $trainer, '-d', $db, '-o', "$dir/b", '--quiet' ], 'a second run');
is(slurp_file("$dir/b/model.json"), slurp_file("$dir/a/model.json"),
	'the same data and options give a byte-identical model.json');
command_ok([ $trainer, '-d', $db, '-o', "$dir/c", '--quiet', '--threads', '1' ], 'a run on one thread');
command_ok([ $trainer, '-d', $db, '-o', "$dir/d", '--quiet', '--threads', '1' ], 'and another');
is(slurp_file("$dir/d/model.json"), slurp_file("$dir/c/model.json"),
	'byte-identical on one thread too');
command_ok([ $trainer, '-d', $db, '-o', "$dir/e", '--quiet', '--seed', '7' ], 'another seed');
isnt(slurp_file("$dir/e/model.json"), slurp_file("$dir/a/model.json"), 'gives another model');

# the same rows in another order give the same model: a query need not
# return them in the same order twice (a parallel plan does not)
command_ok([ $trainer, '-d', $db, '-o', "$dir/shuffled", '--quiet', '--source',
	'SELECT * FROM analytics.run_features ORDER BY random()' ], 'a query returning the rows in random order');
ok(slurp_file("$dir/shuffled/model.json") eq slurp_file("$dir/a/model.json"),
	'gives the model of the table, byte for byte');
command_ok([ $trainer, '-d', $db, '-o', "$dir/reversed", '--quiet', '--source',
	'SELECT * FROM analytics.run_features ORDER BY run_id DESC' ], 'and in reverse run_id order');
ok(slurp_file("$dir/reversed/model.json") eq slurp_file("$dir/a/model.json"), 'the same model again');
# without run_id: ordered by value; with repeated run_ids: by run_id, then value
$node->safe_psql('postgres', q{
	CREATE TABLE public.no_run_id AS SELECT * FROM analytics.run_features;
	ALTER TABLE public.no_run_id DROP COLUMN run_id;
	CREATE TABLE public.repeated AS SELECT * FROM analytics.run_features;
	INSERT INTO public.repeated
		SELECT (pg_catalog.jsonb_populate_record(f, pg_catalog.jsonb_build_object(
			'duration_seconds', f.duration_seconds + 1))).*
		FROM analytics.run_features f WHERE f.run_id % 3 = 0;});
foreach my $case ([ 'no_run_id', 'started_at DESC', 'without a run_id column' ],
	[ 'repeated', 'run_id DESC, duration_seconds', 'with repeated run_ids' ])
{
	my ($table, $order, $what) = @$case;
	command_ok([ $trainer, '-d', $db, '-o', "$dir/${table}_1", '--quiet', '--rounds', '20',
		'--source', "SELECT * FROM public.$table ORDER BY random()" ], "$what, in random order");
	command_ok([ $trainer, '-d', $db, '-o', "$dir/${table}_2", '--quiet', '--rounds', '20',
		'--source', "SELECT * FROM public.$table ORDER BY $order" ], "$what, ordered");
	ok(slurp_file("$dir/${table}_1/model.json") eq slurp_file("$dir/${table}_2/model.json"),
		"$what: the same model");
}
IPC::Run::run([ $trainer, '-d', $db, '-o', "$dir/repeated_3", '--quiet', '--rounds', '5',
	'--source', 'public.repeated' ], '>', \$stdout, '2>', \$stderr);
is($?, 0, 'repeated run_ids train');
like($stderr, qr/^durpred-train: warning: 1000 rows repeat the run_id of another row/m,
	'with a warning, even with --quiet');

# installed, the model scores in the database what the trainer predicted
command_like([ $trainer, '-d', $db, '-o', "$dir/f", '--quiet', '--install', 'trainer_test', '--activate' ],
	qr/Installed as model "trainer_test", id \d+, active/, '--install --activate');
my %trainer_pred;
foreach my $line (split /\n/, slurp_file("$dir/a/predictions.csv"))
{
	my ($row, $split, $target, $prediction) = split /,/, $line;
	$trainer_pred{$row} = $prediction if $row =~ /^\d+$/;
}
my $in_db = $node->safe_psql('postgres',
	q{SELECT run_id || ',' || durpred.predict_duration(f)::float4 FROM analytics.run_features f});
# compared as float32 values: each side prints the float in its own way
sub f32 { return unpack('f', pack('f', shift)); }
my $differ = 0;
foreach my $line (split /\n/, $in_db)
{
	my ($row, $p) = split /,/, $line;
	my $expected = $trainer_pred{$row} < 0 ? 0 : $trainer_pred{$row};
	$differ++ if f32($p) != f32($expected);
}
is($differ, 0, 'predict_duration in the database equals the trainer\'s prediction for all 3,000 runs');
is($node->safe_psql('postgres', q{SELECT durpred.model_info() ->> 'model_type'}), 'XGBoost Regressor',
	'model_info() carries the trainer\'s info');
is($node->safe_psql('postgres', q{SELECT (durpred.model_info() -> 'defaults') ? 'sql_blocks'}), 't',
	'and its defaults for the jsonb form');

# every objective gives a model that the database accepts and scores as
# the trainer predicted (reg:gamma and reg:tweedie through their exp link)
foreach my $objective (qw(reg:pseudohubererror reg:absoluteerror reg:gamma reg:tweedie))
{
	(my $name = $objective) =~ s/^reg://;
	command_like([ $trainer, '-d', $db, '-o', "$dir/obj_$name", '--quiet', '--rounds', '10',
		'--objective', $objective, '--predictions', "$dir/obj_$name/p.csv",
		'--install', "objective_$name", '--activate' ],
		qr/Installed as model "objective_$name", id \d+, active/, "--objective $objective: installed");
	my %expected;
	foreach my $line (split /\n/, slurp_file("$dir/obj_$name/p.csv"))
	{
		my ($row, $split, $target, $prediction) = split /,/, $line;
		$expected{$row} = $prediction < 0 ? 0 : $prediction if $row =~ /^\d+$/;
	}
	my ($count, $mismatch) = (0, 0);
	foreach my $line (split /\n/, $node->safe_psql('postgres',
		q{SELECT run_id || ',' || durpred.predict_duration(f)::float4 FROM analytics.run_features f}))
	{
		my ($row, $p) = split /,/, $line;
		$count++;
		$mismatch++ if !defined $expected{$row} || f32($p) != f32($expected{$row});
	}
	is("$count/$mismatch", '3000/0', "--objective $objective: the database scores what the trainer predicted");
	is($node->safe_psql('postgres', q{SELECT durpred.model_info() -> 'params' ->> 'objective'}), $objective,
		"--objective $objective: it is the active model");
}

# the first statement empties the session's search_path, whatever the
# connection asked for, and what the trainer reads is read with it empty
{
	local $ENV{PGOPTIONS} = '-c search_path=analytics,public -c log_statement=all';
	my $offset = -s $node->logfile;
	command_ok([ $trainer, '-d', $db, '-o', "$dir/sp", '--quiet', '--rounds', '5', '--source',
		q{SELECT * FROM analytics.run_features WHERE pg_catalog.current_setting('search_path') = ''} ],
		'a query that has rows only while search_path is empty');
	is(info_of("$dir/sp/model_info.json")->{data}{rows}, 3000,
		'has them all: search_path is empty when the rows are read');
	# only the trainer's session logs its statements
	my @statements = slurp_file($node->logfile, $offset) =~ /LOG:  statement: ([^\n]*)/g;
	is($statements[0], q{SELECT pg_catalog.set_config('search_path', '', false)},
		'the trainer\'s first statement empties search_path');
	like($statements[1], qr/FROM pg_catalog\.pg_type t LEFT JOIN pg_catalog\.pg_attribute a .*to_regtype\('durpred\.features'\)/,
		'the second reads the attributes of durpred.features, before the source');
	command_fails_like([ $trainer, '-d', $db, '-o', "$dir/bad", '--quiet', '--source', 'SELECT * FROM run_features' ],
		qr/could not read source.*relation "run_features" does not exist/s,
		'a query\'s unqualified name is not looked up in the connection\'s search_path');
}

# python3-xgboost reads model.json and predicts the same
SKIP:
{
	skip 'python3-xgboost is not installed', 1
	  if system("/usr/bin/python3 -c 'import xgboost' >/dev/null 2>&1") != 0;
	$node->safe_psql('postgres',
		"COPY (SELECT run_id, start_hour, day_of_week, month, is_weekend::int, is_business_hours::int, "
		  . "total_blocks, sql_blocks, tableau_blocks, email_blocks, slack_blocks, parameter_blocks, "
		  . "code_blocks, plotly_blocks, kpi_blocks, api_blocks, writeback_blocks, conditional_blocks, "
		  . "loop_blocks, ai_blocks, storage_blocks, historical_run_count, historical_avg_duration, "
		  . "historical_median_duration, historical_stddev_duration, historical_failure_rate "
		  . "FROM analytics.run_features) TO '$dir/rows.csv' WITH (FORMAT csv)");
	my $script = <<'EOF';
import csv, sys
import numpy as np, xgboost as xgb
b = xgb.Booster()
b.load_model(sys.argv[1])
rows = list(csv.reader(open(sys.argv[2])))
x = np.array([[float(v) if v != '' else np.nan for v in r[1:]] for r in rows], dtype=np.float32)
for r, p in zip(rows, b.predict(xgb.DMatrix(x, feature_names=b.feature_names))):
    print('%s,%.9g' % (r[0], p))
EOF
	open(my $fh, '>', "$dir/crosscheck.py") or die;
	print $fh $script;
	close($fh);
	my $py = '';
	IPC::Run::run([ '/usr/bin/python3', "$dir/crosscheck.py", "$dir/a/model.json", "$dir/rows.csv" ],
		'>', \$py);
	my $mismatch = 0;
	my $count = 0;
	foreach my $line (split /\n/, $py)
	{
		my ($row, $p) = split /,/, $line;
		$count++;
		$mismatch++ if sprintf('%.9g', $p) ne sprintf('%.9g', $trainer_pred{$row});
	}
	is("$count/$mismatch", '3000/0', 'python3-xgboost predicts exactly what the trainer predicted');
}

# --split time: train on the oldest runs, test on the newest
command_ok([ $trainer, '-d', $db, '-o', "$dir/t", '--quiet', '--split', 'time', '--predictions', "$dir/t/p.csv" ],
	'--split time');
my %split_of;
foreach my $line (split /\n/, slurp_file("$dir/t/p.csv"))
{
	my ($row, $split) = split /,/, $line;
	$split_of{$row} = $split if $row =~ /^\d+$/;
}
my %range;
foreach my $line (split /\n/, $node->safe_psql('postgres',
	q{SELECT run_id || ',' || extract(epoch FROM started_at) FROM analytics.run_features}))
{
	my ($row, $t) = split /,/, $line;
	my $s = $split_of{$row};
	$range{$s}{min} = $t if !defined $range{$s}{min} || $t < $range{$s}{min};
	$range{$s}{max} = $t if !defined $range{$s}{max} || $t > $range{$s}{max};
}
ok($range{train}{max} <= $range{val}{min} && $range{val}{max} <= $range{test}{min},
	'with --split time, the test runs are the newest and the training runs the oldest');

# a query as the source, and rows excluded for their target
$node->safe_psql('postgres', q{
	CREATE TABLE messy AS SELECT * FROM analytics.run_features;
	UPDATE messy SET duration_seconds = NULL WHERE run_id % 100 = 1;
	UPDATE messy SET duration_seconds = 'NaN' WHERE run_id % 100 = 2;
	UPDATE messy SET duration_seconds = -3 WHERE run_id % 100 = 3;
	UPDATE messy SET duration_seconds = 'Infinity' WHERE run_id % 100 = 4;});
IPC::Run::run([ $trainer, '-d', $db, '-o', "$dir/m", '--source', 'public.messy' ], '>', \$stdout, '2>', \$stderr);
is($?, 0, 'a source with bad targets trains');
like($stderr, qr/excluded 120 of 3000 rows: 30 NULL target, 90 NaN, infinite or negative target/,
	'bad targets are excluded and counted');
my $minfo = decode_json(slurp_file("$dir/m/model_info.json"));
is_deeply([ $minfo->{data}{rows}, $minfo->{data}{excluded}{null_target},
	$minfo->{data}{excluded}{nan_infinite_or_negative_target} ], [ 2880, 30, 90 ],
	'and recorded in model_info.json');
command_ok([ $trainer, '-d', $db, '-o', "$dir/q", '--quiet', '--source',
	'SELECT * FROM analytics.run_features WHERE run_id % 2 = 0 ORDER BY run_id' ],
	'a query as the source');
is(decode_json(slurp_file("$dir/q/model_info.json"))->{data}{rows}, 1500, 'reads the query\'s rows');

# values beyond float32, XGBoost's type, count as infinite, and a target
# that rounds to 0 counts as 0
$node->safe_psql('postgres', q{
	CREATE TABLE public.overflow AS SELECT * FROM analytics.run_features;
	UPDATE public.overflow SET historical_avg_duration = 1e300 WHERE run_id % 100 = 5;
	UPDATE public.overflow SET historical_stddev_duration = -1e39 WHERE run_id % 100 = 6;
	UPDATE public.overflow SET duration_seconds = 1e300 WHERE run_id % 100 = 7;
	UPDATE public.overflow SET duration_seconds = 1e-50 WHERE run_id % 100 = 8;});
IPC::Run::run([ $trainer, '-d', $db, '-o', "$dir/overflow", '--rounds', '20', '--source', 'public.overflow' ],
	'>', \$stdout, '2>', \$stderr);
is($?, 0, 'a source with values beyond float32 trains');
unlike($stderr, qr/Stack trace/, 'and XGBoost does not fail');
like($stderr, qr/excluded 90 of 3000 rows: 0 NULL target, 30 NaN, infinite or negative target, 0 zero target \(log-link objective\), 60 infinite feature/,
	'their rows are excluded and counted as infinite');
my $oinfo = info_of("$dir/overflow/model_info.json");
is_deeply([ $oinfo->{data}{rows}, @{ $oinfo->{data}{excluded} }{qw(nan_infinite_or_negative_target infinite_feature)} ],
	[ 2910, 30, 60 ], 'and recorded in model_info.json');
IPC::Run::run([ $trainer, '-d', $db, '-o', "$dir/overflow_gamma", '--rounds', '20', '--objective', 'reg:gamma',
	'--source', 'public.overflow' ], '>', \$stdout, '2>', \$stderr);
is($?, 0, 'with reg:gamma too');
like($stderr, qr/excluded 120 of 3000 rows: 0 NULL target, 30 NaN, infinite or negative target, 30 zero target \(log-link objective\), 60 infinite feature/,
	'where a target of 1e-50 counts as 0');

# bad input: exit 1 with a message, and nothing written
$node->safe_psql('postgres', q{
	CREATE TABLE no_target AS SELECT run_id, start_hour FROM analytics.run_features;
	CREATE TABLE no_duration AS SELECT * FROM analytics.run_features;
	ALTER TABLE no_duration DROP COLUMN duration_seconds;
	CREATE TABLE text_feature AS SELECT * FROM analytics.run_features;
	ALTER TABLE text_feature ALTER COLUMN sql_blocks TYPE text;
	CREATE TABLE empty_source AS SELECT * FROM analytics.run_features WITH NO DATA;
	CREATE TABLE tiny_source AS SELECT * FROM analytics.run_features LIMIT 6;
	CREATE TABLE "Mixed Case" AS SELECT * FROM analytics.run_features LIMIT 100;});
my @bad = (
	[ [ '--source', 'analytics.no_such_table' ], qr/could not read source analytics\.no_such_table/, 'a missing source' ],
	[ [ '--source', 'public.no_target' ], qr/source public\.no_target has no column "day_of_week"/, 'a missing feature column' ],
	[ [ '--source', 'SELECT * FROM public.no_target' ], qr/has no column/, 'a query missing columns' ],
	[ [ '--source', 'public.no_duration' ], qr/source public\.no_duration has no column "duration_seconds"/, 'a source missing only the target' ],
	[ [ '--source', 'run_features' ], qr/source "run_features" is not schema-qualified/, 'an unqualified name' ],
	[ [ '--source', 'public.text_feature' ], qr/column "sql_blocks" of source public\.text_feature has type text, not a number/, 'a non-numeric column' ],
	[ [ '--source', 'public.empty_source' ], qr/source public\.empty_source has no rows/, 'an empty source' ],
	[ [ '--source', 'public.tiny_source' ], qr/source public\.tiny_source has only 6 usable rows/, 'too few rows' ],
	[ [ '--source', 'public.x; DROP TABLE messy' ], qr/neither a table name nor a query/, 'a source that is no name' ],
	[ [ '--source', 'SELECT 1/0 AS oops' ], qr/could not read source.*division by zero/s, 'a failing query' ],
	[ [ '--split', 'time', '--source', 'SELECT * FROM public.no_target' ], qr/has no column/, 'time split of a bad source' ],);
foreach my $case (@bad)
{
	my ($args, $re, $what) = @$case;
	my $out = "$dir/bad";
	IPC::Run::run([ $trainer, '-d', $db, '-o', $out, @$args ], '>', \$stdout, '2>', \$stderr);
	is($? >> 8, 1, "$what exits 1");
	like($stderr, qr/(^|\n)durpred-train: error: .*$re/s, "$what: clear message");
	ok(!-e "$out/model.json", "$what: no artifact");
}
command_fails_like([ $trainer, '-d', $db, '-o', "$dir/bad", '--source', 'run_features' ],
	qr/\ndurpred-train: detail: The session's search_path is empty, so a table or view name must include its schema\.\ndurpred-train: hint: Write it with its schema: analytics\.run_features\.\n/,
	'an unqualified name: why, and a hint with its schema');
command_ok([ $trainer, '-d', $db, '-o', "$dir/mixed", '--quiet', '--source', 'public."Mixed Case"' ],
	'a quoted mixed-case name');
command_fails_like([ $trainer, '-d', 'host=/nonexistent/socket dbname=x', '-o', "$dir/bad" ],
	qr/(^|\n)durpred-train: error: connection to server .*failed/, 'a failed connection');
command_exit_is([ $trainer, '-d', 'host=/nonexistent/socket dbname=x', '-o', "$dir/bad" ], 1,
	'a failed connection exits 1');
# the feature names come from the database the trainer connects to, here
# one without the extension: without durpred.features the trainer stops
# before reading a row; with a type of another width it refuses, naming what
# it found; with 25 attributes made by hand, it takes their names and order
$node->safe_psql('postgres', 'CREATE TABLE public.rf AS SELECT * FROM analytics.run_features');
$node->safe_psql('postgres', 'CREATE DATABASE plain');
my $plain = $node->connstr('plain');
$node->command_ok([ 'sh', '-c', "pg_dump -t public.rf '$db' | psql -X -q -d '$plain'" ],
	'a copy of the training set in a database without durpred');
IPC::Run::run([ $trainer, '-d', $plain, '--source', 'public.rf', '-o', "$dir/plain", '--quiet' ],
	'>', \$stdout, '2>', \$stderr);
is($? >> 8, 1, 'a database without durpred.features exits 1');
like($stderr, qr/^durpred-train: error: type "durpred\.features" does not exist\n(.*\n)?durpred-train: hint: Create the extension in that database: CREATE EXTENSION durpred\.\n$/,
	'a database without durpred.features: clear message, and a hint');
ok(!-e "$dir/plain/model.json", 'a database without durpred.features: no artifact');

# a dropped attribute does not count
$node->safe_psql('plain', q{
	CREATE SCHEMA durpred;
	CREATE TYPE durpred.features AS (start_hour int, gone int, day_of_week int);
	ALTER TYPE durpred.features DROP ATTRIBUTE gone;});
IPC::Run::run([ $trainer, '-d', $plain, '--source', 'public.rf', '-o', "$dir/plain", '--quiet' ],
	'>', \$stdout, '2>', \$stderr);
is($? >> 8, 1, 'a durpred.features of another width exits 1');
like($stderr, qr/^durpred-train: error: type "durpred\.features" has 2 attributes, not 25\ndurpred-train: detail: Its attributes are: start_hour, day_of_week\.\n/,
	'a durpred.features of another width: the message names what it found');
ok(!-e "$dir/plain/model.json", 'a durpred.features of another width: no artifact');

# the 25 attributes in reverse order, each with its type
my $reversed = $node->safe_psql('postgres', q{
	SELECT string_agg(pg_catalog.quote_ident(a.attname) || ' '
					  || pg_catalog.format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum DESC)
	FROM pg_catalog.pg_attribute a
	WHERE a.attrelid = (SELECT t.typrelid FROM pg_catalog.pg_type t
						WHERE t.oid = 'durpred.features'::pg_catalog.regtype)
	  AND a.attnum > 0 AND NOT a.attisdropped});
$node->safe_psql('plain', "DROP TYPE durpred.features; CREATE TYPE durpred.features AS ($reversed)");
is_deeply([ split /\n/, $node->safe_psql('plain', $attributes_sql) ], [ reverse @attributes ],
	'a durpred.features made by hand with the attributes reversed');
# --install there fails (no durpred.install_model): exit 1, and the model
# files, written before, stay
IPC::Run::run([ $trainer, '-d', $plain, '--source', 'public.rf', '-o', "$dir/plain",
		'--quiet', '--install', 'nowhere' ], '>', \$stdout, '2>', \$stderr);
is($? >> 8, 1, '--install without the extension exits 1');
like($stderr, qr/durpred-train: error: could not install the model as "nowhere"\ndurpred-train: detail: function durpred\.install_model\(.*\) does not exist\ndurpred-train: hint: Create the extension/,
	'--install without the extension: clear message, and a hint');
ok(-s "$dir/plain/model.json", 'the model files are still there');
my $pmodel = eval { decode_json(slurp_file("$dir/plain/model.json")) } // {};
my $pinfo = info_of("$dir/plain/model_info.json");
is_deeply($pmodel->{learner}{feature_names}, [ reverse @attributes ],
	'model.json names the features as that database\'s durpred.features, in its order');
is_deeply($pinfo->{feature_columns}, [ reverse @attributes ], 'and so does model_info.json');
is_deeply($pinfo->{defaults}, $info->{defaults},
	'the same rows give the same defaults: whole features are known by their type, not their place');
is_deeply($pinfo->{comparison}{'Historical median'}, $info->{comparison}{'Historical median'},
	'and the same historical median baseline: its feature is found by name');

# the data's time range: infinite starts as PostgreSQL writes them
$node->safe_psql('postgres', q{
	CREATE TABLE public.endless AS SELECT * FROM analytics.run_features;
	UPDATE public.endless SET started_at = 'infinity' WHERE run_id = 10;
	UPDATE public.endless SET started_at = '-infinity' WHERE run_id = 20;});
command_ok([ $trainer, '-d', $db, '-o', "$dir/endless", '--quiet', '--rounds', '5', '--source', 'public.endless' ],
	'a source with infinite starts');
my $einfo = info_of("$dir/endless/model_info.json");
is_deeply([ @{ $einfo->{data} }{qw(started_at_min started_at_max)} ], [ '-infinity', 'infinity' ],
	'its time range runs from -infinity to infinity');

# epoch_iso alone, for what the database never sends (its timestamps are
# whole microseconds): a fraction that rounds up to a second carries
SKIP:
{
	my $cc = `pg_config --cc`;
	chomp $cc;
	skip 'no C compiler', 2 if $cc eq '' || system("$cc --version >/dev/null 2>&1") != 0;
	my $includedir = `pg_config --includedir`;
	my $serverdir = `pg_config --includedir-server`;
	my $pkglibdir = `pg_config --pkglibdir`;
	chomp($includedir, $serverdir, $pkglibdir);
	open(my $fh, '>', "$dir/epoch_iso.c") or die;
	print $fh <<'EOF';
#include "artifacts.c"

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
	{
		json_t	   *j = epoch_iso(strtod(argv[i], NULL));

		printf("%s\n", json_is_null(j) ? "null" : json_string_value(j));
	}
	return 0;
}
EOF
	close($fh);
	# artifacts.c needs nothing of the trainer's other files: only
	# PostgreSQL's frontend library and jansson
	command_ok([ $cc, '-I', 'src/trainer', '-I', $includedir, '-I', $serverdir, '-o', "$dir/epoch_iso",
		"$dir/epoch_iso.c", "-L$pkglibdir", '-lpgcommon', '-lpgport', '-ljansson', '-lm' ],
		'epoch_iso compiles alone');
	my %cases = (
		'1704067200.25' => '2024-01-01T00:00:00.250000Z',
		'1704067200.9999996' => '2024-01-01T00:00:01.000000Z',
		'-0.0000001' => '1970-01-01T00:00:00.000000Z',
		'-1.5' => '1969-12-31T23:59:58.500000Z',
		'inf' => 'infinity',
		'-inf' => '-infinity',
		'nan' => 'null');
	my @in = sort keys %cases;
	my $out = '';
	IPC::Run::run([ "$dir/epoch_iso", @in ], '>', \$out);
	is_deeply([ split /\n/, $out ], [ @cases{@in} ],
		'epoch_iso carries a fraction that rounds to a second, and writes infinities');
}

$node->stop;
done_testing();
