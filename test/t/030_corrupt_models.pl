# test/t/030_corrupt_models.pl
#
# A corpus of broken model files (test/t/corrupt_models.py): empty bytes,
# truncation at many offsets, deep nesting, huge length prefixes, NaN
# thresholds, children out of range, self-loops, cycles, split index =
# num_feature, arrays of the wrong length, unsupported kinds, and random
# byte flips.  install_model refuses every broken one with a specific
# SQLSTATE, nothing is stored, the server never restarts, and valid models
# keep working afterwards.  A model in XGBoost's legacy binary format is
# refused with an error that says what it is.
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
system_or_bail($python, 'test/t/xgb_models.py', $dir, '--rows', '50',
	'--only', 'reference_like,pruned');
system_or_bail($python, 'test/t/corrupt_models.py', "$dir/corpus",
	"$dir/reference_like.json", "$dir/reference_like.ubj");

my $node = PostgreSQL::Test::Cluster->new('corrupt');
$node->init;
$node->start;
$node->safe_psql('postgres', q{CREATE EXTENSION durpred});
my $started = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');

# one session tries every file; an error is caught, a crash would end it
my $outcome = $node->safe_psql(
	'postgres', qq{
	CREATE TABLE corpus (name text, file text, must_fail boolean);
	COPY corpus FROM '$dir/corpus/corpus.csv' WITH (FORMAT csv, HEADER);
	CREATE FUNCTION try_install(file text) RETURNS text LANGUAGE plpgsql AS \$\$
	BEGIN
		PERFORM durpred.install_model('corrupt', pg_read_binary_file(file));
		RETURN 'installed';
	EXCEPTION WHEN OTHERS THEN
		RETURN SQLSTATE;
	END \$\$;
	CREATE TABLE outcome AS
		SELECT name, must_fail, try_install(file) AS result FROM corpus;
	SELECT count(*) FROM outcome;
});
cmp_ok($outcome, '>=', 400, "every file of the corpus was tried ($outcome)");

is( $node->safe_psql(
		'postgres', q{SELECT string_agg(name || ': ' || result, ', ')
					  FROM outcome WHERE must_fail AND result = 'installed'}),
	'', 'every broken file is refused');

# the error classes: malformed bytes, invalid model, unsupported model
my %allowed = map { $_ => 1 } qw(22P03 22023 0A000 54000);
my @classes = split /\n/,
  $node->safe_psql('postgres',
	q{SELECT result || ' ' || count(*) FROM outcome WHERE result <> 'installed' GROUP BY result ORDER BY result});
note "refusals by SQLSTATE: @classes";
foreach my $line (@classes)
{
	my ($state) = split / /, $line;
	ok($allowed{$state}, "refusals use a specific SQLSTATE ($line)");
}

is( $node->safe_psql('postgres', q{SELECT count(*) FROM outcome WHERE must_fail AND name LIKE 'truncated_%'}),
	$node->safe_psql('postgres', q{SELECT count(*) FROM outcome WHERE name LIKE 'truncated_%' AND result <> 'installed'}),
	'every truncation is refused');
foreach my $case (qw(empty deep_json deep_ubj huge_count_0 huge_string_0 huge_key_0
	nan_threshold nan_leaf child_out_of_range self_loop cycle cycle_to_root shared_child
	split_index_num_feature short_split_conditions long_left_children parent_out_of_range))
{
	isnt($node->safe_psql('postgres', qq{SELECT result FROM outcome WHERE name = '$case'}),
		'installed', "$case is refused");
}
is($node->safe_psql('postgres', q{SELECT result FROM outcome WHERE name = 'dart'}),
	'0A000', 'a DART model is refused as unsupported');

# flips that left a valid model installed: each of them loads and scores
my $flipped_ok = $node->safe_psql('postgres',
	q{SELECT count(*) FROM outcome WHERE NOT must_fail AND result = 'installed'});
note "$flipped_ok of 300 random byte flips still gave a valid model";
is( $node->safe_psql(
		'postgres', q{
		CREATE FUNCTION score_each() RETURNS TABLE (scored int, failed int) LANGUAGE plpgsql AS $$
		DECLARE
			m record;
		BEGIN
			scored := 0;
			failed := 0;
			FOR m IN SELECT id FROM durpred.models WHERE name = 'corrupt' ORDER BY id LOOP
				BEGIN
					PERFORM durpred.activate_model(m.id);
					PERFORM durpred.predict_duration(sql_blocks => 1, historical_avg_duration => 5);
					scored := scored + 1;
				EXCEPTION WHEN OTHERS THEN
					failed := failed + 1;
				END;
			END LOOP;
			RETURN NEXT;
		END $$;
		SELECT scored || ' ' || failed FROM score_each();}),
	"$flipped_ok 0", 'every installed model loads and scores');

is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'),
	$started, 'the server never restarted');
my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|server process .* was terminated/,
	'no backend died');

# a model in XGBoost's legacy binary format, as XGBoost before 2.0 saves it
# for a file name that does not end in .json: refused with 22P03, saying
# what it is and how to save it again
system_or_bail($python, '-c',
	"import xgboost as xgb; xgb.Booster(model_file='$dir/reference_like.json').save_model('$dir/legacy.model')");
SKIP:
{
	skip 'this XGBoost no longer writes the legacy binary format', 4
	  if substr(slurp_file("$dir/legacy.model"), 0, 1) eq '{';
	my ($ret, $out, $err) = $node->psql('postgres',
		qq{SELECT durpred.install_model('legacy', pg_read_binary_file('$dir/legacy.model'))},
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	isnt($ret, 0, 'a model in the legacy binary format is refused');
	like($err, qr/ERROR:\s+22P03: model file is in XGBoost's legacy binary format/,
		'with 22P03, saying what it is');
	like($err, qr/HINT:\s+Load the model with any XGBoost release from 1\.0 on and save it again as JSON or UBJSON/,
		'and how to save it again');
	is($node->safe_psql('postgres', q{SELECT count(*) FROM durpred.models WHERE name = 'legacy'}),
		'0', 'nothing is stored');
}

# a valid model still installs and scores
is( $node->safe_psql(
		'postgres', qq{
		SELECT durpred.install_model('good', pg_read_binary_file('$dir/pruned.ubj'), NULL, true) > 0;
		SELECT durpred.predict_duration(sql_blocks => 2) > 0;}),
	"t\nt", 'a valid model installs and scores after the corpus');

$node->stop;
done_testing();
