/*-------------------------------------------------------------------------
 *
 * src/trainer/main.c
 *		durpred-train: parses the options and orders the work.
 *
 * Exit status 0 on success, 1 on failure, 2 on bad usage, 3 when
 * --promote-if-better kept the active model.  Every run is recorded in
 * durpred.training_run where the database allows it (tracking.c).  Messages come
 * from PostgreSQL's frontend logging ("durpred-train: error: ..."), progress
 * too (its info level, which --quiet turns off), all on stderr; results go
 * to stdout, files only into the output directory (and --predictions).
 * No other file includes or calls anything defined here.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <getopt.h>

#include "common/logging.h"

#include "db.h"
#include "trainer.h"
#include "interval.h"

static const char *progname;

static void usage_error(const char *fmt,...) pg_attribute_printf(1, 2) pg_attribute_noreturn();
static void option_error(int c, const struct option *long_options, char **argv) pg_attribute_noreturn();

static const char *const objectives[] = {
	"reg:squarederror", "reg:pseudohubererror", "reg:absoluteerror",
	"reg:gamma", "reg:tweedie", "reg:squaredlogerror", "count:poisson", NULL
};

/*
 * usage_error
 *		Bad usage: a message, a pointer to --help, status 2.
 */
static void
usage_error(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	pg_log_generic_v(PG_LOG_ERROR, PG_LOG_PRIMARY, fmt, ap);
	va_end(ap);
	pg_log_error_hint("Try \"%s --help\" for more information.", progname);
	exit(EXIT_USAGE);
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
		   "                            needs the 25 features by name (the attributes of\n"
		   "                            durpred.features in that database) and\n"
		   "                            duration_seconds; run_id and started_at are used\n"
		   "                            when present\n");
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
	printf("      --promote-if-better   with --install: make it the active model only if\n"
		   "                            it beats the active one on the new model's test\n"
		   "                            rows (exit status 3 when it does not)\n");
	printf("      --promote-metric=M    the gate's metric: mae (default), rmse or r2\n");
	printf("      --promote-margin=X    the new model's error must be below the active\n"
		   "                            model's times (1 - X) (default: 0; for r2 the\n"
		   "                            error is 1 - R2)\n");
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
		   "Every run is recorded in durpred.training_run (durpred.training_runs)\n"
		   "when the role may (durpred_admin), failed runs too.\n"
		   "Exit status: 0 success (with --promote-if-better: promoted), 1 failure,\n"
		   "2 bad usage, 3 the promotion gate kept the active model.\n");
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
 * main
 *		Parses the options, then: connect, read the feature columns and the
 *		rows, split, train, write the artifacts, print the comparison, and
 *		install the model when asked.
 */
