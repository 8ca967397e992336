# test/t/090_feature_names.pl
#
# The 25 feature names agree, in order, in every place that spells them
# (doc/changing-a-feature.md lists the places): the extension's composite
# type durpred.features is the reference, and each of these must match it:
#
#   - the C feature table (src/feature.c), as the extension shows it: the
#     feature_columns of a model that names no features, and the request
#     keys predict_duration(jsonb) accepts;
#   - the parameters of the named-argument predict_duration, and the timing
#     and history types (durpred.timing, durpred.run_history);
#   - the columns of analytics.run_features, run_features_source,
#     pending_run_features, page_features() and page_blocks
#     (extract/features.sql), and the header that extract/export_csv.sql
#     writes;
#   - the lists in test/t/xgb_models.py, bench/bench.sql,
#     test/t/020_differential.pl, and the README's feature table;
#   - and no file among those places (nor scripts/bench.sh and the
#     trainer, which read the names from the database, the other scripts
#     of extract/, the C sources, the TAP and pgTAP tests and their Python
#     helpers) spells a block or history feature that does not exist.
#
# Renaming a feature in one place alone makes it fail.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('feature_names');
$node->init;
$node->start;
my $db = $node->connstr('postgres');

$node->safe_psql('postgres', 'CREATE EXTENSION durpred');
foreach my $script (qw(schema features serving))
{
	$node->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $db, '-f', "extract/$script.sql" ],
		"extract/$script.sql runs");
}

# The names of a relation's or a composite type's columns, in order.
sub columns
{
	my ($relation) = @_;
	return [ split /\n/, $node->safe_psql('postgres', qq{
		SELECT a.attname FROM pg_attribute a
		WHERE a.attrelid = '$relation'::regclass AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attnum}) ];
}

sub type_columns
{
	my ($type) = @_;
	my $relid = $node->safe_psql('postgres', "SELECT typrelid::regclass FROM pg_type WHERE oid = '$type'::regtype");
	return columns($relid);
}

# The reference: the extension's composite type.
my @names = @{ type_columns('durpred.features') };
is(scalar(@names), 25, 'durpred.features has 25 attributes');
my %is_name = map { $_ => 1 } @names;

