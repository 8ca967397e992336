# test/t/040_standby_dump.pl
#
# The registry on a hot standby and through pg_dump:
# - a standby scores with the model replicated from the primary, and an open
#   standby session follows a new activation at its next statement;
# - installing or activating on the standby is refused with 25006;
# - pg_dump carries the models, versions, active flag and id sequence, and
#   the restored database scores identically, its serving trigger too;
# - the per-page history summary survives pg_dump and restore, its triggers
#   keep working there, and a standby reads it.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $model = q{
{"learner": {"attributes": {}, "feature_names": ["sql_blocks", "historical_avg_duration"], "feature_types": [],
 "gradient_booster": {"name": "gbtree", "model": {"gbtree_model_param": {"num_parallel_tree": "1", "num_trees": "1", "size_leaf_vector": "0"},
 "tree_info": [0], "trees": [{"id": 0, "tree_param": {"num_deleted": "0", "num_feature": "2", "num_nodes": "5", "size_leaf_vector": "0"},
 "left_children": [1, 3, -1, -1, -1], "right_children": [2, 4, -1, -1, -1], "parents": [2147483647, 0, 0, 1, 1],
 "split_indices": [0, 1, 0, 0, 0], "split_conditions": [2.5, 30.0, 100.0, 10.0, 20.0], "default_left": [0, 1, 0, 0, 0],
 "base_weights": [0.0, 0.0, 0.0, 0.0, 0.0], "loss_changes": [0.0, 0.0, 0.0, 0.0, 0.0], "sum_hessian": [1.0, 1.0, 1.0, 1.0, 1.0]}]}},
 "learner_model_param": {"base_score": "BASE", "boost_from_average": "1", "num_class": "0", "num_feature": "2", "num_target": "1"},
 "objective": {"name": "reg:squarederror", "reg_loss_param": {"scale_pos_weight": "1"}}},
 "version": [1, 7, 4]}};
my $score = q{SELECT durpred.predict_duration(sql_blocks => 1, historical_avg_duration => 5)};

# the tiny model with a given base_score, as install_model's arguments
sub install_sql
{
	my ($name, $base, $activate) = @_;
	(my $text = $model) =~ s/BASE/$base/;
	$text =~ s/\n//g;
	return "SELECT durpred.install_model('$name', convert_to('$text', 'UTF8'), NULL, $activate)";
}

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION durpred');
$primary->safe_psql('postgres', install_sql('one', '5E-1', 'true'));
is($primary->safe_psql('postgres', $score), '10.5', 'the primary scores');

$primary->backup('backup');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'backup', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby);

is($standby->safe_psql('postgres', $score), '10.5', 'the standby scores with the replicated model');
is($standby->safe_psql('postgres', 'SELECT durpred.model_loaded()'), 't', 'the standby health check passes');

# refused during recovery: 25006
my ($ret, $out, $err) = $standby->psql('postgres', install_sql('two', '1E3', 'false'));
isnt($ret, 0, 'installing on the standby fails');
like($err, qr/cannot execute durpred\.install_model\(\) (in a read-only transaction|during recovery)/,
	'installing on the standby is refused with a clear message');
($ret, $out, $err) = $standby->psql('postgres', q{\set VERBOSITY sqlstate
SELECT durpred.install_model('x', '\x00'::bytea)});
like($err, qr/25006/, 'the refusal is SQLSTATE 25006');
($ret, $out, $err) = $standby->psql('postgres', q{SELECT durpred.activate_model(1)});
like($err, qr/during recovery|read-only transaction/, 'activating on the standby is refused');

# an open standby session follows an activation on the primary
my $session = $standby->background_psql('postgres');
is($session->query_safe($score), '10.5', 'a standby session scores');
$primary->safe_psql('postgres', install_sql('two', '1E3', 'true'));
$primary->wait_for_catchup($standby);
is($session->query_safe($score), '1010', 'the same standby session scores with the new model');
$session->quit;

# pg_dump and restore into a new database, with the serving trigger and a
# page to score
$primary->safe_psql('postgres', install_sql('two', '2E3', 'false'));
foreach my $script (qw(schema features serving))
{
	$primary->command_ok(
		[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $primary->connstr('postgres'),
			'-f', "extract/$script.sql" ],
		"extract/$script.sql runs");
}
$primary->safe_psql(
	'postgres', q{
	INSERT INTO app.workspace VALUES (1, 'w');
	INSERT INTO app.notebook_page VALUES (20, 1, 'daily');
	INSERT INTO app.block VALUES (1, 20, 'sql', 1);
	INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at, started_at, finished_at)
	SELECT 100 + g, 20, 1, CASE WHEN g % 4 = 0 THEN 'failed' ELSE 'success' END,
		   '2025-05-01'::timestamptz + g * interval '1 hour', '2025-05-01'::timestamptz + g * interval '1 hour',
		   '2025-05-01'::timestamptz + g * interval '1 hour' + g * interval '1.5 second'
	FROM generate_series(1, 25) g;
});
my $summary = q{SELECT string_agg(h::text, ',' ORDER BY page_id) FROM analytics.page_history_summary h};
my $features_agree = q{SELECT durpred.page_features(20, now()) = analytics.features_as_of(20, now())
	AND (durpred.page_features(20, now())).historical_run_count = 25};
is($primary->safe_psql('postgres', $features_agree), 't',
	'the history summary gives the features of the SQL definition');
my $dump = $primary->basedir . '/registry.dump';
$primary->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $primary->connstr('postgres') ],
	'pg_dump of a database with models');
$primary->safe_psql('postgres', 'CREATE DATABASE restored');
$primary->command_ok([ 'pg_restore', '-d', $primary->connstr('restored'), $dump ],
	'pg_restore of it');
my $registry = q{SELECT string_agg(id || ':' || name || ':' || version || ':' || active || ':' || sha256, ',' ORDER BY id) FROM durpred.models};
is($primary->safe_psql('restored', $registry), $primary->safe_psql('postgres', $registry),
	'the restored registry is identical');
is($primary->safe_psql('restored', $score), '1010', 'the restored database scores with the active model');
my $run = q{INSERT INTO app.noteflow_run (id, notebook_page_id, workspace_id, status, created_at)
VALUES (1, 20, 1, 'pending', '2025-06-02 09:00+00')
RETURNING estimated_duration};
is($primary->safe_psql('restored', $run), '1010',
	'the restored trigger estimates a new run with the active model');
is($primary->safe_psql('restored', q{SELECT model_id || ' ' || estimated_duration FROM analytics.run_estimate}),
	'2 1010', 'and logs the estimate with its model');
is($primary->safe_psql('restored', install_sql('three', '5E-1', 'false')), '4',
	'ids continue after the restored ones');

# the history summary: restored as it was, complete, kept by the restored
# triggers, and read on the standby
is($primary->safe_psql('restored', $summary), $primary->safe_psql('postgres', $summary),
	'the restored history summary is identical');
is($primary->safe_psql('restored', $features_agree), 't',
	'the restored summary gives the features of the SQL definition');
$primary->safe_psql('restored',
	q{UPDATE app.noteflow_run SET status = 'success', started_at = created_at,
		 finished_at = created_at + interval '1 minute' WHERE id = 1});
is($primary->safe_psql('restored', q{SELECT runs || ' ' || complete FROM analytics.page_history_summary WHERE page_id = 20}),
	'26 true', 'the restored triggers keep the summary up to date');
$primary->wait_for_catchup($standby);
is($standby->safe_psql('postgres', $features_agree), 't',
	'a standby reads the replicated summary and gives the same features');

$standby->stop;
$primary->stop;
done_testing();
