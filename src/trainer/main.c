/*-------------------------------------------------------------------------
 *
 * src/trainer/main.c
 *		durpred-train: options, messages and the order of the work.
 *
 * Exit status 0 on success, 1 on failure, 2 on bad usage.  Errors go to
 * stderr as "durpred-train: error: ...", progress to stderr, results to
 * stdout, files only into the output directory (and --predictions).
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trainer.h"

const char *progname = "durpred-train";

const char *const feature_names[NUM_FEATURES] = {
	"start_hour", "day_of_week", "month", "is_weekend", "is_business_hours",
	"total_blocks", "sql_blocks", "tableau_blocks", "email_blocks", "slack_blocks",
	"parameter_blocks", "code_blocks", "plotly_blocks", "kpi_blocks", "api_blocks",
	"writeback_blocks", "conditional_blocks", "loop_blocks", "ai_blocks", "storage_blocks",
	"historical_run_count", "historical_avg_duration", "historical_median_duration",
	"historical_stddev_duration", "historical_failure_rate",
};

static const char *const objectives[] = {
	"reg:squarederror", "reg:pseudohubererror", "reg:absoluteerror",
	"reg:gamma", "reg:tweedie", "reg:squaredlogerror", "count:poisson", NULL
};

/*
 * report
 *		One message on stderr in the frontend style, "durpred-train: LEVEL:
 *		...", with a detail and a hint line when given.
 */
static void
__attribute__((format(printf, 4, 0)))
report(const char *level, const char *detail, const char *hint,
	   const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s: ", progname, level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	if (detail && *detail)
		fprintf(stderr, "%s: detail: %s\n", progname, detail);
	if (hint && *hint)
		fprintf(stderr, "%s: hint: %s\n", progname, hint);
}

/*
 * fatal
 *		Prints an error and exits with status 1.
 */
void
fatal(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	report("error", NULL, NULL, fmt, ap);
	va_end(ap);
	exit(EXIT_FAILURE_RUN);
}

/*
 * fatal_detail
 *		Prints an error with a detail line and exits with status 1.
 */
void
fatal_detail(const char *detail, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	report("error", detail, NULL, fmt, ap);
	va_end(ap);
	exit(EXIT_FAILURE_RUN);
}

/*
 * fatal_hint
 *		Prints an error with a detail and a hint line (either may be NULL)
 *		and exits with status 1.
 */
void
fatal_hint(const char *detail, const char *hint, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	report("error", detail, hint, fmt, ap);
	va_end(ap);
	exit(EXIT_FAILURE_RUN);
}

/*
 * warning
 *		A warning on stderr, even with --quiet (which silences progress only).
 */
void
warning(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	report("warning", NULL, NULL, fmt, ap);
	va_end(ap);
}

/*
 * usage_error
 *		Bad usage: a message, a pointer to --help, status 2.
 */
static void
__attribute__((format(printf, 1, 2), noreturn))
usage_error(const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "%s: error: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fprintf(stderr, "Try \"%s --help\" for more information.\n", progname);
	exit(EXIT_USAGE);
}

/*
 * progress
 *		A progress line on stderr, unless --quiet.
 */
