/*-------------------------------------------------------------------------
 *
 * src/trainer/artifacts.c
 *		What a training run leaves: its id and timestamps, model.json,
 *		model_info.json, the predictions, and the comparison table.
 *
 * Files are written to temporary names in their directory, flushed to disk
 * and renamed only when all of them were written, so that a failure never
 * leaves a half-written artifact behind.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/fe_memutils.h"
#include "common/logging.h"

#include "trainer.h"

#define MAX_FILES 3

typedef struct PendingFile
{
	char	   *tmp;
	char	   *final;
} PendingFile;

static PendingFile pending[MAX_FILES];
static int	n_pending = 0;

/*
 * discard_pending
 *		Removes the temporary files (at exit, when something failed).
 */
static void
discard_pending(void)
{
	int			i;

	for (i = 0; i < n_pending; i++)
		if (pending[i].tmp)
			unlink(pending[i].tmp);
}

/*
 * NewRunId
 *		A training run's id: 32 hex characters from the kernel's random
 *		source.
 */
char *
NewRunId(void)
{
	unsigned char bytes[16];
	char	   *id = pg_malloc(33);
	FILE	   *f = fopen("/dev/urandom", "rb");
	int			i;

	if (f == NULL || fread(bytes, 1, sizeof(bytes), f) != sizeof(bytes))
		pg_fatal("could not read /dev/urandom: %m");
	fclose(f);
	for (i = 0; i < 16; i++)
		sprintf(id + 2 * i, "%02x", bytes[i]);
	return id;
}

/*
 * IsoTimestampNow
 *		Now, as an ISO 8601 UTC timestamp to the millisecond: when a
 *		training run started and finished.
 */
char *
IsoTimestampNow(void)
{
	struct timespec ts;
	struct tm	tm;
	char		buf[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ".%03ldZ", ts.tv_nsec / 1000000);
	return pg_strdup(buf);
}

/*
 * make_dirs
 *		mkdir -p.
 */
static void
make_dirs(const char *path)
{
	char	   *p = pg_strdup(path);
	char	   *s;

	for (s = p + 1; *s; s++)
	{
		if (*s == '/')
		{
			*s = '\0';
			if (mkdir(p, 0777) != 0 && errno != EEXIST)
				pg_fatal("could not create directory \"%s\": %m", p);
			*s = '/';
		}
	}
	if (mkdir(p, 0777) != 0 && errno != EEXIST)
		pg_fatal("could not create directory \"%s\": %m", p);
	pg_free(p);
}

/*
 * stage_file
 *		Writes bytes to a temporary file beside path, flushed to disk, to be
 *		renamed by commit_files.
 */
static void
stage_file(const char *path, const char *bytes, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t		dirlen = slash ? (size_t) (slash - path + 1) : 0;
	char	   *tmp = pg_malloc(strlen(path) + 32);
	int			fd;
	size_t		done = 0;

	sprintf(tmp, "%.*s.%s.XXXXXX", (int) dirlen, path, slash ? slash + 1 : path);
	fd = mkstemp(tmp);
	if (fd < 0)
		pg_fatal("could not create a file beside \"%s\": %m", path);
	if (n_pending == 0)
		atexit(discard_pending);
	pending[n_pending].tmp = tmp;
	pending[n_pending].final = pg_strdup(path);
	n_pending++;
	while (done < len)
	{
		ssize_t		w = write(fd, bytes + done, len - done);

		if (w < 0)
			pg_fatal("could not write \"%s\": %m", path);
		done += (size_t) w;
	}
	if (fchmod(fd, 0644) != 0 || fsync(fd) != 0 || close(fd) != 0)
		pg_fatal("could not write \"%s\": %m", path);
}

/*
 * commit_files
 *		Renames every staged file to its name.
 */
static void
commit_files(void)
{
	int			i;

	for (i = 0; i < n_pending; i++)
	{
		if (rename(pending[i].tmp, pending[i].final) != 0)
			pg_fatal("could not rename \"%s\" to \"%s\": %m", pending[i].tmp,
					 pending[i].final);
		pg_free(pending[i].tmp);
		pending[i].tmp = NULL;
	}
}

