# test/t/060_concurrent_inserts.pl
#
# Many sessions insert runs for the same page at once, while other sessions
# finish runs (changing the page's history) and switch the active model:
# every insert succeeds and gets its estimate from one of the models, no
# deadlock, no lost row, and analytics.run_estimate agrees with the runs.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('concurrent');
$node->init;
$node->append_conf('postgresql.conf', "max_connections = 40\ndeadlock_timeout = 100ms\n");
$node->start;

# the extraction and serving scripts, and two models, as in the demo
foreach my $script (qw(schema features serving))
{
	$node->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1',
			'-d', $node->connstr('postgres'), '-f', "extract/$script.sql" ],
		"extract/$script.sql runs");
}
$node->safe_psql(
	'postgres', q{
	INSERT INTO app.workspace VALUES (1, 'w');
	INSERT INTO app.notebook_page VALUES (20, 1, 'busy page');
	INSERT INTO app.block VALUES (1, 20, 'sql', 1), (2, 20, 'writeback', 2);
	CREATE TABLE model_src (name text, j jsonb);
	INSERT INTO model_src VALUES ('one', '{"learner": {"attributes": {}, "feature_names": ["sql_blocks", "historical_avg_duration"], "feature_types": [], "gradient_booster": {"name": "gbtree", "model": {"gbtree_model_param": {"num_parallel_tree": "1", "num_trees": "1", "size_leaf_vector": "0"}, "tree_info": [0], "trees": [{"id": 0, "tree_param": {"num_deleted": "0", "num_feature": "2", "num_nodes": "5", "size_leaf_vector": "0"}, "left_children": [1, 3, -1, -1, -1], "right_children": [2, 4, -1, -1, -1], "parents": [2147483647, 0, 0, 1, 1], "split_indices": [0, 1, 0, 0, 0], "split_conditions": [2.5, 30.0, 100.0, 10.0, 20.0], "default_left": [0, 1, 0, 0, 0], "base_weights": [0.0, 0.0, 0.0, 0.0, 0.0], "loss_changes": [0.0, 0.0, 0.0, 0.0, 0.0], "sum_hessian": [1.0, 1.0, 1.0, 1.0, 1.0]}]}}, "learner_model_param": {"base_score": "5E-1", "boost_from_average": "1", "num_class": "0", "num_feature": "2", "num_target": "1"}, "objective": {"name": "reg:squarederror", "reg_loss_param": {"scale_pos_weight": "1"}}}, "version": [1, 7, 4]}');
	INSERT INTO model_src SELECT 'two', jsonb_set(j, '{learner,learner_model_param,base_score}', '"1E3"') FROM model_src;
	SELECT durpred.install_model(name, convert_to(j::text, 'UTF8'), NULL, name = 'one') FROM model_src ORDER BY name;
});

my $dir = PostgreSQL::Test::Utils::tempdir;
my %scripts = (
	# a new pending run of the busy page
	'insert.sql' => q{INSERT INTO app.noteflow_run (notebook_page_id, workspace_id, status, created_at)
VALUES (20, 1, 'pending', now());
},
	# start and finish one of the page's runs: its history changes
	'finish.sql' => q{UPDATE app.noteflow_run SET status = 'running', started_at = now()
WHERE id = (SELECT min(id) FROM app.noteflow_run WHERE status = 'pending');
UPDATE app.noteflow_run SET status = 'success', finished_at = now() + interval '3 seconds'
WHERE id = (SELECT min(id) FROM app.noteflow_run WHERE status = 'running');
},
	# switch the active model back and forth
	'switch.sql' => q{SELECT durpred.activate_model(CASE WHEN random() < 0.5 THEN 'one' ELSE 'two' END);
},);
my @args;
foreach my $name (sort keys %scripts)
{
	open(my $fh, '>', "$dir/$name") or die "$dir/$name: $!";
	print $fh $scripts{$name};
	close($fh);
	my $weight = { 'insert.sql' => 10, 'finish.sql' => 3, 'switch.sql' => 1 }->{$name};
	push @args, '-f', "$dir/$name\@$weight";
}

# one pgbench thread (-j 1) for its 16 connections: pgbench adds up its
# per-script counts, which the checks below compare the table with, without
# a lock, so that with several threads it can lose a transaction or two
my ($stdout, $stderr);
my $ok = IPC::Run::run(
	[ 'pgbench', '-n', '-c', '16', '-j', '1', '-t', '150', @args, '-d', $node->connstr('postgres') ],
	'>', \$stdout, '2>', \$stderr);
ok($ok, 'pgbench with 16 clients succeeded');
like($stdout, qr/number of failed transactions: 0/, 'no transaction failed');
unlike($stderr, qr/deadlock|ERROR/, 'no deadlock and no error');
note $stdout;

my $transactions = 16 * 150;
my ($inserted) = $stdout =~ /insert\.sql.*?\n\s*- (\d+) transactions/s;
ok(defined $inserted && $inserted > 0, 'inserts were made');

is( $node->safe_psql('postgres', q{SELECT count(*) FROM app.noteflow_run}),
	$inserted, 'every inserted run is there');
is( $node->safe_psql(
		'postgres', q{SELECT count(*) FROM app.noteflow_run WHERE estimated_duration IS NULL}),
	'0', 'every run got an estimate');
is( $node->safe_psql(
		'postgres', q{
		SELECT count(*) FROM app.noteflow_run r
		WHERE EXISTS (SELECT FROM analytics.run_estimate e
					  WHERE e.run_id = r.id AND e.estimated_duration = r.estimated_duration)}),
	$inserted, 'run_estimate records the model of every estimate');
is( $node->safe_psql(
		'postgres', q{
		SELECT count(*) FROM analytics.run_estimate e
		WHERE NOT EXISTS (SELECT FROM app.noteflow_run r WHERE r.id = e.run_id)}),
	'0', 'and logs no estimate of a run that was not written');
is( $node->safe_psql(
		'postgres', q{
		SELECT count(*) FROM app.noteflow_run
		WHERE estimated_completion_at IS DISTINCT FROM
			  COALESCE(started_at, created_at) + estimated_duration * interval '1 second'}),
	'0', 'every completion time is the start plus the estimate');
is($node->safe_psql('postgres', q{SELECT count(DISTINCT model_id) FROM analytics.run_estimate}),
	'2', 'estimates came from both models, as they were switched');
unlike(slurp_file($node->logfile), qr/deadlock detected|WARNING:  durpred/,
	'the server log has no deadlock and no scoring warning');

$node->stop;
done_testing();
