# test/t/140_citus.pl
#
# durpred on Citus: a coordinator with two workers, and a plain server with
# the same data for comparison.  extract/schema.sql, extract/citus.sql, then
# the other scripts unchanged on the coordinator; the training sets, the
# estimates the trigger writes for 200 new runs inserted through the
# coordinator, the scored queue, the features of single runs and, once the
# runs finish, the accuracy of the estimates must be the same as the plain
# server's, to the bit.  One registry: a model installed, activated or
# deactivated on the coordinator is on every node, or the change fails.  A
# layout the trigger cannot follow gives a WARNING per insert, and the rows
# are written.
#
# Needs a PostgreSQL 15 with Citus and this tree's durpred: the installation
# named by DURPRED_CITUS_INSTALL (its bin/ and lib/; make test makes one with
# scripts/citus-install.sh), else the installed PostgreSQL when Citus is in it;
# skipped otherwise.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# make test could not build or install Citus: a failure, not a skip
if ($ENV{DURPRED_CITUS_ERROR})
{
	fail($ENV{DURPRED_CITUS_ERROR});
	done_testing();
	exit;
}
my $install = $ENV{DURPRED_CITUS_INSTALL};
if (!$install)
{
	my $pkglibdir = `pg_config --pkglibdir`;
	chomp $pkglibdir;
	plan skip_all =>
	  'Citus is not installed for PostgreSQL 15 (make test builds it from ../shared/vendor/citus-13.0.5.tar.xz)'
	  unless -f "$pkglibdir/citus.so";
}

# a node, with Citus loaded unless plain
sub new_node
{
	my ($name, $citus) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name, $install ? (install_path => $install) : ());
	$node->init;
	$node->append_conf('postgresql.conf',
		"max_prepared_transactions = 50\nmax_connections = 60\nfsync = off\n"
		  . ($citus ? "shared_preload_libraries = 'citus'\n" : ''));
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION citus') if $citus;
	return $node;
}

my $coord = new_node('coordinator', 1);
my @workers = (new_node('worker1', 1), new_node('worker2', 1));
my $plain = new_node('plain', 0);
$coord->safe_psql('postgres',
	"SELECT citus_set_coordinator_host('" . $coord->host . "', " . $coord->port . ')');
$coord->safe_psql('postgres',
	"SELECT citus_add_node('" . $_->host . "', " . $_->port . ')') foreach @workers;
is($coord->safe_psql('postgres', 'SELECT count(*) FROM pg_dist_node WHERE groupid > 0'),
	'2', 'the coordinator has two workers');

# runs a script of extract/ with psql; returns its stderr
sub script
{
	my ($node, $script, @vars) = @_;
	my ($stdout, $stderr);
	my $ok = IPC::Run::run(
		[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', (map { ('-v', $_) } @vars),
			'-d', $node->connstr('postgres'), '-f', "extract/$script.sql" ],
		'>', \$stdout, '2>', \$stderr);
	ok($ok, "extract/$script.sql runs on " . $node->name) or diag $stderr;
	return $stderr;
}

# the layout, and the same data on both
script($coord, 'schema');
script($coord, 'citus');
is(script($coord, 'citus'), '', 'extract/citus.sql runs again, quietly');
is( $coord->safe_psql(
		'postgres', q{
	SELECT string_agg(logicalrelid::text || ':' || partmethod::text || ':' ||
					  CASE WHEN partmethod = 'h' THEN (colocationid = (SELECT colocationid FROM pg_dist_partition
																	   WHERE logicalrelid = 'app.noteflow_run'::regclass))::text
						   ELSE '-' END, ' ' ORDER BY logicalrelid::text)
	FROM pg_dist_partition WHERE logicalrelid::text LIKE 'app.%'}),
	'app.block:h:true app.notebook_page:h:true app.noteflow_run:h:true app.workspace:n:-',
	'the app tables: a reference table and three co-located distributed tables');
script($plain, 'schema');
foreach my $node ($coord, $plain)
{
	is(script($node, 'demo_data', 'runs=20000'), '', 'extract/demo_data.sql warns of nothing on ' . $node->name);
	script($node, 'features');
}