/*
 * real_or_null
 *		A JSON number, or null for NaN and infinities (JSON has neither).
 */
static json_t *
real_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *
metrics_json(const Metrics *m)
{
	static const char *const split_names[3] = {"train", "val", "test"};
	json_t	   *o = json_object();
	char		key[32];
	int			i;

	for (i = 0; i < 3; i++)
	{
		snprintf(key, sizeof(key), "%s_rmse", split_names[i]);
		json_object_set_new(o, key, real_or_null(m->rmse[i]));
	}
	for (i = 0; i < 3; i++)
	{
		snprintf(key, sizeof(key), "%s_mae", split_names[i]);
		json_object_set_new(o, key, real_or_null(m->mae[i]));
	}
	for (i = 0; i < 3; i++)
	{
		snprintf(key, sizeof(key), "%s_r2", split_names[i]);
		json_object_set_new(o, key, real_or_null(m->r2[i]));
	}
	return o;
}

/*
 * epoch_iso
 *		Epoch seconds as an ISO 8601 UTC timestamp to the microsecond; a
 *		fraction that rounds up to a whole second carries into the seconds.
 *		PostgreSQL's infinite timestamps are "infinity" and "-infinity", as
 *		it writes them; NaN (no start) and what gmtime cannot represent are
 *		null.
 */
static json_t *
epoch_iso(double t)
{
	time_t		s;
	long		us;
	struct tm	tm;
	char		buf[64];

	if (isnan(t))
		return json_null();
	if (isinf(t))
		return json_string(t > 0 ? "infinity" : "-infinity");
	s = (time_t) floor(t);
	us = lround((t - floor(t)) * 1e6);
	if (us >= 1000000)
	{
		s++;
		us -= 1000000;
	}
	if (gmtime_r(&s, &tm) == NULL)
		return json_null();
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ".%06ldZ", us);
	return json_string(buf);
}

/*
 * ParamsObject
 *		The training parameters, as model_info.json and the training run
 *		record them.
 */
json_t *
ParamsObject(const Options *opts)
{
	json_t	   *params = json_object();

	json_object_set_new(params, "objective", json_string(opts->objective));
	json_object_set_new(params, "eta", json_real(opts->eta));
	json_object_set_new(params, "max_depth", json_integer(opts->max_depth));
	json_object_set_new(params, "min_child_weight", json_real(opts->min_child_weight));
	json_object_set_new(params, "subsample", json_real(opts->subsample));
	json_object_set_new(params, "colsample_bytree", json_real(opts->colsample_bytree));
	json_object_set_new(params, "gamma", json_real(opts->gamma));
	json_object_set_new(params, "lambda", json_real(opts->lambda));
	json_object_set_new(params, "alpha", json_real(opts->alpha));
	json_object_set_new(params, "eval_metric", json_string("rmse"));
	json_object_set_new(params, "tree_method", json_string("hist"));
	json_object_set_new(params, "seed", json_integer((json_int_t) opts->seed));
	json_object_set_new(params, "max_rounds", json_integer(opts->rounds));
	json_object_set_new(params, "early_stopping_rounds", json_integer(opts->early_stopping));
	json_object_set_new(params, "nthread", opts->threads > 0 ? json_integer(opts->threads)
						: json_string("all cores"));
	return params;
}

/*
 * model_info
 *		The reference service's /info keys, and what the training run knows.
 */
