# test/t/091_reference.pl
#
# The README's Reference section lists the whole public surface, so that a
# user finds every object there and a change that adds one without a line
# fails here:
#
#   - every member of the extension (functions, aggregates, types, tables,
#     views; not the sequence a table owns), read from pg_depend;
#   - every setting named durpred.*;
#   - every table, view, function, procedure, trigger and named index that
#     extract/schema.sql, features.sql and serving.sql create (the primary
#     keys aside);
#   - every script in extract/;
#   - every user-facing make target (the .PHONY ones, but for the clean-*
#     and install-* parts of make clean and make install, and trainer);
#   - every long option of durpred-train --help.
#
# A name counts as listed when it stands inside backquotes in the section,
# alone or as part of a signature (`durpred.model`, `is_queued(status
# text)`, `make bench`, `--rounds`).
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $readme = slurp_file('README.md');
my ($reference) = $readme =~ /^## Reference\n(.*?)(?=^## )/ms;
ok(defined $reference, 'the README has a Reference section');
$reference //= '';
my @code = $reference =~ /`([^`]+)`/g;

# Whether the section names $name in backquotes, as a whole word.
sub listed
{
	my ($name) = @_;
	return scalar grep { /(?<![\w-])\Q$name\E(?![\w-])/ } @code;
}

# Every name of a list must be listed; one check per kind, naming the
# missing ones.
sub all_listed
{
	my ($what, @names) = @_;
	my @missing = grep { !listed($_) } @names;
	ok(@names > 0, "there is a $what to look for");
	is_deeply(\@missing, [], "the Reference lists every $what")
	  or diag("not in the README's Reference: @missing");
}

my $node = PostgreSQL::Test::Cluster->new('reference');
$node->init;
$node->start;
my $db = $node->connstr('postgres');
$node->safe_psql('postgres', 'CREATE EXTENSION durpred');
foreach my $script (qw(schema features serving))
{
	$node->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $db, '-f', "extract/$script.sql" ],
		"extract/$script.sql runs");
}

sub rows
{
	my ($sql) = @_;
	return grep { $_ ne '' } split /\n/, $node->safe_psql('postgres', $sql);
}

# the extension's members, by name: an overloaded function is one entry
all_listed('function and aggregate of the extension', rows(q{
	SELECT DISTINCT p.proname FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
	WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
	  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'durpred')
	ORDER BY 1}));
all_listed('type, table and view of the extension', rows(q{
	SELECT n.nspname || '.' || t.typname FROM pg_depend d JOIN pg_type t ON t.oid = d.objid
	JOIN pg_namespace n ON n.oid = t.typnamespace
	WHERE d.classid = 'pg_type'::regclass AND d.deptype = 'e'
	  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'durpred')
	UNION
	SELECT n.nspname || '.' || c.relname FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
	JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'e' AND c.relkind IN ('r', 'v', 'm', 'p')
	  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'durpred')
	ORDER BY 1}));
# the settings exist once the library is loaded
all_listed('setting', rows(q{LOAD 'durpred'; SELECT name FROM pg_settings WHERE name LIKE 'durpred.%' ORDER BY 1}));

# the objects of the extract/ scripts
all_listed('relation of the analytics schema', rows(q{
	SELECT c.relname FROM pg_class c
	WHERE c.relnamespace = 'analytics'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p')
	ORDER BY 1}));
all_listed('table of the app schema', rows(q{
	SELECT 'app.' || c.relname FROM pg_class c
	WHERE c.relnamespace = 'app'::regnamespace AND c.relkind IN ('r', 'p')
	ORDER BY 1}));
all_listed('function and procedure of the analytics schema', rows(q{
	SELECT DISTINCT p.proname FROM pg_proc p
	WHERE p.pronamespace = 'analytics'::regnamespace ORDER BY 1}));
all_listed('trigger', rows(q{SELECT DISTINCT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1}));
all_listed('index, but for primary keys', rows(q{
	SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
	WHERE c.relnamespace IN ('app'::regnamespace, 'analytics'::regnamespace) AND NOT i.indisprimary
	ORDER BY 1}));

# the scripts, make targets and trainer options
all_listed('script of extract/', map { "extract/" . (split m{/}, $_)[-1] } sort glob('extract/*.sql'));
my $makefile = slurp_file('Makefile');
my @targets;
push @targets, split ' ', $1 while $makefile =~ /^\.PHONY:(.*)$/mg;
all_listed('make target', map { "make $_" } grep { !/^(clean-|install-)/ && $_ ne 'trainer' } @targets);
my ($stdout, $stderr);
IPC::Run::run([ 'durpred-train', '--help' ], '>', \$stdout, '2>', \$stderr);
my %seen;
all_listed('option of durpred-train --help', grep { !$seen{$_}++ } $stdout =~ /(?<![\w-])(--[a-z][a-z-]+)/g);

$node->stop;
done_testing();
