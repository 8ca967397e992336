# test/t/035_model_memory.pl
#
# install_model's memory is bounded by its input.  For 24 MB inputs of the
# shapes that cost a reader the most per byte (one-byte UBJSON values, "0,"
# in JSON, empty and one-element containers, objects of tiny keys, a typed
# container whose elements have no opening bracket, counts far beyond the
# elements), and for trees packed as tightly as the formats allow, the
# backend's peak memory grows by at most 4 times the input plus 8 MB while
# install_model refuses them; and by as much while it installs a valid model
# that XGBoost wrote, of 24 MB as UBJSON and the same model as JSON (with
# python3-xgboost, which writes them; skipped without).
#
# The peak is the backend's VmHWM, reset through /proc/<pid>/clear_refs just
# before the call, less its VmRSS then; each input is tried in a new backend,
# after a first small call, so that memory the allocator keeps from earlier
# work hides nothing.  The input's own bytes (pg_read_binary_file) count.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

if (!-w '/proc/self/clear_refs')
{
	plan skip_all => 'the peak memory of a process cannot be reset here';
}

my $size = 24 * 1024 * 1024;
my $slack_kb = 8 * 1024;
my $dir = PostgreSQL::Test::Utils::tempdir;

# UBJSON pieces: a key, a string, a big-endian 64-bit length
sub ukey { my ($k) = @_; return 'U' . chr(length $k) . $k; }
sub ustr { my ($s) = @_; return 'SU' . chr(length $s) . $s; }
sub i64 { my ($n) = @_; return pack('q>', $n); }

# head . unit x n . tail, n as large as fits in $size
sub fill
{
	my ($head, $unit, $tail) = @_;
	my $n = int(($size - length($head) - length($tail)) / length($unit));
	return $head . ($unit x $n) . $tail;
}

# An object of tiny unique keys: JSON "k":0, or UBJSON U 3 <3 bytes> Z.
sub many_keys
{
	my ($ubjson) = @_;
	my $members = '';
	for (my $i = 0; length($members) < $size - 64; $i++)
	{
		$members .= $ubjson
		  ? 'U' . chr(3) . chr(1 + int($i / 65025) % 255) . chr(1 + int($i / 255) % 255) . chr(1 + $i % 255) . 'Z'
		  : sprintf('"%x":0,', $i);
	}
	return $ubjson
	  ? '{' . ukey('a') . '{' . $members . '}}'
	  : '{"a":{' . $members . '"":0}}';
}