static char *
model_info(const Dataset *data, const Split *split, const Options *opts,
		   const TrainResult *result, const char *run_id, const char *started,
		   const char *finished)
{
	json_t	   *info = json_object();
	json_t	   *columns = json_array();
	json_t	   *params = ParamsObject(opts);
	json_t	   *comparison = json_object();
	json_t	   *sp = json_object();
	json_t	   *d = json_object();
	json_t	   *excluded = json_object();
	json_t	   *importance = json_object();
	json_t	   *defaults = json_object();
	json_t	   *shap = json_object();
	json_t	   *run = json_object();
	double		first = NAN,
				last = NAN;
	char		version[32];
	char	   *text;
	size_t		i;

	for (i = 0; i < NUM_FEATURES; i++)
		json_array_append_new(columns, json_string(data->features->name[i]));

	for (i = 0; i < N_MODELS; i++)
		if (result->comparison.computed[i])
			json_object_set_new(comparison, result->comparison.name[i],
								metrics_json(&result->comparison.metrics[i]));

	json_object_set_new(sp, "method", json_string(opts->split));
	json_object_set_new(sp, "seed", json_integer((json_int_t) opts->seed));
	json_object_set_new(sp, "train", json_integer((json_int_t) split->n_train));
	json_object_set_new(sp, "val", json_integer((json_int_t) split->n_val));
	json_object_set_new(sp, "test", json_integer((json_int_t) split->n_test));

	for (i = 0; i < data->n; i++)
	{
		double		t = data->started_at[i];

		if (!isnan(t) && (isnan(first) || t < first))
			first = t;
		if (!isnan(t) && (isnan(last) || t > last))
			last = t;
	}
	json_object_set_new(excluded, "null_target", json_integer((json_int_t) data->excluded_null));
	json_object_set_new(excluded, "nan_infinite_or_negative_target",
						json_integer((json_int_t) data->excluded_invalid));
	json_object_set_new(excluded, "zero_target_log_link",
						json_integer((json_int_t) data->excluded_nonpositive));
	json_object_set_new(excluded, "infinite_feature",
						json_integer((json_int_t) data->excluded_infinite_feature));
	json_object_set_new(d, "source", json_string(opts->source));
	json_object_set_new(d, "rows_read", json_integer((json_int_t) data->rows_read));
	json_object_set_new(d, "rows", json_integer((json_int_t) data->n));
	json_object_set_new(d, "excluded", excluded);
	json_object_set_new(d, "started_at_min", epoch_iso(first));
	json_object_set_new(d, "started_at_max", epoch_iso(last));

	for (i = 0; i < NUM_FEATURES; i++)
		json_object_set_new(importance, data->features->name[i], json_real(result->importance[i]));
	for (i = 0; i < NUM_FEATURES && result->has_mean_abs_shap; i++)
		json_object_set_new(shap, data->features->name[i], json_real(result->mean_abs_shap[i]));
	for (i = 0; i < NUM_FEATURES; i++)
		if (!isnan(result->defaults[i]))
			json_object_set_new(defaults, data->features->name[i], json_real(result->defaults[i]));

	snprintf(version, sizeof(version), "%d.%d.%d", result->xgboost_version[0],
			 result->xgboost_version[1], result->xgboost_version[2]);
	json_object_set_new(run, "id", json_string(run_id));
	json_object_set_new(run, "started_at", json_string(started));
	json_object_set_new(run, "finished_at", json_string(finished));
	json_object_set_new(run, "trainer_version", json_string(TRAINER_VERSION));
	json_object_set_new(run, "xgboost_version", json_string(version));
	json_object_set_new(run, "best_iteration", json_integer(result->best_iteration));
	json_object_set_new(run, "rounds_run", json_integer(result->rounds_run));

	json_object_set_new(info, "model_type", json_string("XGBoost Regressor"));
	json_object_set_new(info, "n_features", json_integer(NUM_FEATURES));
	json_object_set_new(info, "feature_columns", columns);
	json_object_set_new(info, "num_boost_round", json_integer(result->best_iteration + 1));
	json_object_set_new(info, "params", params);
	json_object_set_new(info, "metrics", metrics_json(&result->metrics));
	json_object_set_new(info, "comparison", comparison);
	json_object_set_new(info, "split", sp);
	json_object_set_new(info, "data", d);
	json_object_set_new(info, "feature_importance", importance);
	/* read by durpred.feature_importance (sql/durpred--0.5.0.sql) */
	if (result->has_mean_abs_shap)
		json_object_set_new(info, "mean_abs_shap", shap);
	else
		json_decref(shap);
	json_object_set_new(info, "defaults", defaults);
	json_object_set_new(info, "run", run);
	/* read by analytics.feature_drift and analytics.model_health */
	if (result->distribution != NULL)
		json_object_set(info, "training_distribution", result->distribution);
	if (result->intervals_json != NULL)
	{
		json_error_t error;
		json_t	   *intervals = json_loads(result->intervals_json, 0, &error);

		if (intervals == NULL)
			pg_fatal("could not read the prediction intervals: %s", error.text);
		json_object_set_new(info, "intervals", intervals);
	}

	text = json_dumps(info, JSON_INDENT(2));
	if (text == NULL)
		pg_fatal("could not build model_info.json");
	json_decref(info);
	return text;
}