# one query's answer on both, as text
sub same
{
	my ($query, $what) = @_;
	my $c = $coord->safe_psql('postgres', $query);
	my $p = $plain->safe_psql('postgres', $query);
	is($c, $p, $what);
	return $c;
}

my $digest = same(
	q{SELECT count(*) || ' ' || md5(string_agg(f::text, ',' ORDER BY run_id)) FROM analytics.run_features f},
	'the training sets are identical');
like($digest, qr/^20000 /, 'of 20,000 runs');
same(q{SELECT md5(string_agg(f::text, ',' ORDER BY run_id)) FROM analytics.pending_run_features f},
	'pending_run_features is identical');
same(q{SELECT md5(string_agg(analytics.run_features_for(id)::text, ',' ORDER BY id))
	   FROM generate_series(19985, 20030) id},
	'run_features_for is identical, finished and queued runs');

# durpred.run_history's result does not depend on the order of its input
# (exact totals in microseconds): the same per page whichever order the
# rows come in, and whichever node aggregates them
is( $plain->safe_psql(
		'postgres', q{
	SELECT count(*) FILTER (WHERE h1::text <> h2::text OR h1::text <> h3::text)
	FROM (SELECT durpred.run_history(duration_seconds, failed ORDER BY duration_seconds) AS h1,
				 durpred.run_history(duration_seconds, failed ORDER BY md5(run_id::text)) AS h2,
				 durpred.run_history(duration_seconds, failed ORDER BY run_id DESC) AS h3
		  FROM analytics.run_outcomes GROUP BY page_id) s}),
	'0', 'run_history gives the same in three orders of its input, for every page');
same(q{SELECT md5(string_agg(page_id || ' ' || h::text, ',' ORDER BY page_id))
	   FROM (SELECT page_id, durpred.run_history(duration_seconds, failed) AS h
			 FROM analytics.run_outcomes GROUP BY page_id) s},
	'run_history per page is identical, aggregated on the shards');

# a model trained on the plain server, installed on both
my $dir = PostgreSQL::Test::Utils::tempdir;
$plain->command_ok(
	[ 'durpred-train', '-q', '-d', $plain->connstr('postgres'), '--rounds', '20', '--threads', '1',
		'-s', 'SELECT * FROM analytics.run_features WHERE run_id % 4 = 0', '-o', $dir ],
	'durpred-train trains on the plain server');
foreach my $node ($coord, $plain)
{
	my $id = $node->safe_psql('postgres',
		"SELECT durpred.install_model('citus', pg_read_binary_file('$dir/model.json'), activate => true)");
	is($id, '1', 'the model is model 1 on ' . $node->name);
}
my $sha = $plain->safe_psql('postgres', q{SELECT encode(sha256, 'hex') FROM durpred.model WHERE active});
is( $coord->safe_psql(
		'postgres',
		q{SELECT count(*) || ' ' || count(DISTINCT model_id) || ' ' || min(model_id) || ' ' || min(sha256) || ' ' || max(sha256)
		  FROM analytics.cluster_models()}),
	"3 1 1 $sha $sha",
	'every node reports model 1 active, with the same sha256');

# serving: 200 runs through the coordinator, the same 200 on the plain server
foreach my $node ($coord, $plain)
{
	is(script($node, 'serving'), '', 'extract/serving.sql warns of nothing on ' . $node->name);
}
my $insert = q{
	INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at, started_at)
	SELECT 100000 + g, 1 + (g * 37) % 750, 1, CASE WHEN g % 3 = 0 THEN 'running' ELSE 'pending' END,
		   timestamptz '2026-01-31 12:00:00+00' + g * interval '1 minute',
		   CASE WHEN g % 3 = 0 THEN timestamptz '2026-01-31 12:00:30+00' + g * interval '1 minute' END
	FROM generate_series(1, 200) g};
