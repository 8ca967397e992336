# test/t/050_reference_model.pl
#
# Interoperability with the reference service's own model (UBJSON written
# by XGBoost 2.1.4, 64 trees, features named in alphabetical order), read
# from ../shared/reference when it is there (DURPRED_REFERENCE_DIR), never
# copied into the repository:
# - its README example gives 22.804274 seconds (22.8, normal) with the
#   service's defaults for absent keys;
# - on 1,000 random requests, predict_duration and predict_json give what
#   python3-xgboost gives with the same file.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $refdir = $ENV{DURPRED_REFERENCE_DIR} // '';
my $file = "$refdir/seed-model.xgb";
if ($refdir eq '' || !-r $file)
{
	plan skip_all => 'the reference model is not available (../shared/reference/seed-model.xgb)';
}

# the service's DEFAULT_FEATURES for absent request keys
my $defaults = '{"defaults": {"start_hour": 12, "day_of_week": 2, "month": 6, "is_weekend": 0, '
  . '"is_business_hours": 1, "total_blocks": 5, "sql_blocks": 1, "email_blocks": 1, '
  . '"historical_run_count": 10, "historical_avg_duration": 10.0, "historical_median_duration": 8.0, '
  . '"historical_stddev_duration": 5.0, "historical_failure_rate": 0.05}}';
my $example = '{"total_blocks": 10, "sql_blocks": 3, "tableau_blocks": 2, "email_blocks": 1, '
  . '"slack_blocks": 1, "historical_run_count": 100, "historical_avg_duration": 25.0, '
  . '"historical_median_duration": 20.0, "historical_stddev_duration": 10.0, "historical_failure_rate": 0.03}';

my $node = PostgreSQL::Test::Cluster->new('reference');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION durpred');

# the file is read by the test, not by the server (it may not reach it)
my $hex = unpack('H*', slurp_file($file));
is( $node->safe_psql(
		'postgres',
		"SELECT durpred.install_model('reference', decode('$hex', 'hex'), '$defaults', true)"),
	'1', 'the reference model installs');
is( $node->safe_psql('postgres',
		q{SELECT n_trees || ' ' || n_features || ' ' || format || ' ' || objective FROM durpred.models}),
	'64 25 ubjson reg:squarederror', 'as 64 trees over 25 features, UBJSON');

is($node->safe_psql('postgres', "SELECT durpred.predict_duration('$example'::jsonb)::float4"),
	'22.804274', 'the README example predicts 22.804274 seconds');
is( $node->safe_psql(
		'postgres',
		"SELECT r->>'predicted_duration', r->>'duration_category', r->>'duration_description', r->>'recommendation'
		 FROM durpred.predict_json('$example') r"),
	'22.8|normal|Normal execution (5-30s)|Standard workflow - monitor for anomalies',
	'and the reference response');

my $python = '/usr/bin/python3';
SKIP:
{
	skip 'python3-xgboost is not installed', 3
	  if system("$python -c 'import xgboost' >/dev/null 2>&1") != 0;

	# random requests with some keys absent; python fills them like the
	# service, from the same defaults
	my $dir = PostgreSQL::Test::Utils::tempdir;
	my $script = <<'EOF';
import json, random, sys
import numpy as np, xgboost as xgb
model, defaults, out = sys.argv[1], json.loads(sys.argv[2])["defaults"], sys.argv[3]
b = xgb.Booster()
b.load_model(model)
rng = random.Random(7)
draw = {
    "start_hour": lambda: rng.randrange(24), "day_of_week": lambda: rng.randrange(7),
    "month": lambda: rng.randrange(1, 13), "is_weekend": lambda: rng.randrange(2),
    "is_business_hours": lambda: rng.randrange(2), "historical_run_count": lambda: rng.randrange(500),
    "historical_avg_duration": lambda: round(rng.lognormvariate(2.2, 1.2), 3),
    "historical_median_duration": lambda: round(rng.lognormvariate(2.0, 1.1), 3),
    "historical_stddev_duration": lambda: round(rng.lognormvariate(1.5, 1.3), 3),
    "historical_failure_rate": lambda: round(rng.random() * 0.5, 4),
}
with open(out, "w") as f:
    for i in range(1000):
        req = {}
        for name in b.feature_names:
            if rng.random() < 0.3:
                continue
            req[name] = draw[name]() if name in draw else rng.randrange(12)
        row = [float(req.get(n, defaults.get(n, 0))) for n in b.feature_names]
        p = b.inplace_predict(np.array([row], dtype=np.float32))[0]
        f.write(json.dumps(req) + "\t" + "%.9g" % max(float(p), 0.0) + "\n")
EOF
	open(my $fh, '>', "$dir/predict.py") or die;
	print $fh $script;
	close($fh);
	system_or_bail($python, "$dir/predict.py", $file, $defaults, "$dir/requests.tsv");

	$node->safe_psql(
		'postgres', qq{
		CREATE TABLE requests (body jsonb, expected text);
		COPY requests FROM '$dir/requests.tsv';});
	is($node->safe_psql('postgres', 'SELECT count(*) FROM requests'), '1000', '1,000 requests');
	is( $node->safe_psql(
			'postgres', q{
			SELECT count(*) FROM requests
			WHERE durpred.predict_duration(body) IS DISTINCT FROM expected::float4::float8}),
		'0', 'predict_duration(jsonb) equals python-xgboost on every request');
	is( $node->safe_psql(
			'postgres', q{
			SELECT count(*) FROM requests
			WHERE (durpred.predict_json(body)->>'predicted_duration')::float8
				  IS DISTINCT FROM (durpred.describe_duration(expected::float4::float8)).predicted_duration}),
		'0', 'predict_json rounds every prediction as the service does');
}

$node->stop;
done_testing();