# A list agrees when it holds the 25 names in order; the message says where
# it first differs.
sub names_agree
{
	my ($got, $place) = @_;
	my @got = @$got;
	for my $i (0 .. ($#got > $#names ? $#got : $#names))
	{
		my $g = $got[$i] // '(none)';
		my $n = $names[$i] // '(none)';
		if ($g ne $n)
		{
			fail("$place: the 25 names of durpred.features in order");
			diag("$place: position $i is \"$g\", durpred.features has \"$n\"");
			return;
		}
	}
	pass("$place: the 25 names of durpred.features in order");
}

# The C feature table: a model without feature names binds its 25 inputs
# to the table in order, and model_info() names them from it.
my $leaf_tree = q{{"id": 0,
	"tree_param": {"num_deleted": "0", "num_feature": "25", "num_nodes": "1", "size_leaf_vector": "0"},
	"left_children": [-1], "right_children": [-1], "parents": [2147483647],
	"split_indices": [0], "split_conditions": [1.5], "default_left": [0], "split_type": [0],
	"base_weights": [0.0], "loss_changes": [0.0], "sum_hessian": [1.0],
	"categories": [], "categories_nodes": [], "categories_segments": [], "categories_sizes": []}};
my $model = qq{{"learner": {"attributes": {}, "feature_names": [], "feature_types": [],
	"gradient_booster": {"name": "gbtree", "model": {
		"gbtree_model_param": {"num_parallel_tree": "1", "num_trees": "1", "size_leaf_vector": "0"},
		"tree_info": [0], "trees": [$leaf_tree]}},
	"learner_model_param": {"base_score": "5E-1", "boost_from_average": "1", "num_class": "0", "num_feature": "25", "num_target": "1"},
	"objective": {"name": "reg:squarederror", "reg_loss_param": {"scale_pos_weight": "1"}}},
	"version": [1, 7, 4]}};
$node->safe_psql('postgres',
	"SELECT durpred.install_model('unnamed', convert_to(\$m\$$model\$m\$, 'UTF8'), NULL, true)");
names_agree([ split /\n/, $node->safe_psql('postgres',
	q{SELECT jsonb_array_elements_text(durpred.model_info() -> 'feature_columns')}) ],
	'the C feature table (model_info of a model without names)');

# every name is a request key the C table knows, and an unknown key is refused
my $request = join(', ', map { "\"$_\": 1" } @names);
is($node->safe_psql('postgres', "SELECT durpred.predict_duration('{$request}'::jsonb)"), '2',
	'predict_duration(jsonb) accepts every name of durpred.features as a key');
my ($rc, $stdout, $stderr) = $node->psql('postgres',
	q{SELECT durpred.predict_duration('{"no_such_feature": 1}'::jsonb)});
like($stderr, qr/no_such_feature/, 'and refuses a key that names no feature');

# the SQL-callable forms and the extension's other types
names_agree([ split /\n/, $node->safe_psql('postgres', q{
	SELECT unnest(p.proargnames) FROM pg_proc p
	WHERE p.oid = (SELECT oid FROM pg_proc WHERE proname = 'predict_duration'
				   AND pronamespace = 'durpred'::regnamespace AND pronargs = 25)}) ],
	'the named-argument durpred.predict_duration');
is_deeply(type_columns('durpred.timing'), [ @names[ 0 .. 4 ] ],
	'durpred.timing (durpred.timing_features) has the five timing features');
is_deeply(type_columns('durpred.run_history'), [ @names[ 20 .. 24 ] ],
	'durpred.run_history has the five history features');

# the analytics objects
my @training = ('run_id', 'page_hash', 'workspace_hash', 'started_at', 'status');
foreach my $relation ('analytics.run_features', 'analytics.run_features_source')
{
	my $c = columns($relation);
	is_deeply([ @$c[ 0 .. 4 ] ], \@training, "$relation begins with the run's columns");
	is($c->[-1], 'duration_seconds', "$relation ends with duration_seconds");
	names_agree([ @$c[ 5 .. $#$c - 1 ] ], $relation);
}
my $pending = columns('analytics.pending_run_features');
is($pending->[0], 'run_id', 'analytics.pending_run_features begins with run_id');
names_agree([ @$pending[ 1 .. $#$pending ] ], 'analytics.pending_run_features');
$node->safe_psql('postgres', q{
	CREATE VIEW page_features_columns AS SELECT * FROM analytics.page_features(0, now())});
names_agree(columns('page_features_columns'), 'analytics.page_features()');
my $blocks = columns('analytics.page_blocks');
is_deeply($blocks, [ 'page_id', 'workspace_id', @names[ 5 .. 19 ], 'unknown_blocks' ],
	'analytics.page_blocks has the block features between the page and unknown_blocks');

# the header extract/export_csv.sql writes
my $dir = PostgreSQL::Test::Utils::tempdir;
$node->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $db, '-v', "csv=$dir/export.csv",
	'-f', 'extract/export_csv.sql' ], 'extract/export_csv.sql runs');
my ($header) = split /\n/, slurp_file("$dir/export.csv");
my @header = split /,/, $header;
is_deeply([ @header[ 0 .. 4 ], $header[-1] ], [ @training, 'duration_seconds' ],
	'the CSV header has the run\'s columns first and duration_seconds last');
names_agree([ @header[ 5 .. $#header - 1 ] ], 'the header of extract/export_csv.sql');

# The lists in files.
sub file_text
{
	my ($file) = @_;
	return -e $file ? slurp_file($file) : undef;
}

my $xgb = file_text('test/t/xgb_models.py');
my ($xgb_list) = $xgb =~ /^FEATURES = \[(.*?)^\]/ms;
names_agree([ ($xgb_list // '') =~ /\("(\w+)",\s*"\w+"\)/g ], 'FEATURES in test/t/xgb_models.py');

my $bench = file_text('bench/bench.sql');
my ($bench_select) = $bench =~ /CREATE TABLE bench\.features AS\s+SELECT(.*?)\bFROM generate_series/s;
names_agree([ ($bench_select // '') =~ /\bAS\s+(\w+)/g ], 'bench.make_feature_table in bench/bench.sql');

my $differential = file_text('test/t/020_differential.pl');
if (defined $differential && $differential =~ /my \@features = qw\(([^)]*)\)/)
{
	names_agree([ split ' ', $1 ], '@features in test/t/020_differential.pl');
}

# the features whose drift analytics.feature_drift expects (extract/lifecycle.sql)
my $lifecycle = file_text('extract/lifecycle.sql');
my ($expected_list) = ($lifecycle // '') =~ /\bfeature IN \(([^)]*)\)/;
my @expected_drift = ($expected_list // '') =~ /'(\w+)'/g;
ok(@expected_drift > 0 && !grep({ !$is_name{$_} } @expected_drift),
	'the features analytics.feature_drift expects to move are features')
  or diag('extract/lifecycle.sql names: ' . join(', ', @expected_drift));

# The README's feature table: the first table whose first column is headed
# "feature" or "features".  Its first column names the features in
# backquotes, in order, from the first to the last; an ellipsis between two
# names stands for the ones between them.
my $readme = file_text('README.md');
my @table;
my $in_table = 0;
foreach my $line (split /\n/, $readme)
{
	if (!$in_table && $line =~ /^\|\s*features?\s*\|/i)
	{
		$in_table = 1;
		next;
	}
	next unless $in_table;
	last unless $line =~ /^\|/;
	next if $line =~ /^\|[-\s|:]+\|?\s*$/;
	my ($first) = $line =~ /^\|([^|]*)\|/;
	push @table, $first =~ /(`\w+`|…|\.\.\.)/g;
}
ok(@table > 0, 'the README has a feature table (first column headed "feature" or "features")');
my $next = 0;
my $gap = 0;
my $table_ok = 1;
foreach my $token (@table)
{
	if ($token !~ /^`/)
	{
		$gap = 1;
		next;
	}
	(my $name = $token) =~ s/`//g;
	my ($at) = grep { $names[$_] eq $name } 0 .. $#names;
	if (!defined $at || $at < $next || (!$gap && $at != $next))
	{
		$table_ok = 0;
		diag("README feature table: \"$name\" where durpred.features has \""
			  . ($names[$next] // '(none)') . "\"");
		last;
	}
	$next = $at + 1;
	$gap = 0;
}
$table_ok = 0 if $table_ok && $next != @names;
ok($table_ok, "the README's feature table names the 25 features in order, from the first to the last");

# No place spells a block or history feature that is not one: a rename
# missed in a comment, an example or a list that the checks above do not
# parse shows here.
my %not_features = map { $_ => 1 } qw(page_blocks unknown_blocks);
my @stale;
foreach my $file ('README.md', 'doc/changing-a-feature.md', glob('extract/*.sql'), 'bench/bench.sql', 'scripts/bench.sh',
	glob('test/t/*.p[ly]'), glob('test/pgtap/*.sql'),
	glob('src/*.[ch]'), glob('src/features/*.[ch]'), glob('src/trainer/*.[ch]'))
{
	my $text = file_text($file);
	next unless defined $text;
	my %seen;
	push @stale, map { "$file: $_" } grep { !$is_name{$_} && !$not_features{$_} && !$seen{$_}++ }
	  $text =~ /\b([a-z]+(?:_[a-z]+)*_blocks|historical_[a-z_]+)\b/g;
}
is_deeply(\@stale, [], 'no place spells a block or history feature that durpred.features does not have');

$node->stop;
done_testing();