foreach my $node ($coord, $plain)
{
	my ($ret, $stdout, $stderr) = $node->psql('postgres', $insert);
	is($ret, 0, '200 runs inserted on ' . $node->name);
	is($stderr, '', 'without a warning on ' . $node->name);
}
is( $coord->safe_psql(
		'postgres', q{SELECT count(estimated_duration) FROM app.noteflow_run WHERE id > 100000}),
	'200', 'the trigger estimated all 200 on the workers');
same(q{SELECT md5(string_agg(id || ' ' || estimated_duration::text || ' ' || estimated_completion_at, ',' ORDER BY id))
	   FROM app.noteflow_run WHERE id > 100000},
	'the 200 estimates and completions are identical');
same(q{SELECT count(*) || ' ' || md5(string_agg(run_id || ' ' || model_id || ' ' || estimated_duration::text, ',' ORDER BY run_id))
	   FROM analytics.run_estimate},
	'the estimate logs are identical');
is( $coord->safe_psql(
		'postgres', q{SELECT count(*) FROM citus_shards WHERE table_name = 'analytics.run_estimate'::regclass
					  AND colocation_id = (SELECT colocationid FROM pg_dist_partition
										   WHERE logicalrelid = 'app.noteflow_run'::regclass)}),
	$coord->safe_psql(
		'postgres', q{SELECT count(*) FROM citus_shards WHERE table_name = 'app.noteflow_run'::regclass}),
	'the estimate log is co-located with the runs');
same(q{SELECT count(*) || ' ' || md5(string_agg(e::text, ',' ORDER BY n))
	   FROM (SELECT e, row_number() OVER () AS n FROM analytics.pending_run_estimates e) e},
	'pending_run_estimates is identical, in the same order');
same(q{SELECT md5(string_agg(f::text, ',' ORDER BY run_id)) FROM analytics.pending_run_features f},
	'pending_run_features is identical with the new runs');

# the runs finish (immutable arithmetic: Citus sends the expressions to the shards)
foreach my $node ($coord, $plain)
{
	$node->safe_psql(
		'postgres', q{
		UPDATE app.noteflow_run
		SET status = CASE WHEN id % 7 = 0 THEN 'failed' ELSE 'success' END,
			started_at = COALESCE(started_at, ((created_at AT TIME ZONE 'UTC') + interval '1 second') AT TIME ZONE 'UTC'),
			finished_at = ((COALESCE(started_at, ((created_at AT TIME ZONE 'UTC') + interval '1 second') AT TIME ZONE 'UTC')
							AT TIME ZONE 'UTC') + (id % 50) * interval '1.37 second') AT TIME ZONE 'UTC'
		WHERE id > 100000});
}
my $accuracy = same(q{SELECT string_agg(a::text, E'\n' ORDER BY week, model_id) FROM analytics.prediction_accuracy a},
	'prediction_accuracy is identical');