# A model whose trees (complete, 127 nodes) are packed as tightly as the
# format allows: UBJSON typed arrays of one- or two-byte integers, or JSON
# numbers of one to three digits.  With $break, the last tree's id is wrong,
# so that every tree but the last is read before the model is refused.
sub packed_model
{
	my ($format, $break) = @_;
	my $n = 127;
	my @left = map { 2 * $_ + 1 < $n ? 2 * $_ + 1 : -1 } 0 .. $n - 1;
	my @right = map { 2 * $_ + 2 < $n ? 2 * $_ + 2 : -1 } 0 .. $n - 1;
	my @parents = (0, map { int(($_ - 1) / 2) } 1 .. $n - 1);
	my @split = map { $left[$_] == -1 ? 0 : $_ % 25 } 0 .. $n - 1;
	my @cond = map { $_ % 7 - 3 } 0 .. $n - 1;
	my @zeros = (0) x $n;
	my @ones = (1) x $n;
	my @arrays = (
		[ 'base_weights', \@zeros ], [ 'default_left', \@zeros ],
		[ 'left_children', \@left ], [ 'loss_changes', \@zeros ],
		[ 'parents', \@parents ], [ 'right_children', \@right ],
		[ 'split_conditions', \@cond ], [ 'split_indices', \@split ],
		[ 'sum_hessian', \@ones ]);
	my $tree;
	if ($format eq 'json')
	{
		$tree = sub {
			my ($id) = @_;
			return '{"id":' . $id
			  . ',"tree_param":{"num_deleted":"0","num_feature":"25","num_nodes":"127"},'
			  . join(',', map { "\"$_->[0]\":[" . join(',', @{ $_->[1] }) . ']' } @arrays)
			  . '}';
		};
	}
	else
	{
		my ($type, $packing) = $format eq 'ubj8' ? ('i', 'c*') : ('I', 's>*');
		my $body = join '',
		  map { ukey($_->[0]) . "[\$$type#U" . chr($n) . pack($packing, @{ $_->[1] }) } @arrays;
		$tree = sub {
			my ($id) = @_;
			return '{' . ukey('id') . 'L' . i64($id) . $body
			  . ukey('tree_param') . '{' . ukey('num_deleted') . ustr('0')
			  . ukey('num_feature') . ustr('25') . ukey('num_nodes') . ustr('127') . '}}';
		};
	}
	my $per_tree = length($tree->(0)) + 1;
	my $trees = int(($size - 1024) / $per_tree);
	my @t = map { $tree->($_) } 0 .. $trees - 1;
	$t[-1] = $tree->($trees) if $break;

	if ($format eq 'json')
	{
		return '{"learner":{"gradient_booster":{"model":{"gbtree_model_param":'
		  . "{\"num_parallel_tree\":\"1\",\"num_trees\":\"$trees\"},"
		  . '"tree_info":[' . join(',', (0) x $trees) . '],'
		  . '"trees":[' . join(',', @t) . ']},"name":"gbtree"},'
		  . '"learner_model_param":{"base_score":"5E-1","num_class":"0","num_feature":"25"},'
		  . '"objective":{"name":"reg:squarederror"}},"version":[1,7,4]}';
	}
	return '{' . ukey('learner') . '{' . ukey('gradient_booster') . '{'
	  . ukey('model') . '{' . ukey('gbtree_model_param') . '{'
	  . ukey('num_parallel_tree') . ustr('1') . ukey('num_trees') . ustr($trees) . '}'
	  . ukey('tree_info') . '[$i#L' . i64($trees) . ("\0" x $trees)
	  . ukey('trees') . '[' . join('', @t) . ']}'
	  . ukey('name') . ustr('gbtree') . '}'
	  . ukey('learner_model_param') . '{' . ukey('base_score') . ustr('5E-1')
	  . ukey('num_class') . ustr('0') . ukey('num_feature') . ustr('25') . '}'
	  . ukey('objective') . '{' . ukey('name') . ustr('reg:squarederror') . '}}'
	  . ukey('version') . '[$i#U' . chr(3) . "\1\7\4" . '}';
}

my $ua = '{' . ukey('a');
my $counted = int(($size - 64));
my $typed = int(($size - 64) / 2);
my @cases = (
	# name, expected SQLSTATE, generator
	[ 'json: zeros', '22023', sub { fill('{"a":[', '0,', '0]}') } ],
	[ 'json: empty arrays', '22023', sub { fill('{"a":[', '[],', '[]]}') } ],
	[ 'json: one-element arrays', '22023', sub { fill('{"a":[', '[0],', '[0]]}') } ],
	[ 'json: three-character floats', '22023', sub { fill('{"a":[', '0.5,', '0.5]}') } ],
	[ 'json: tiny keys', '22023', sub { many_keys(0) } ],
	[ 'ubjson: nulls', '22023', sub { fill($ua . '[', 'Z', ']}') } ],
	[ 'ubjson: one-byte integers', '22023', sub { fill($ua . '[', "i\0", ']}') } ],
	[ 'ubjson: empty arrays', '22023', sub { fill($ua . '[', '[]', ']}') } ],
	[ 'ubjson: one-element arrays', '22023', sub { fill($ua . '[', '[Z]', ']}') } ],
	[ 'ubjson: empty strings', '22023', sub { fill($ua . '[', "SU\0", ']}') } ],
	[ 'ubjson: tiny keys', '22023', sub { many_keys(1) } ],
	[
		'ubjson: counted array of nulls', '22023',
		sub { $ua . '[#L' . i64($counted) . ('Z' x $counted) . '}' }
	],
	[
		'ubjson: typed container of "Z]"', '22023',
		sub { $ua . '[$[#L' . i64($typed) . ('Z]' x $typed) . '}' }
	],
	[ 'ubjson: trees of one-byte typed arrays', '54000', sub { packed_model('ubj8', 0) } ],
	[ 'ubjson: trees of two-byte typed arrays, last one wrong', '22023', sub { packed_model('ubj16', 1) } ],
	[ 'json: trees of short numbers, last one wrong', '22023', sub { packed_model('json', 1) } ]);

