# test/t/070_demo.pl
#
# The demo pipeline end to end at a small size (scripts/demo.sh with 3,000
# runs, in a database given by PGDATABASE): the model is installed and
# active, every queued run is estimated, the accuracy view has rows once
# the queued runs finish, the artifacts are written; a second run works;
# the demo refuses a database whose app schema it did not create; and the
# extraction asks for ALTER EXTENSION ... UPDATE on an extension at 0.1.0.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('demo');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE demo');

local $ENV{PGHOST} = $node->host;
local $ENV{PGPORT} = $node->port;
local $ENV{PGDATABASE} = 'demo';
local $ENV{DEMO_RUNS} = 3000;
local $ENV{DEMO_SKIP_INSTALL} = 1;
my $out = PostgreSQL::Test::Utils::tempdir;
local $ENV{DEMO_OUTPUT} = $out;

my ($stdout, $stderr);
IPC::Run::run([ 'scripts/demo.sh' ], '>', \$stdout, '2>', \$stderr);
is($?, 0, 'the demo runs') or diag($stderr);
foreach my $step ('creating the extension', 'generating the demo production data',
	'building the training set', 'exporting the training set', 'training:',
	'installing the serving trigger', 'inserting five new runs', 'done')
{
	like($stdout, qr/\[\s*[\d.]+ s\] \Q$step\E/, "the demo reports the step \"$step\" with its time");
}
like($stdout, qr/XGBoost\s+\|.*\nHistorical median/s, 'it shows the model comparison');
like($stdout, qr/Installed as model "demo", id \d+, active/, 'it installs the model');

is($node->safe_psql('demo', q{SELECT name || ' ' || active FROM durpred.models}), 'demo true',
	'the model is installed and active');
is($node->safe_psql('demo', q{SELECT count(*) FROM analytics.run_features}), '3000',
	'the training set has every run');
is($node->safe_psql('demo',
		q{SELECT count(*) FROM app.noteflow_run WHERE created_at >= now() - interval '10 minutes'
		  AND estimated_duration IS NOT NULL}),
	'5', 'the five new runs have estimates');
# the runs outside the training set: the generated queue and the new ones
is($node->safe_psql('demo',
		q{SELECT count(*) >= 50 AND count(*) = count(estimated_duration)
		  FROM app.noteflow_run r
		  WHERE NOT EXISTS (SELECT 1 FROM analytics.run_features f WHERE f.run_id = r.id)}),
	't', 'every queued run was estimated');
# (a queued run of a page without history has no duration to finish with)
is($node->safe_psql('demo',
		q{SELECT s.runs >= 50 AND s.runs = f.runs
		  FROM (SELECT sum(runs) AS runs FROM analytics.prediction_accuracy) s,
			   (SELECT count(*) AS runs FROM app.noteflow_run r
				WHERE r.status IN ('success', 'failed')
				  AND NOT EXISTS (SELECT 1 FROM analytics.run_features f WHERE f.run_id = r.id)) f}),
	't', 'the accuracy view counts every one of them that finished');
is($node->safe_psql('demo',
		q{SELECT count(*) FROM analytics.prediction_accuracy WHERE model_name IS DISTINCT FROM 'demo'}),
	'0', 'every estimate is attributed to the demo model');
is($node->safe_psql('demo', q{SELECT durpred.model_loaded()}), 't', 'the health check passes');
ok(-s "$out/model.json" && -s "$out/model_info.json" && -s "$out/data.csv",
	'the artifacts are in DEMO_OUTPUT');
is((() = slurp_file("$out/data.csv") =~ /\n/g), 3001, 'data.csv has a header and 3,000 rows');

# a second run replaces the data and installs version 2
IPC::Run::run([ 'scripts/demo.sh' ], '>', \$stdout, '2>', \$stderr);
is($?, 0, 'the demo runs a second time') or diag($stderr);
is($node->safe_psql('demo', q{SELECT string_agg(version || ':' || active, ',' ORDER BY version) FROM durpred.models}),
	'1:false,2:true', 'the second run installs and activates version 2');

# a database with an app schema of its own is left alone
$node->safe_psql('postgres', 'CREATE DATABASE production');
$node->safe_psql('production', 'CREATE SCHEMA app; CREATE TABLE app.noteflow_run (id bigint); INSERT INTO app.noteflow_run VALUES (1)');
{
	local $ENV{PGDATABASE} = 'production';
	IPC::Run::run([ 'scripts/demo.sh' ], '>', \$stdout, '2>', \$stderr);
	is($? >> 8, 1, 'the demo refuses a database whose app schema it did not create');
	like($stderr, qr/has schema app that the demo did not create/, 'with a clear message');
}
is($node->safe_psql('production', 'SELECT count(*) FROM app.noteflow_run'), '1', 'and leaves it untouched');

# so is one with an analytics schema of its own, or models of its own
$node->safe_psql('postgres', 'CREATE DATABASE warehouse');
$node->safe_psql('warehouse', 'CREATE SCHEMA analytics');
{
	local $ENV{PGDATABASE} = 'warehouse';
	IPC::Run::run([ 'scripts/demo.sh' ], '>', \$stdout, '2>', \$stderr);
	is($? >> 8, 1, 'the demo refuses a database whose analytics schema it did not create');
	like($stderr, qr/has schema analytics that the demo did not create/, 'saying which');
}
$node->safe_psql('postgres', 'CREATE DATABASE scoring');
$node->safe_psql('scoring', 'CREATE EXTENSION durpred');
my $bytes = $node->safe_psql('demo', q{SELECT encode(durpred.export_model(2), 'base64')});
$node->safe_psql('scoring',
	qq{SELECT durpred.install_model('duration', decode('$bytes', 'base64'), NULL, true)});
{
	local $ENV{PGDATABASE} = 'scoring';
	IPC::Run::run([ 'scripts/demo.sh' ], '>', \$stdout, '2>', \$stderr);
	is($? >> 8, 1, 'the demo refuses a database with models of its own');
	like($stderr, qr/has 1 durpred model\(s\) of its own/, 'saying so');
}
is($node->safe_psql('scoring', q{SELECT name || ' ' || active FROM durpred.models}), 'duration true',
	'and leaves its active model alone');