like($accuracy, qr/^\(2026-01-26,1,citus,1,200,/, 'it counts the 200 estimates of model 1');

# one registry: every change on the coordinator reaches every node
sub active_models
{
	return $coord->safe_psql('postgres',
		q{SELECT string_agg(COALESCE(model_id::text, 'none') || '/' || models, ' ' ORDER BY nodeport)
		  FROM analytics.cluster_models()});
}
$coord->safe_psql('postgres',
	"SELECT durpred.install_model('citus', pg_read_binary_file('$dir/model.json'), info => '{\"note\": \"second\"}')");
is(active_models(), '1/2 1/2 1/2', 'a second model is on every node, model 1 still active');
$coord->safe_psql('postgres', "SELECT durpred.activate_model('citus')");
is(active_models(), '2/2 2/2 2/2', 'activating model 2 reaches every node');
$coord->safe_psql('postgres', 'SELECT durpred.deactivate_model()');
is(active_models(), 'none/2 none/2 none/2', 'deactivating reaches every node');
$coord->safe_psql('postgres', 'BEGIN; SELECT durpred.activate_model(1); ROLLBACK');
is(active_models(), 'none/2 none/2 none/2', 'a rolled back activation changes no node');
$coord->safe_psql('postgres', 'SELECT durpred.activate_model(1)');
is(active_models(), '1/2 1/2 1/2', 'model 1 active again everywhere');
# a session's durpred.model is the coordinator's alone; SET LOCAL reaches
# the workers where Citus propagates it
is( $coord->safe_psql(
		'postgres', q{SET durpred.model = 'citus';
		SELECT durpred.current_model_id() || ' ' || array_agg(DISTINCT durpred.current_model_id())::text
		FROM app.noteflow_run}),
	'2 {1}', 'SET durpred.model: the coordinator scores with model 2, the workers with the active model 1');
is( $coord->safe_psql(
		'postgres', q{SET citus.propagate_set_commands = 'local';
		BEGIN;
		SET LOCAL durpred.model = 'citus';
		SELECT durpred.current_model_id() || ' ' || array_agg(DISTINCT durpred.current_model_id())::text
		FROM app.noteflow_run;
		COMMIT}),
	'2 {2}', 'SET LOCAL durpred.model with citus.propagate_set_commands = local: every node scores with model 2');
is( $workers[0]->safe_psql('postgres', q{SELECT string_agg(id || ':' || encode(sha256, 'hex') || ':' || COALESCE(info->>'note', ''), ' ' ORDER BY id) FROM durpred.model}),
	$coord->safe_psql('postgres', q{SELECT string_agg(id || ':' || encode(sha256, 'hex') || ':' || COALESCE(info->>'note', ''), ' ' ORDER BY id) FROM durpred.model}),
	'a worker holds the same ids, bytes and info as the coordinator');

# a worker down: the change fails, and no node has it
$workers[1]->stop;
my ($ret, $stdout, $stderr) = $coord->psql('postgres',
	"SELECT durpred.install_model('citus', pg_read_binary_file('$dir/model.json'), activate => true)");
isnt($ret, 0, 'installing a model with a worker down fails');
$workers[1]->start;
is(active_models(), '1/2 1/2 1/2', 'and no node has it');

# a layout the trigger cannot follow: a WARNING per insert, rows written
$coord->safe_psql(
	'postgres', q{
	ALTER TABLE app.block DROP CONSTRAINT block_notebook_page_id_fkey;
	SELECT update_distributed_table_colocation('app.block', colocate_with => 'none')});
($ret, $stdout, $stderr) = $coord->psql(
	'postgres', q{
	INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at)
	SELECT 300000 + g, g, 1, 'pending', now() FROM generate_series(1, 5) g});
is($ret, 0, 'inserting runs with app.block not co-located succeeds');
my @warnings = $stderr =~ /WARNING:  durpred: no estimate for run (\d+): .*app\.block is not co-located with app\.noteflow_run/g;
is(join(' ', sort @warnings), '300001 300002 300003 300004 300005', 'a WARNING for each of the five, with the reason');
is( $coord->safe_psql(
		'postgres', q{SELECT count(*) || ' ' || count(estimated_duration) FROM app.noteflow_run WHERE id > 300000}),
	'5 0', 'the five rows are written, without estimates');

# the log not co-located: the estimate is written, the log's failure is a WARNING
$coord->safe_psql('postgres',
	q{SELECT update_distributed_table_colocation('app.block', colocate_with => 'app.noteflow_run');
	  SELECT update_distributed_table_colocation('analytics.run_estimate', colocate_with => 'none')});
($ret, $stdout, $stderr) = $coord->psql(
	'postgres', q{
	INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at)
	SELECT 400000 + g, g, 1, 'pending', now() FROM generate_series(1, 3) g});
is($ret, 0, 'inserting runs with the log not co-located succeeds');
@warnings = $stderr =~ /WARNING:  durpred: the estimate of run (\d+) is not logged: .*run_estimate is not co-located/g;
is(join(' ', sort @warnings), '400001 400002 400003', 'a WARNING for each of the three');
is( $coord->safe_psql(
		'postgres', q{SELECT count(estimated_duration) FROM app.noteflow_run WHERE id > 400000}),
	'3', 'the three rows are written with their estimates');

done_testing();