# the valid models: name, file
my @valid;
my $python = '/usr/bin/python3';
if (-x $python && system($python, '-c', 'import xgboost') == 0)
{
	system_or_bail($python, 'test/t/big_model.py', $dir, $size / 1e6);
	@valid = ([ 'ubjson: a valid model', "$dir/big.ubj" ], [ 'json: the same model', "$dir/big.json" ]);
}
else
{
	diag('python3-xgboost is not installed: no valid model is tried');
}
foreach my $model (@valid)
{
	my ($name, $file) = @$model;
	push @cases, [ $name, 'installed', sub { local $/; open(my $in, '<:raw', $file) or die "$file: $!"; my $b = <$in>; return $b; } ];
}

my $node = PostgreSQL::Test::Cluster->new('memory');
$node->init;
# A model that is stored is written through shared buffers, and VmRSS counts
# every shared page a backend touches: a small buffer pool bounds that part,
# which is the server's cache and not install_model's memory, to a few MB.
$node->append_conf('postgresql.conf', 'shared_buffers = 8MB');
$node->start;
$node->safe_psql(
	'postgres', q{
	CREATE EXTENSION durpred;
	CREATE FUNCTION peak_growth(file text, OUT state text, OUT growth_kb bigint)
	LANGUAGE plpgsql AS $$
	DECLARE
		rss bigint;
	BEGIN
		EXECUTE format('COPY (SELECT 5) TO %L',
					   '/proc/' || pg_backend_pid() || '/clear_refs');
		rss := (regexp_match(pg_read_file('/proc/self/status'), 'VmRSS:\s+(\d+)'))[1];
		BEGIN
			PERFORM durpred.install_model('memory', pg_read_binary_file(file));
			state := 'installed';
		EXCEPTION WHEN OTHERS THEN
			state := SQLSTATE;
		END;
		growth_kb := (regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\s+(\d+)'))[1]::bigint - rss;
	END $$;
});

my $warmup = "$dir/warmup";
open(my $fh, '>:raw', $warmup) or die $!;
print $fh '{"a":[0]}';
close $fh;

foreach my $case (@cases)
{
	my ($name, $expected, $generate) = @$case;
	my $file = "$dir/input";
	my $bytes = $generate->();
	open($fh, '>:raw', $file) or die $!;
	print $fh $bytes;
	close $fh;
	my $len = length $bytes;
	undef $bytes;

	my ($state, $growth_kb) = split /\|/,
	  $node->safe_psql('postgres',
		"SELECT peak_growth('$warmup'); SELECT state || '|' || growth_kb FROM peak_growth('$file')"
	  ) =~ s/^.*\n//sr;
	is($state, $expected, $expected eq 'installed' ? "$name: installed" : "$name: refused with $expected");
	my $limit_kb = int(4 * $len / 1024) + $slack_kb;
	cmp_ok($growth_kb, '<=', $limit_kb,
		sprintf('%s: peak growth %.1f MB for %.1f MB of input (%.2f times)',
			$name, $growth_kb / 1024, $len / 1048576, $growth_kb * 1024 / $len));
	unlink $file;
}

is($node->safe_psql('postgres', 'SELECT count(*) FROM durpred.models'),
	scalar(@valid), 'nothing else was stored');

$node->stop;
done_testing();