int
main(int argc, char **argv)
{
	enum
	{
		OPT_SPLIT = 256, OPT_SEED, OPT_OBJECTIVE, OPT_ETA, OPT_MAX_DEPTH,
		OPT_MIN_CHILD_WEIGHT, OPT_SUBSAMPLE, OPT_COLSAMPLE, OPT_GAMMA,
		OPT_LAMBDA, OPT_ALPHA, OPT_ROUNDS, OPT_EARLY, OPT_THREADS,
		OPT_PREDICTIONS, OPT_INSTALL, OPT_ACTIVATE, OPT_PROMOTE, OPT_PROMOTE_METRIC,
		OPT_PROMOTE_MARGIN, OPT_HELP
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
		{"promote-if-better", no_argument, NULL, OPT_PROMOTE},
		{"promote-metric", required_argument, NULL, OPT_PROMOTE_METRIC},
		{"promote-margin", required_argument, NULL, OPT_PROMOTE_MARGIN},
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
		.promote_metric = "mae",
	};
	bool		metric_given = false;
	bool		margin_given = false;
	const char *outcome;
	char	   *reason = NULL;
	char	   *model_id = NULL;
	GateDecision gate = {0};
	FeatureColumns features;
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

	pg_logging_init(argv[0]);
	progname = get_progname(argv[0]);

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
			case OPT_PROMOTE:
				opts.promote_if_better = true;
				break;
			case OPT_PROMOTE_METRIC:
				if (strcmp(optarg, "mae") != 0 && strcmp(optarg, "rmse") != 0 &&
					strcmp(optarg, "r2") != 0)
					usage_error("invalid value \"%s\" for option --promote-metric (mae, rmse or r2)",
								optarg);
				opts.promote_metric = optarg;
				metric_given = true;
				break;
			case OPT_PROMOTE_MARGIN:
				opts.promote_margin = parse_double("promote-margin", optarg, 0, 0.99);
				margin_given = true;
				break;
			case 'q':
				opts.quiet = true;
				break;
			case 'V':
				puts(TRAINER_NAME " (durpred) " TRAINER_VERSION);
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
	if (opts.promote_if_better && opts.install_name == NULL)
		usage_error("--promote-if-better needs --install");
	if (opts.promote_if_better && opts.activate)
		usage_error("--activate and --promote-if-better cannot be used together");
	if ((metric_given || margin_given) && !opts.promote_if_better)
		usage_error("--%s needs --promote-if-better",
					metric_given ? "promote-metric" : "promote-margin");

	/* progress is the info level of the messages; warnings stay */
	if (opts.quiet)
		pg_logging_set_level(PG_LOG_WARNING);

	started = IsoTimestampNow();
	run_id = NewRunId();

	CaptureMessages(progname);
	conn = ConnectDatabase(&opts, progname);
	ReadFeatureColumns(conn, &features);
	/* a database with durpred.features has the registry of runs too */
	TrackRunStart(conn, &opts, run_id);
	ReadDataset(conn, &opts, &features, &data);
	SplitDataset(&data, &opts, &split);
	pg_log_info("%zu rows: %zu train, %zu validation, %zu test (%s split)",
				data.n, split.n_train, split.n_val, split.n_test, opts.split);

	Train(&data, &split, &opts, &result);
	result.intervals = FitIntervals(&data, &split, result.predictions);
	if (result.intervals != NULL)
		result.intervals_json = IntervalsJsonText(result.intervals);
	result.distribution = TrainingDistribution(&data, &split, &result);
	finished = IsoTimestampNow();

	info = WriteArtifacts(&data, &split, &opts, &result, run_id, started, finished);
	PrintComparison(&split, &result);
	if (result.intervals != NULL)
		PrintIntervals(result.intervals);
	outcome = "trained";
	if (opts.install_name != NULL)
	{
		model_id = InstallModel(conn, opts.install_name, result.model_json,
								result.model_json_len, info, opts.activate);
		TrackRunModel(model_id);
		printf("\nInstalled as model \"%s\", id %s%s.\n", opts.install_name, model_id,
			   opts.activate ? ", active" : "");
		outcome = opts.activate ? "promoted" : "installed";
		if (opts.activate)
			reason = pg_strdup("activated by --activate");
	}
	if (opts.promote_if_better)
	{
		PromotionGate(conn, &opts, &data, &split, &result, &gate);
		if (gate.promote && !PromoteModel(conn, model_id, gate.replacing))
		{
			gate.promote = false;
			gate.reason = psprintf("%s, but another model was activated meanwhile", gate.reason);
		}
		outcome = gate.promote ? "promoted" : "kept";
		reason = gate.reason;
		printf("\nPromotion gate: %s.\n%s\n", reason,
			   gate.promote ? "The new model is now the active model." :
			   "The active model stays active.");
	}
	TrackRunFinish(conn, outcome, info, gate.figures, reason);
	printf("\nTraining run %s: %s.\n", run_id, outcome);

	PQfinish(conn);
	return opts.promote_if_better && !gate.promote ? EXIT_KEPT : EXIT_OK;
}
