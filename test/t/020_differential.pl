# test/t/020_differential.pl
#
# Differential test of the compiled evaluator: models trained by Debian's
# python3-xgboost (1 to 500 trees, depth 1 to 12, pruned trees with deleted
# nodes, every allowlisted objective, a subset of features in another order,
# an unnamed model, a forest) predict, through every form of
# predict_duration and saved as JSON and as UBJSON, exactly what XGBoost
# predicts: float8 equality after the float32 result, on 3,000 rows with
# 20 % missing values and values far outside the training range.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $python = '/usr/bin/python3';
if (system("$python -c 'import xgboost' >/dev/null 2>&1") != 0)
{
	plan skip_all => 'python3-xgboost is not installed';
}

my $dir = PostgreSQL::Test::Utils::tempdir;
system_or_bail($python, 'test/t/xgb_models.py', $dir, '--rows', '3000');

my $node = PostgreSQL::Test::Cluster->new('differential');
$node->init;
$node->start;
$node->safe_psql('postgres', q{CREATE EXTENSION durpred});

my @features = qw(start_hour day_of_week month is_weekend is_business_hours
  total_blocks sql_blocks tableau_blocks email_blocks slack_blocks
  parameter_blocks code_blocks plotly_blocks kpi_blocks api_blocks
  writeback_blocks conditional_blocks loop_blocks ai_blocks storage_blocks
  historical_run_count historical_avg_duration historical_median_duration
  historical_stddev_duration historical_failure_rate);
my $named_args = join(', ', map { "$_ => p.$_" } @features);

$node->safe_psql(
	'postgres', qq{
	CREATE TABLE probe (id int PRIMARY KEY, LIKE durpred.features);
	COPY probe FROM '$dir/rows.csv' WITH (FORMAT csv, HEADER);
	CREATE TABLE models (name text, file text, format text, n_trees int);
	COPY models FROM '$dir/models.csv' WITH (FORMAT csv, HEADER);
	CREATE TABLE expected (model text, id int, prediction text,
		clamped float8 GENERATED ALWAYS AS (greatest(prediction::float4::float8, 0)) STORED);
	COPY expected (model, id, prediction) FROM '$dir/expected.csv' WITH (FORMAT csv, HEADER);
});

is($node->safe_psql('postgres', 'SELECT count(*) FROM probe'), '3000', 'rows to score loaded');
cmp_ok($node->safe_psql('postgres', q{SELECT count(*) FROM probe WHERE historical_avg_duration >= 1e6 OR sql_blocks >= 1000}),
	'>', 50, 'many rows are far outside the training range');
cmp_ok($node->safe_psql('postgres', q{SELECT count(*) FROM probe WHERE historical_avg_duration IS NULL}),
	'>', 300, 'many rows have missing values');

my @models = split /\n/,
  $node->safe_psql('postgres', q{SELECT name || '|' || format || '|' || n_trees FROM models ORDER BY name, format});
cmp_ok(scalar(@models), '>=', 30, 'every model saved in both formats');

foreach my $entry (@models)
{
	my ($name, $format, $n_trees) = split /\|/, $entry;
	my $label = "$name ($format, $n_trees trees)";

	my $id = $node->safe_psql(
		'postgres', qq{
		SELECT durpred.install_model('${name}_$format', pg_read_binary_file(file))
		FROM models WHERE name = '$name' AND format = '$format'});
	like($id, qr/^\d+$/, "$label installs");

	is( $node->safe_psql(
			'postgres', qq{
			SELECT durpred.export_model($id) = pg_read_binary_file(file)
			FROM models WHERE name = '$name' AND format = '$format'}),
		't', "$label: export_model returns the installed bytes");

	my $result = $node->safe_psql(
		'postgres', qq{
		SET durpred.model = '${name}_$format';
		SELECT count(*),
			count(*) FILTER (WHERE durpred.predict_duration($named_args) IS DISTINCT FROM e.clamped),
			count(*) FILTER (WHERE durpred.predict_duration(p) IS DISTINCT FROM e.clamped),
			count(*) FILTER (WHERE durpred.predict_duration(to_jsonb(p) - 'id') IS DISTINCT FROM e.clamped),
			count(DISTINCT e.clamped)
		FROM probe p JOIN expected e ON e.id = p.id AND e.model = '$name'});
	my ($rows, $named, $record, $jsonb, $distinct) = split /\|/, $result;
	is($rows, '3000', "$label: every row scored");
	is($named, '0', "$label: named arguments equal XGBoost");
	is($record, '0', "$label: the record form equals XGBoost");
	is($jsonb, '0', "$label: the jsonb form equals XGBoost");
	cmp_ok($distinct, '>', ($n_trees > 1 ? 10 : 1), "$label: predictions vary");

	is( $node->safe_psql(
			'postgres', qq{
			SET durpred.model = '${name}_$format';
			SET durpred.evaluator = xgboost;
			SELECT count(*) FILTER (WHERE durpred.predict_duration(p) IS DISTINCT FROM e.clamped)
			FROM probe p JOIN expected e ON e.id = p.id AND e.model = '$name'
			WHERE p.id < 300}),
		'0', "$label: XGBoost's own predictor agrees row by row");
}

$node->stop;
done_testing();
