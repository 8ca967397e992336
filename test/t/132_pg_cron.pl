# test/t/132_pg_cron.pl
#
# The health check on a schedule (issue 18): pg_cron, loaded through
# shared_preload_libraries in a real cluster, runs durpred.check_health()
# every minute; after drift is injected (a week of runs in which some pages
# gained many SQL blocks and the hours shifted), a session listening on
# durpred_health receives the notification, whose payload is the health
# row with status alert and its reasons, and the server log has the
# WARNING.  Takes one to two minutes: pg_cron 1.4 schedules by the minute.
use strict;
use warnings;

use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = PostgreSQL::Test::Cluster->new('cron');
# make test installs postgresql-15-cron (make deps); make installcheck
# against a server without it skips this suite
my $pkglibdir = $node->config_data('--pkglibdir');
plan skip_all => "pg_cron is not installed in $pkglibdir" unless -e "$pkglibdir/pg_cron.so";
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 20
});
$node->start;
my $db = $node->connstr('postgres');
$node->safe_psql('postgres', 'CREATE EXTENSION pg_cron');
foreach my $step ([ 'schema' ], [ 'demo_data', '-v', 'runs=4000' ], [ 'features' ], [ 'serving' ])
{
	my ($script, @vars) = @$step;
	$node->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', @vars, '-d', $db, '-f', "extract/$script.sql" ],
		"extract/$script.sql runs");
}
my $dir = PostgreSQL::Test::Utils::tempdir;
$node->command_ok([ 'durpred-train', '-d', $db, '-o', $dir, '--quiet', '--rounds', '30',
		'--install', 'demo', '--promote-if-better' ],
	'a model is trained and promoted');

# drift: a week of runs on pages with 15 more SQL blocks, 8 hours later
$node->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-v', 'hours=8', '-v', 'sql_pages=0.6',
		'-d', $db, '-f', 'test/fixtures/replay_week.sql' ],
	'a week of drifted runs is inserted');

my $listener = $node->background_psql('postgres');
$listener->query_safe('LISTEN durpred_health');
my $log_offset = -s $node->logfile;

is($node->safe_psql('postgres',
		q{SELECT cron.schedule('durpred-health', '* * * * *', 'SELECT durpred.check_health()') > 0}),
	't', 'pg_cron schedules the health check every minute');

# psql prints a notification after the next command it runs: poll
my $received = '';
my $deadline = time() + 180;
while (time() < $deadline)
{
	$received .= $listener->query_safe('SELECT 1') // '';
	last if $received =~ /Asynchronous notification "durpred_health"/;
	usleep(2_000_000);
}
like($received, qr/Asynchronous notification "durpred_health" with payload "\{.*\}" received from server process/,
	'the listening session receives the notification from the scheduled check');
my ($payload) = $received =~ /with payload "(\{.*?\})" received/;
my $health = eval { decode_json($payload) } // {};
is($health->{status}, 'alert', 'its payload is the health row: status alert');
ok((grep { /^sql_blocks drifted: PSI/ } @{ $health->{reasons} // [] }), 'the reasons name sql_blocks')
  or diag($payload);
is($health->{model_id}, $node->safe_psql('postgres', 'SELECT id FROM durpred.models WHERE active'),
	'for the active model');
ok($node->wait_for_log(qr/WARNING:  durpred model health is alert: /, $log_offset),
	'the server log has the WARNING');
is($node->safe_psql('postgres', q{SELECT count(*) > 0 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
		WHERE j.jobname = 'durpred-health' AND d.status = 'succeeded'}),
	't', 'pg_cron recorded the run of the job as succeeded');

$listener->quit;
$node->stop;
done_testing();
