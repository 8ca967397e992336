# test/t/110_explain.pl
#
# Differential test of the explanations: for 32 models trained by Debian's
# python3-xgboost (every objective install_model accepts, depths 1 to 12,
# pruned trees, a subset of the features in another order, an unnamed
# model, a forest, up to 500 trees), on 400 rows with 20 % missing values
# and values far outside the training range:
# - durpred.explain_duration gives one row per model input plus
#   'base_value', by descending absolute contribution, base last;
# - every contribution and the base value equal XGBoost's pred_contribs
#   within 1e-4, or 1e-5 of the value;
# - each row's contributions plus the base value equal XGBoost's margin
#   within 1e-3;
# - the three forms (named arguments, record, jsonb) give the same rows;
# - durpred.feature_importance equals get_score for each importance type
#   (1e-4 relative), and has a row of zeros for the inputs no split uses.
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
system_or_bail($python, 'test/t/xgb_contribs.py', $dir, '--rows', '400');

my $node = PostgreSQL::Test::Cluster->new('explain');
$node->init;
$node->start;
$node->safe_psql('postgres', q{CREATE EXTENSION durpred});

# the 25 feature names, in model column order, from the extension
my @features = split /\n/, $node->safe_psql('postgres', q{
	SELECT a.attname FROM pg_attribute a
	WHERE a.attrelid = (SELECT typrelid FROM pg_type WHERE oid = 'durpred.features'::regtype)
	  AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum});
is(scalar(@features), 25, 'durpred.features names 25 features');
my $named_args = join(', ', map { "$_ => p.$_" } @features);

$node->safe_psql(
	'postgres', qq{
	CREATE TABLE probe (id int PRIMARY KEY, LIKE durpred.features);
	COPY probe FROM '$dir/rows.csv' WITH (FORMAT csv, HEADER);
	CREATE TABLE models (name text, file text, objective text, n_trees int, max_depth int);
	COPY models FROM '$dir/models.csv' WITH (FORMAT csv, HEADER);
	CREATE TABLE contribs (model text, id int, feature text, contribution float8);
	COPY contribs FROM '$dir/contribs.csv' WITH (FORMAT csv, HEADER);
	CREATE INDEX ON contribs (model, id, feature);
	CREATE TABLE margins (model text, id int, margin float8);
	COPY margins FROM '$dir/margins.csv' WITH (FORMAT csv, HEADER);
	CREATE INDEX ON margins (model, id);
	CREATE TABLE importance (model text, feature text, weight float8, gain float8,
		total_gain float8, cover float8, total_cover float8);
	COPY importance FROM '$dir/importance.csv' WITH (FORMAT csv, HEADER);
	-- within 1e-4, or 1e-5 of the expected value
	CREATE FUNCTION close(got float8, expected float8) RETURNS bool
	LANGUAGE sql IMMUTABLE AS
	\$\$ SELECT abs(got - expected) <= greatest(1e-4, 1e-5 * abs(expected)) \$\$;
	CREATE FUNCTION close_rel(got float8, expected float8) RETURNS bool
	LANGUAGE sql IMMUTABLE AS
	\$\$ SELECT abs(got - expected) <= 1e-4 * greatest(abs(expected), 1e-30) \$\$;
});

is($node->safe_psql('postgres', 'SELECT count(*) FROM probe'), '400', 'rows to explain loaded');
cmp_ok($node->safe_psql('postgres', q{SELECT count(*) FROM probe WHERE historical_avg_duration IS NULL}),
	'>', 40, 'many rows have missing values');
is( $node->safe_psql(
		'postgres', q{SELECT string_agg(DISTINCT objective, ',' ORDER BY objective) FROM models}),
	'count:poisson,reg:absoluteerror,reg:gamma,reg:pseudohubererror,reg:squarederror,reg:squaredlogerror,reg:tweedie',
	'every objective install_model accepts (reg:linear is saved as reg:squarederror)');
is( $node->safe_psql(
		'postgres', q{SELECT string_agg(d::text, ',' ORDER BY d) FROM (SELECT DISTINCT max_depth FROM models) m(d)}),
	'1,2,3,4,5,6,7,8,9,10,11,12', 'depths 1 to 12');

my @models = split /\n/,
  $node->safe_psql('postgres', q{SELECT name || '|' || n_trees || '|' || objective FROM models ORDER BY name});
cmp_ok(scalar(@models), '>=', 30, 'models to compare');