# an extension older than a script needs: the script stops, says which
# version it found and how to update, and runs once it is updated
sub psql_file
{
	my ($db, $file) = @_;
	IPC::Run::run([ 'psql', '-X', '-q', '-d', $db, '-f', $file ], '>', \$stdout, '2>', \$stderr);
	return $?;
}
sub refused_until_updated
{
	my ($db, $version, $file, $needs) = @_;
	isnt(psql_file($db, $file), 0, "$file stops on an extension at $version, older than $needs");
	like($stderr, qr/the durpred extension of this database is version \Q$version\E, older than \Q$file\E/,
		'saying which version it found');
	like($stderr, qr/HINT:\s+ALTER EXTENSION durpred UPDATE/, 'and how to update it');
	$node->safe_psql($db, 'ALTER EXTENSION durpred UPDATE');
	is( $node->safe_psql(
			$db, q{SELECT e.extversion = a.default_version
				   FROM pg_extension e JOIN pg_available_extensions a ON a.name = e.extname
				   WHERE e.extname = 'durpred'}),
		't', "ALTER EXTENSION durpred UPDATE brings $version to the installed default version");
	is(psql_file($db, $file), 0, "after ALTER EXTENSION durpred UPDATE $file runs") or diag($stderr);
}

# at 0.1.0 the extraction needs durpred.run_duration_us (0.5.0)
$node->safe_psql('postgres', 'CREATE DATABASE older');
$node->safe_psql('older', q{CREATE EXTENSION durpred VERSION '0.1.0'});
is(psql_file('older', 'extract/schema.sql'), 0,
	'the production tables are created beside an extension at 0.1.0') or diag($stderr);
refused_until_updated('older', '0.1.0', 'extract/features.sql', '0.5.0');

# at 0.2.0 likewise; once updated, the extraction and the serving objects run
$node->safe_psql('postgres', 'CREATE DATABASE at020');
$node->safe_psql('at020', q{CREATE EXTENSION durpred VERSION '0.2.0'});
is(psql_file('at020', 'extract/schema.sql'), 0, 'the production tables beside an extension at 0.2.0')
  or diag($stderr);
refused_until_updated('at020', '0.2.0', 'extract/features.sql', '0.5.0');
is(psql_file('at020', 'extract/serving.sql'), 0, 'the serving objects run after the update')
  or diag($stderr);

# at 0.3.0, with the serving objects of that version (a plpgsql trigger, a
# log keyed by run, model and estimate): serving.sql, whose trigger is
# durpred.estimate_completion (0.4.0), says how to update, and once updated
# (and the extraction run) attaches the C trigger, drops the plpgsql
# function and keeps the log's rows, without the key (the log appends from
# then on)
$node->safe_psql('postgres', 'CREATE DATABASE at030');
$node->safe_psql('at030', q{CREATE EXTENSION durpred VERSION '0.3.0'});
is(psql_file('at030', 'extract/schema.sql'), 0, 'the production tables beside an extension at 0.3.0')
  or diag($stderr);
$node->safe_psql(
	'at030', q{
	CREATE SCHEMA analytics;
	CREATE TABLE analytics.run_estimate (
		run_id bigint NOT NULL,
		model_id bigint NOT NULL,
		estimated_duration float8 NOT NULL,
		estimated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
		PRIMARY KEY (run_id, estimated_duration, model_id));
	INSERT INTO analytics.run_estimate VALUES (1, 1, 10.5, '2025-06-02 09:00+00');
	CREATE FUNCTION analytics.estimate_completion() RETURNS trigger
	LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
	CREATE TRIGGER estimate_completion
		BEFORE INSERT OR UPDATE OF status, started_at ON app.noteflow_run
		FOR EACH ROW WHEN (NEW.status IN ('pending', 'running'))
		EXECUTE FUNCTION analytics.estimate_completion();
});
isnt(psql_file('at030', 'extract/serving.sql'), 0, 'extract/serving.sql stops on an extension at 0.3.0');
like($stderr, qr/the durpred extension of this database is version 0\.3\.0, older than extract\/serving\.sql/,
	'saying which version it found');
refused_until_updated('at030', '0.3.0', 'extract/features.sql', '0.5.0');
is(psql_file('at030', 'extract/serving.sql'), 0, 'after the update extract/serving.sql runs')
  or diag($stderr);
is( $node->safe_psql(
		'at030', q{SELECT tgfoid::regprocedure FROM pg_trigger
				   WHERE tgrelid = 'app.noteflow_run'::regclass AND tgname = 'estimate_completion'}),
	'durpred.estimate_completion()',
	'the trigger is durpred.estimate_completion');
is($node->safe_psql('at030', q{SELECT to_regprocedure('analytics.estimate_completion()') IS NULL}),
	't', 'the plpgsql trigger function is dropped');
is($node->safe_psql('at030', q{SELECT run_id || ' ' || estimated_duration FROM analytics.run_estimate}),
	'1 10.5', 'the log keeps its rows');
is( $node->safe_psql(
		'at030', q{SELECT count(*) FROM pg_constraint
				   WHERE conrelid = 'analytics.run_estimate'::regclass AND contype = 'p'}),
	'0', 'and no longer has the key');

$node->stop;
done_testing();