/*
 * predictions_csv
 *		row,split,target,prediction for every row, in the dataset's order
 *		(run_id, then value; see order_rows in dataset.c).
 */
static char *
predictions_csv(const Dataset *data, const Split *split, const TrainResult *result,
				size_t *len)
{
	const char **which = pg_malloc(data->n * sizeof(char *));
	size_t		cap = data->n * 64 + 64;
	char	   *csv = pg_malloc(cap);
	size_t		n;
	size_t		i;

	for (i = 0; i < split->n_train; i++)
		which[split->train[i]] = "train";
	for (i = 0; i < split->n_val; i++)
		which[split->val[i]] = "val";
	for (i = 0; i < split->n_test; i++)
		which[split->test[i]] = "test";
	n = (size_t) sprintf(csv, "row,split,target,prediction\n");
	for (i = 0; i < data->n; i++)
		n += (size_t) snprintf(csv + n, cap - n, "%lld,%s,%.9g,%.9g\n",
							   (long long) data->row_id[i], which[i], (double) data->y[i],
							   (double) result->predictions[i]);
	pg_free(which);
	*len = n;
	return csv;
}

/*
 * WriteArtifacts
 *		model.json and model_info.json in the output directory, and the
 *		predictions when asked; returns the text of model_info.json.
 */
char *
WriteArtifacts(const Dataset *data, const Split *split, const Options *opts,
			   const TrainResult *result, const char *run_id, const char *started,
			   const char *finished)
{
	char	   *info = model_info(data, split, opts, result, run_id, started, finished);
	char	   *path = pg_malloc(strlen(opts->output_dir) + 32);

	make_dirs(opts->output_dir);
	sprintf(path, "%s/model.json", opts->output_dir);
	stage_file(path, result->model_json, result->model_json_len);
	sprintf(path, "%s/model_info.json", opts->output_dir);
	stage_file(path, info, strlen(info));
	if (opts->predictions != NULL)
	{
		size_t		len;
		char	   *csv = predictions_csv(data, split, result, &len);

		stage_file(opts->predictions, csv, len);
		pg_free(csv);
	}
	commit_files();
	pg_log_info("wrote %s/model.json and %s/model_info.json%s%s",
				opts->output_dir, opts->output_dir, opts->predictions ? " and " : "",
				opts->predictions ? opts->predictions : "");
	pg_free(path);
	return info;
}

/*
 * PrintComparison
 *		The model comparison table, on stdout.
 */
void
PrintComparison(const Split *split, const TrainResult *result)
{
	int			i;

	printf("Model comparison (%zu train, %zu validation, %zu test rows; best round %d)\n\n",
		   split->n_train, split->n_val, split->n_test, result->best_iteration);
	printf("%-19s | %9s %9s %9s | %8s %8s %8s | %7s %7s %7s\n", "Model", "RMSE tr",
		   "val", "test", "MAE tr", "val", "test", "R2 tr", "val", "test");
	printf("--------------------+-------------------------------+----------------------------+------------------------\n");
	for (i = 0; i < N_MODELS; i++)
	{
		const Metrics *m = &result->comparison.metrics[i];

		if (!result->comparison.computed[i])
			continue;
		printf("%-19s | %9.3f %9.3f %9.3f | %8.3f %8.3f %8.3f | %7.4f %7.4f %7.4f\n",
			   result->comparison.name[i], m->rmse[0], m->rmse[1], m->rmse[2],
			   m->mae[0], m->mae[1], m->mae[2], m->r2[0], m->r2[1], m->r2[2]);
	}
	fflush(stdout);
}