foreach my $entry (@models)
{
	my ($name, $n_trees, $objective) = split /\|/, $entry;
	my $label = "$name ($objective, $n_trees trees)";

	my $id = $node->safe_psql(
		'postgres', qq{
		SELECT durpred.install_model('$name', pg_read_binary_file(file))
		FROM models WHERE name = '$name'});
	like($id, qr/^\d+$/, "$label installs");
	my $inputs = $node->safe_psql('postgres',
		qq{SELECT n_features FROM durpred.models WHERE id = $id});

	# every row's explanation, with its position
	$node->safe_psql(
		'postgres', qq{
		SET durpred.model = '$name';
		DROP TABLE IF EXISTS got;
		CREATE TABLE got AS
		SELECT p.id, x.n, x.feature, x.value, x.contribution
		FROM probe p, durpred.explain_duration(p) WITH ORDINALITY x(feature, value, contribution, n)});

	my $result = $node->safe_psql(
		'postgres', qq{
		SELECT count(*), count(c.model),
			count(*) FILTER (WHERE NOT close(g.contribution, c.contribution)),
			coalesce(max(abs(g.contribution - c.contribution)), 0),
			count(*) FILTER (WHERE g.contribution <> 0 AND g.feature <> 'base_value'),
			count(DISTINCT g.id)
		FROM got g
		LEFT JOIN contribs c ON c.model = '$name' AND c.id = g.id AND c.feature = g.feature});
	my ($rows, $matched, $differ, $maxdiff, $nonzero, $explained) = split /\|/, $result;
	is($explained, '400', "$label: every row explained");
	is($rows, 400 * ($inputs + 1), "$label: one row per model input, and the base value");
	is($matched, $rows, "$label: the features are the model's inputs");
	is($differ, '0', "$label: contributions and base value equal XGBoost's pred_contribs (largest difference $maxdiff)");
	cmp_ok($nonzero, '>', ($n_trees > 1 ? 400 : 100), "$label: contributions are not all 0");

	is( $node->safe_psql(
			'postgres', qq{
			SELECT count(*) FILTER (WHERE abs(s.total - m.margin) > 1e-3)
			FROM (SELECT id, sum(contribution) AS total FROM got GROUP BY id) s
			JOIN margins m ON m.model = '$name' AND m.id = s.id}),
		'0', "$label: contributions plus base value equal the margin");

	is( $node->safe_psql(
			'postgres', qq{
			SELECT count(*)
			FROM (SELECT g.*, lead(g.feature) OVER w AS next_feature,
						 lead(g.contribution) OVER w AS next_contribution
				  FROM got g WINDOW w AS (PARTITION BY g.id ORDER BY g.n)) g
			WHERE (g.feature = 'base_value') <> (g.n = $inputs + 1)
			   OR (g.feature = 'base_value' AND g.value IS NOT NULL)
			   OR (g.next_feature <> 'base_value' AND abs(g.next_contribution) > abs(g.contribution))}),
		'0', "$label: rows by descending absolute contribution, base value last");

	is( $node->safe_psql(
			'postgres', qq{
			SET durpred.model = '$name';
			SELECT count(*) FROM probe p
			WHERE p.id < 100
			  AND (ARRAY(SELECT row(x.*)::text FROM durpred.explain_duration($named_args) x)
					IS DISTINCT FROM ARRAY(SELECT row(x.*)::text FROM durpred.explain_duration(p) x)
				OR ARRAY(SELECT row(x.*)::text FROM durpred.explain_duration(to_jsonb(p) - 'id') x)
					IS DISTINCT FROM ARRAY(SELECT row(x.*)::text FROM durpred.explain_duration(p) x))}),
		'0', "$label: the three forms give the same rows");

	$result = $node->safe_psql(
		'postgres', qq{
		SELECT count(*), count(i.model),
			count(*) FILTER (WHERE i.model IS NOT NULL AND NOT (f.weight = i.weight
				AND close_rel(f.gain, i.gain) AND close_rel(f.total_gain, i.total_gain)
				AND close_rel(f.cover, i.cover) AND close_rel(f.total_cover, i.total_cover))),
			count(*) FILTER (WHERE i.model IS NULL AND NOT (f.weight = 0 AND f.gain = 0
				AND f.total_gain = 0 AND f.cover = 0 AND f.total_cover = 0)),
			(SELECT count(*) FROM importance WHERE model = '$name')
		FROM durpred.feature_importance($id) f
		LEFT JOIN importance i ON i.model = '$name' AND i.feature = f.feature});
	my ($frows, $scored, $fdiffer, $unused_bad, $expected_scored) = split /\|/, $result;
	is($frows, $inputs, "$label: feature_importance has a row per model input");
	is($scored, $expected_scored, "$label: feature_importance has every feature get_score has");
	is($fdiffer, '0', "$label: feature_importance equals get_score for each importance type");
	is($unused_bad, '0', "$label: inputs no split uses have 0");
}

$node->stop;
done_testing();