void
progress(const Options *opts, const char *fmt,...)
{
	va_list		ap;

	if (opts->quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void *
xmalloc(size_t size)
{
	void	   *p = malloc(size ? size : 1);

	if (p == NULL)
		fatal("out of memory (%zu bytes)", size);
	return p;
}

void *
xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (p == NULL)
		fatal("out of memory (%zu bytes)", size);
	return p;
}

char *
xstrdup(const char *s)
{
	char	   *p = strdup(s);

	if (p == NULL)
		fatal("out of memory");
	return p;
}

/*
 * help
 *		Documents every option.
 */
static void
help(void)
{
	printf("%s trains an XGBoost model of workflow run durations from a table of\n"
		   "features in PostgreSQL, compares it with baselines, writes model.json\n"
		   "and model_info.json, and can install it with durpred.install_model.\n\n", progname);
	printf("Usage:\n  %s [OPTION]...\n\n", progname);
	printf("Connection options (like psql; PG* environment variables apply):\n");
	printf("  -d, --dbname=DBNAME       database name or connection string\n");
	printf("  -h, --host=HOSTNAME       database server host or socket directory\n");
	printf("  -p, --port=PORT           database server port\n");
	printf("  -U, --username=USERNAME   database user name\n");
	printf("\nData:\n");
	printf("  -s, --source=SOURCE       schema-qualified table or view, or a query starting\n"
		   "                            with SELECT, WITH, VALUES or TABLE (default:\n"
		   "                            analytics.run_features); the session's search_path\n"
		   "                            is empty, so a query qualifies its names too; it\n"
		   "                            needs the 25 features by name and duration_seconds;\n"
		   "                            run_id and started_at are used when present\n");
	printf("      --split=METHOD        random (default: 60/20/20 with --seed) or time\n"
		   "                            (oldest 60 %% train, next 20 %% validate, newest 20 %%\n"
		   "                            test; needs started_at)\n");
	printf("      --seed=N              seed of the split and of XGBoost (default: 42)\n");
	printf("\nTraining (defaults: the reference service's hyperparameters):\n");
	printf("      --objective=NAME      reg:squarederror (default), reg:pseudohubererror,\n"
		   "                            reg:absoluteerror, reg:gamma, reg:tweedie,\n"
		   "                            reg:squaredlogerror or count:poisson\n");
	printf("      --eta=X               learning rate (default: 0.1)\n");
	printf("      --max-depth=N         tree depth (default: 8)\n");
	printf("      --min-child-weight=X  (default: 5)\n");
	printf("      --subsample=X         row sampling per tree (default: 0.8)\n");
	printf("      --colsample-bytree=X  column sampling per tree (default: 0.8)\n");
	printf("      --gamma=X             minimum loss reduction of a split (default: 0)\n");
	printf("      --lambda=X            L2 regularisation (default: 1)\n");
	printf("      --alpha=X             L1 regularisation (default: 0)\n");
	printf("      --rounds=N            at most N boosting rounds (default: 300)\n");
	printf("      --early-stopping=N    stop after N rounds without a better validation\n"
		   "                            RMSE (default: 30); the model keeps the trees up to\n"
		   "                            the best round\n");
	printf("      --threads=N           XGBoost threads (default: all cores)\n");
	printf("\nOutput:\n");
	printf("  -o, --output=DIR          directory for model.json and model_info.json,\n"
		   "                            created if absent (default: durpred-model)\n");
	printf("      --predictions=FILE    also write every row's prediction as CSV:\n"
		   "                            row,split,target,prediction (row: the run_id, or\n"
		   "                            without one the row's position in the source)\n");
	printf("      --install=NAME        install the model with durpred.install_model\n");
	printf("      --activate            with --install: make it the active model\n");
	printf("  -q, --quiet               no progress on stderr\n");
	printf("\nOther:\n");
	printf("  -V, --version             show the version and exit\n");
	printf("  -?, --help                show this help and exit\n");
	printf("\nRows whose target is NULL, NaN, infinite or negative are excluded and\n"
		   "counted (and, for reg:gamma and reg:tweedie, rows whose target is 0);\n"
		   "rows with an infinite feature too.  XGBoost works in 32-bit floats: a\n"
		   "value beyond their range (about 3.4e38) counts as infinite, a target that\n"
		   "rounds to 0 as 0.  NULL features stay missing values.\n"
		   "Rows are split in the order of run_id, then of their values (without a\n"
		   "run_id column, of their values alone), so the same rows give the same\n"
		   "split and model whatever order the source returns them in.\n"
		   "Exit status: 0 success, 1 failure, 2 bad usage.\n");
}

/*
 * parse_double / parse_int
 *		Option values, checked; bad ones are usage errors.
 */
static double
parse_double(const char *option, const char *value, double min, double max)
{
	char	   *end;
	double		v;

	errno = 0;
	v = strtod(value, &end);
	if (*value == '\0' || *end != '\0' || errno != 0 || !(v >= min && v <= max))
		usage_error("invalid value \"%s\" for option --%s (a number from %g to %g)",
					value, option, min, max);
	return v;
}

static long
parse_int(const char *option, const char *value, long min, long max)
{
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (*value == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		usage_error("invalid value \"%s\" for option --%s (a whole number from %ld to %ld)",
					value, option, min, max);
	return v;
}

/*
 * option_error
 *		The usage error for what getopt_long returned as '?' or ':'; opterr
 *		is off, so the message is ours.  getopt_long sets optopt to the
 *		option character of a short option, to the value of a long option
 *		given an argument it takes none of or missing its argument, and to 0
 *		for an unknown or ambiguous long option; a long option's word is
 *		then argv[optind - 1].
 */
static void
__attribute__((noreturn))
option_error(int c, const struct option *long_options, char **argv)
{
	const char *word = argv[optind - 1];
	bool		long_form = strncmp(word, "--", 2) == 0;
	size_t		len;
	char		candidates[512];
	int			matches = 0;
	int			k;

	if (c == ':')
	{
		if (long_form)
			usage_error("option \"%s\" requires an argument", word);
		usage_error("option \"-%c\" requires an argument", optopt);
	}

	/* --quiet=1: optopt is the long option's value, not a character */
	for (k = 0; optopt != 0 && long_options[k].name != NULL; k++)
		if (long_options[k].val == optopt && long_options[k].has_arg == no_argument)
			usage_error("option \"--%s\" does not take an argument", long_options[k].name);

	if (!long_form)
		usage_error("invalid option -- '%c'", optopt);

	/* an abbreviation of several long options */
	len = strcspn(word + 2, "=");
	candidates[0] = '\0';
	for (k = 0; long_options[k].name != NULL; k++)
	{
		if (strncmp(long_options[k].name, word + 2, len) != 0)
			continue;
		if (strlen(candidates) + strlen(long_options[k].name) + 8 < sizeof(candidates))
			sprintf(candidates + strlen(candidates), "%s--%s", matches > 0 ? ", " : "",
					long_options[k].name);
		matches++;
	}
	if (matches > 1)
		usage_error("option \"--%.*s\" is ambiguous (%s)", (int) len, word + 2, candidates);
	usage_error("unrecognized option \"%s\"", word);
}

/*
 * iso_utc
 *		Now, as an ISO 8601 UTC timestamp.
 */
static char *
iso_utc(void)
{
	struct timespec ts;
	struct tm	tm;
	char		buf[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ".%03ldZ", ts.tv_nsec / 1000000);
	return xstrdup(buf);
}

/*
 * new_run_id
 *		32 hex characters from the kernel's random source.
 */
static char *
new_run_id(void)
{
	unsigned char bytes[16];
	char	   *id = xmalloc(33);
	FILE	   *f = fopen("/dev/urandom", "rb");
	int			i;

	if (f == NULL || fread(bytes, 1, sizeof(bytes), f) != sizeof(bytes))
		fatal("could not read /dev/urandom: %s", strerror(errno));
	fclose(f);
	for (i = 0; i < 16; i++)
		sprintf(id + 2 * i, "%02x", bytes[i]);
	return id;
}

int
main(int argc, char **argv)
{
	enum
	{
		OPT_SPLIT = 256, OPT_SEED, OPT_OBJECTIVE, OPT_ETA, OPT_MAX_DEPTH,
		OPT_MIN_CHILD_WEIGHT, OPT_SUBSAMPLE, OPT_COLSAMPLE, OPT_GAMMA,
		OPT_LAMBDA, OPT_ALPHA, OPT_ROUNDS, OPT_EARLY, OPT_THREADS,
		OPT_PREDICTIONS, OPT_INSTALL, OPT_ACTIVATE, OPT_HELP
	};
	static const struct option long_options[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"host", required_argument, NULL, 'h'},
		{"port", required_argument, NULL, 'p'},
		{"username", required_argument, NULL, 'U'},
		{"source", required_argument, NULL, 's'},
		{"output", required_argument, NULL, 'o'},
		{"split", required_argument, NULL, OPT_SPLIT},
		{"seed", required_argument, NULL, OPT_SEED},
		{"objective", required_argument, NULL, OPT_OBJECTIVE},
		{"eta", required_argument, NULL, OPT_ETA},
		{"max-depth", required_argument, NULL, OPT_MAX_DEPTH},
		{"min-child-weight", required_argument, NULL, OPT_MIN_CHILD_WEIGHT},
		{"subsample", required_argument, NULL, OPT_SUBSAMPLE},
		{"colsample-bytree", required_argument, NULL, OPT_COLSAMPLE},
		{"gamma", required_argument, NULL, OPT_GAMMA},
		{"lambda", required_argument, NULL, OPT_LAMBDA},
		{"alpha", required_argument, NULL, OPT_ALPHA},
		{"rounds", required_argument, NULL, OPT_ROUNDS},
		{"early-stopping", required_argument, NULL, OPT_EARLY},
		{"threads", required_argument, NULL, OPT_THREADS},
		{"predictions", required_argument, NULL, OPT_PREDICTIONS},
		{"install", required_argument, NULL, OPT_INSTALL},
		{"activate", no_argument, NULL, OPT_ACTIVATE},
		{"quiet", no_argument, NULL, 'q'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, OPT_HELP},
		{NULL, 0, NULL, 0}
	};
	Options		opts = {
		.source = "analytics.run_features",
		.output_dir = "durpred-model",
		.split = "random",
		.seed = 42,
		.objective = "reg:squarederror",
		.eta = 0.1,
		.max_depth = 8,
		.min_child_weight = 5,
		.subsample = 0.8,
		.colsample_bytree = 0.8,
		.gamma = 0,
		.lambda = 1,
		.alpha = 0,
		.rounds = 300,
		.early_stopping = 30,
	};
	Dataset		data;
	Split		split;
	TrainResult result;
	PGconn	   *conn;
	char	   *run_id;
	char	   *started;
	char	   *finished;
	char	   *info;
	int			c;
	int			i;

	/* -? is not an option character for getopt: it means an error there */
	for (i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "-?") == 0)
		{
			help();
			return EXIT_OK;
		}
	}

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:h:p:U:s:o:qV", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'd':
				opts.dbname = optarg;
				break;
			case 'h':
				opts.host = optarg;
				break;
			case 'p':
				opts.port = optarg;
				break;
			case 'U':
				opts.username = optarg;
				break;
			case 's':
				opts.source = optarg;
				break;
			case 'o':
				opts.output_dir = optarg;
				break;
			case OPT_SPLIT:
				if (strcmp(optarg, "random") != 0 && strcmp(optarg, "time") != 0)
					usage_error("invalid value \"%s\" for option --split (random or time)", optarg);
				opts.split = optarg;
				break;
			case OPT_SEED:
				opts.seed = (uint64_t) parse_int("seed", optarg, 0, 2147483647L);
				break;
			case OPT_OBJECTIVE:
				for (i = 0; objectives[i] != NULL; i++)
					if (strcmp(objectives[i], optarg) == 0)
						break;
				if (objectives[i] == NULL)
					usage_error("unsupported objective \"%s\" (see --help)", optarg);
				opts.objective = optarg;
				break;
			case OPT_ETA:
				opts.eta = parse_double("eta", optarg, 1e-6, 1);
				break;
			case OPT_MAX_DEPTH:
				opts.max_depth = (int) parse_int("max-depth", optarg, 1, 20);
				break;
			case OPT_MIN_CHILD_WEIGHT:
				opts.min_child_weight = parse_double("min-child-weight", optarg, 0, 1e9);
				break;
			case OPT_SUBSAMPLE:
				opts.subsample = parse_double("subsample", optarg, 1e-6, 1);
				break;
			case OPT_COLSAMPLE:
				opts.colsample_bytree = parse_double("colsample-bytree", optarg, 1e-6, 1);
				break;
			case OPT_GAMMA:
				opts.gamma = parse_double("gamma", optarg, 0, 1e12);
				break;
			case OPT_LAMBDA:
				opts.lambda = parse_double("lambda", optarg, 0, 1e12);
				break;
			case OPT_ALPHA:
				opts.alpha = parse_double("alpha", optarg, 0, 1e12);
				break;
			case OPT_ROUNDS:
				opts.rounds = (int) parse_int("rounds", optarg, 1, 100000);
				break;
			case OPT_EARLY:
				opts.early_stopping = (int) parse_int("early-stopping", optarg, 1, 100000);
				break;
			case OPT_THREADS:
				opts.threads = (int) parse_int("threads", optarg, 1, 1024);
				break;
			case OPT_PREDICTIONS:
				opts.predictions = optarg;
				break;
			case OPT_INSTALL:
				if (*optarg == '\0')
					usage_error("option --install needs a model name");
				opts.install_name = optarg;
				break;
			case OPT_ACTIVATE:
				opts.activate = true;
				break;
			case 'q':
				opts.quiet = true;
				break;
			case 'V':
				printf("%s (durpred) %s\n", progname, TRAINER_VERSION);
				return EXIT_OK;
			case OPT_HELP:
				help();
				return EXIT_OK;
			case '?':
			case ':':
				option_error(c, long_options, argv);
		}
	}
	if (optind < argc)
		usage_error("too many command-line arguments (first is \"%s\")", argv[optind]);
	if (opts.activate && opts.install_name == NULL)
		usage_error("--activate needs --install");

	started = iso_utc();
	run_id = new_run_id();

	conn = ConnectDatabase(&opts);
	ReadDataset(conn, &opts, &data);
	SplitDataset(&data, &opts, &split);
	progress(&opts, "%s: %zu rows: %zu train, %zu validation, %zu test (%s split)",
			 progname, data.n, split.n_train, split.n_val, split.n_test, opts.split);

	Train(&data, &split, &opts, &result);
	finished = iso_utc();

	info = WriteArtifacts(&data, &split, &opts, &result, run_id, started, finished);
	PrintComparison(&split, &result);
	if (opts.install_name != NULL)
		InstallModel(conn, &opts, &result, info);

	PQfinish(conn);
	return EXIT_OK;
}
