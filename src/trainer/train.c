/*-------------------------------------------------------------------------
 *
 * src/trainer/train.c
 *		Training with the XGBoost C API, early stopping on the validation
 *		RMSE, and the reference service's model comparison.
 *
 * Every model of the comparison is an XGBoost booster:
 *   Linear Regression   gblinear, 30 rounds of coordinate descent (it has
 *                       converged by then), no penalty
 *   Ridge Regression    the same with an L2 penalty (lambda 0.01 per row)
 *   Random Forest       gbtree, one round of 100 parallel trees, depth 12,
 *                       bootstrap-like rows (0.632) and 60 % of the
 *                       features at each split, eta 1
 *   XGBoost             the model being trained
 *   Historical median   no model: historical_median_duration, or the
 *                       training median where it is missing (found by
 *                       name among the feature columns; without it, this
 *                       baseline is left out with a warning)
 * Missing values stay missing (NaN) throughout; gblinear skips them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <math.h>

#include <xgboost/c_api.h>

#include "common/fe_memutils.h"
#include "common/logging.h"

#include "trainer.h"

/*
 * The feature the historical median baseline predicts with, found by name:
 * an attribute of durpred.features (sql/durpred--0.1.0.sql).
 */
#define MEDIAN_FEATURE_NAME "historical_median_duration"

enum
{
	M_LINEAR, M_RIDGE, M_FOREST, M_XGBOOST, M_MEDIAN
};

/*
 * xgb
 *		Checks an XGBoost call.
 */
static void
xgb(int rc, const char *what)
{
	if (rc != 0)
		pg_fatal("XGBoost could not %s: %s", what, XGBGetLastError());
}

/*
 * make_dmatrix
 *		A DMatrix of some rows, with their labels and the feature names of
 *		durpred.features.
 */
static DMatrixHandle
make_dmatrix(const Dataset *data, const size_t *rows, size_t n)
{
	float	   *x = pg_malloc(n * NUM_FEATURES * sizeof(float));
	float	   *y = pg_malloc(n * sizeof(float));
	const char *types[NUM_FEATURES];
	DMatrixHandle dm;
	size_t		i;

	for (i = 0; i < n; i++)
	{
		size_t		r = rows ? rows[i] : i;

		memcpy(x + i * NUM_FEATURES, data->x + r * NUM_FEATURES, NUM_FEATURES * sizeof(float));
		y[i] = data->y[r];
	}
	for (i = 0; i < NUM_FEATURES; i++)
		types[i] = "float";
	xgb(XGDMatrixCreateFromMat(x, n, NUM_FEATURES, NAN, &dm), "create a matrix");
	xgb(XGDMatrixSetFloatInfo(dm, "label", y, n), "set labels");
	xgb(XGDMatrixSetStrFeatureInfo(dm, "feature_name", (const char **) data->features->name,
									NUM_FEATURES), "set feature names");
	xgb(XGDMatrixSetStrFeatureInfo(dm, "feature_type", types, NUM_FEATURES), "set feature types");
	pg_free(x);
	pg_free(y);
	return dm;
}

static void
set_param(BoosterHandle b, const char *name, const char *value)
{
	char		what[128];

	snprintf(what, sizeof(what), "set parameter %s", name);
	xgb(XGBoosterSetParam(b, name, value), what);
}

static void
set_double(BoosterHandle b, const char *name, double value)
{
	char		buf[64];

	snprintf(buf, sizeof(buf), "%.17g", value);
	set_param(b, name, buf);
}

/*
 * common_params
 *		The parameters every booster of the run shares.
 */
static void
common_params(BoosterHandle b, const Options *opts)
{
	char		buf[32];

	set_param(b, "objective", opts->objective);
	set_param(b, "eval_metric", "rmse");
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long) opts->seed);
	set_param(b, "seed", buf);
	if (opts->threads > 0)
	{
		snprintf(buf, sizeof(buf), "%d", opts->threads);
		set_param(b, "nthread", buf);
	}
}

/*
 * predict_all
 *		The booster's predictions for every row of the dataset.
 */
static void
predict_all(BoosterHandle b, DMatrixHandle all, size_t n, float *out)
{
	bst_ulong const *shape;
	bst_ulong	dim;
	const float *result;

	xgb(XGBoosterPredictFromDMatrix(b, all,
									"{\"type\": 0, \"training\": false, \"iteration_begin\": 0, "
									"\"iteration_end\": 0, \"strict_shape\": false}",
									&shape, &dim, &result), "predict");
	memcpy(out, result, n * sizeof(float));
}

/*
 * mean_abs_shap
 *		The mean absolute TreeSHAP value of each feature over the test split
 *		(XGBoost's pred_contribs, in margin space): the global importance
 *		that durpred.feature_importance reports beside get_score's.
 */
static void
mean_abs_shap(BoosterHandle b, const Dataset *data, const Split *split,
			  TrainResult *result)
{
	DMatrixHandle test;
	bst_ulong const *shape;
	bst_ulong	dim;
	const float *contribs;
	size_t		i;
	int			f;

	result->has_mean_abs_shap = false;
	if (split->n_test == 0)
		return;
	test = make_dmatrix(data, split->test, split->n_test);
	xgb(XGBoosterPredictFromDMatrix(b, test,
									"{\"type\": 2, \"training\": false, \"iteration_begin\": 0, "
									"\"iteration_end\": 0, \"strict_shape\": false}",
									&shape, &dim, &contribs), "compute SHAP values");
	if (dim != 2 || shape[0] != split->n_test || shape[1] != NUM_FEATURES + 1)
		pg_fatal("XGBoost's SHAP values have an unexpected shape");
	for (f = 0; f < NUM_FEATURES; f++)
	{
		double		sum = 0;

		for (i = 0; i < split->n_test; i++)
			sum += fabs(contribs[i * (NUM_FEATURES + 1) + f]);
		result->mean_abs_shap[f] = sum / split->n_test;
	}
	result->has_mean_abs_shap = true;
	xgb(XGDMatrixFree(test), "free a matrix");
}

/*
 * RegressionMetrics
 *		See trainer.h.
 */
void
RegressionMetrics(const Dataset *data, const size_t *rows, size_t n, const double *pred,
				  double *mae, double *rmse, double *r2)
{
	double		sum = 0,
				sse = 0,
				sae = 0,
				sst = 0,
				mean;
	size_t		i;

	for (i = 0; i < n; i++)
		sum += data->y[rows[i]];
	mean = sum / n;
	for (i = 0; i < n; i++)
	{
		double		y = data->y[rows[i]];
		double		e = pred[i] - y;

		sse += e * e;
		sae += fabs(e);
		sst += (y - mean) * (y - mean);
	}
	*mae = sae / n;
	*rmse = sqrt(sse / n);
	*r2 = sst > 0 ? 1.0 - sse / sst : 0.0;
}

/*
 * split_metrics
 *		RMSE, MAE and R^2 of the predictions (one per dataset row) on the
 *		rows of one split.
 */
static void
split_metrics(const Dataset *data, const size_t *rows, size_t n, const float *pred,
			  int which, Metrics *m)
{
	double	   *own = pg_malloc(sizeof(double) * (n > 0 ? n : 1));
	size_t		i;

	for (i = 0; i < n; i++)
		own[i] = pred[rows[i]];
	RegressionMetrics(data, rows, n, own, &m->mae[which], &m->rmse[which], &m->r2[which]);
	pg_free(own);
}

static void
all_metrics(const Dataset *data, const Split *split, const float *pred, Metrics *m)
{
	split_metrics(data, split->train, split->n_train, pred, 0, m);
	split_metrics(data, split->val, split->n_val, pred, 1, m);
	split_metrics(data, split->test, split->n_test, pred, 2, m);
}

static int
compare_floats(const void *a, const void *b)
{
	float		x = *(const float *) a;
	float		y = *(const float *) b;

	return (x > y) - (x < y);
}

/*
 * median_of
 *		The median of the non-missing values of a feature (or of the target,
 *		feature -1) over the training rows; whole features (an integer or a
 *		boolean in durpred.features) take the lower middle value, so that
 *		the default is a value the feature can have.  NaN when every value
 *		is missing.
 */
static double
median_of(const Dataset *data, const Split *split, int feature)
{
	float	   *v = pg_malloc(split->n_train * sizeof(float));
	size_t		n = 0;
	size_t		i;
	double		m;

	for (i = 0; i < split->n_train; i++)
	{
		size_t		r = split->train[i];
		float		x = feature < 0 ? data->y[r] : data->x[r * NUM_FEATURES + feature];

		if (!isnan(x))
			v[n++] = x;
	}
	if (n == 0)
	{
		pg_free(v);
		return NAN;
	}
	qsort(v, n, sizeof(float), compare_floats);
	if (n % 2 == 1 || (feature >= 0 && data->features->whole[feature]))
		m = v[(n - 1) / 2];
	else
		m = ((double) v[n / 2 - 1] + v[n / 2]) / 2.0;
	pg_free(v);
	return m;
}

/*
 * run_baseline
 *		Trains a comparison model for a fixed number of rounds and scores it.
 */
static void
run_baseline(int which, const char *name, const Dataset *data, const Split *split,
			 const Options *opts, DMatrixHandle train, DMatrixHandle all, float *pred,
			 Comparison *cmp)
{
	BoosterHandle b;
	int			rounds = 1;
	int			i;

	pg_log_info("training the %s baseline", name);
	xgb(XGBoosterCreate(&train, 1, &b), "create a booster");
	common_params(b, opts);
	if (which == M_LINEAR || which == M_RIDGE)
	{
		set_param(b, "booster", "gblinear");
		set_param(b, "updater", "coord_descent");
		set_param(b, "feature_selector", "cyclic");
		set_param(b, "eta", "1");
		set_param(b, "alpha", "0");
		set_param(b, "lambda", which == M_RIDGE ? "0.01" : "0");
		rounds = 30;
	}
	else
	{
		set_param(b, "booster", "gbtree");
		set_param(b, "tree_method", "hist");
		set_param(b, "num_parallel_tree", "100");
		set_param(b, "eta", "1");
		set_param(b, "subsample", "0.632");
		set_param(b, "colsample_bynode", "0.6");
		set_param(b, "max_depth", "12");
		set_param(b, "min_child_weight", "5");
	}
	for (i = 0; i < rounds; i++)
		xgb(XGBoosterUpdateOneIter(b, i, train), "train a baseline");
	predict_all(b, all, data->n, pred);
	all_metrics(data, split, pred, &cmp->metrics[which]);
	cmp->name[which] = name;
	cmp->computed[which] = true;
	xgb(XGBoosterFree(b), "free a booster");
}

/*
 * parse_eval
 *		The train and validation RMSE of XGBoosterEvalOneIter's string:
 *		"[i]\ttrain-rmse:X\tval-rmse:Y".
 */
static void
parse_eval(const char *s, double *train, double *val)
{
	const char *t = strstr(s, "train-rmse:");
	const char *v = strstr(s, "val-rmse:");

	if (t == NULL || v == NULL)
		pg_fatal("unexpected evaluation from XGBoost: %s", s);
	*train = strtod(t + strlen("train-rmse:"), NULL);
	*val = strtod(v + strlen("val-rmse:"), NULL);
}

/*
 * Train
 *		Trains the model with early stopping, keeps its trees up to the best
 *		round, and runs the comparison.
 */
void
Train(const Dataset *data, const Split *split, const Options *opts, TrainResult *result)
{
	DMatrixHandle dtrain = make_dmatrix(data, split->train, split->n_train);
	DMatrixHandle dval = make_dmatrix(data, split->val, split->n_val);
	DMatrixHandle dall = make_dmatrix(data, NULL, data->n);
	DMatrixHandle evals[2] = {dtrain, dval};
	const char *eval_names[2] = {"train", "val"};
	const char *types[NUM_FEATURES];
	BoosterHandle booster;
	BoosterHandle sliced;
	double		best = INFINITY;
	double		train_rmse = 0,
				val_rmse = 0;
	int			it;
	float	   *pred = pg_malloc(data->n * sizeof(float));
	double		target_median = median_of(data, split, -1);
	const char *json;
	bst_ulong	json_len;
	bst_ulong	n_scores;
	const char **score_names;
	bst_ulong	score_dim;
	bst_ulong const *score_shape;
	const float *scores;
	size_t		i;
	int			median_feature = -1;
	char		verbosity[32];

	memset(result, 0, sizeof(TrainResult));
	XGBoostVersion(&result->xgboost_version[0], &result->xgboost_version[1],
				   &result->xgboost_version[2]);
	snprintf(verbosity, sizeof(verbosity), "{\"verbosity\": %d}", opts->quiet ? 0 : 1);
	xgb(XGBSetGlobalConfig(verbosity), "set its verbosity");

	/* the model */
	xgb(XGBoosterCreate(evals, 2, &booster), "create a booster");
	common_params(booster, opts);
	set_param(booster, "booster", "gbtree");
	set_param(booster, "tree_method", "hist");
	set_double(booster, "eta", opts->eta);
	set_double(booster, "max_depth", opts->max_depth);
	set_double(booster, "min_child_weight", opts->min_child_weight);
	set_double(booster, "subsample", opts->subsample);
	set_double(booster, "colsample_bytree", opts->colsample_bytree);
	set_double(booster, "gamma", opts->gamma);
	set_double(booster, "lambda", opts->lambda);
	set_double(booster, "alpha", opts->alpha);

	pg_log_info("training XGBoost (%s, up to %d rounds, early stopping after %d)",
				opts->objective, opts->rounds, opts->early_stopping);
	result->best_iteration = 0;
	for (it = 0; it < opts->rounds; it++)
	{
		const char *eval;

		xgb(XGBoosterUpdateOneIter(booster, it, dtrain), "train");
		xgb(XGBoosterEvalOneIter(booster, it, evals, eval_names, 2, &eval), "evaluate");
		parse_eval(eval, &train_rmse, &val_rmse);
		if (val_rmse < best)
		{
			best = val_rmse;
			result->best_iteration = it;
		}
		if (it % 10 == 0)
			pg_log_info("round %4d  train RMSE %10.4f  validation RMSE %10.4f",
						it, train_rmse, val_rmse);
		if (it - result->best_iteration >= opts->early_stopping)
			break;
	}
	result->rounds_run = it < opts->rounds ? it + 1 : opts->rounds;
	pg_log_info("best round %d of %d: validation RMSE %.4f",
				result->best_iteration, result->rounds_run, best);

	/* the trees up to the best round: what is served is what was validated */
	xgb(XGBoosterSlice(booster, 0, result->best_iteration + 1, 1, &sliced), "slice the model");
	for (i = 0; i < NUM_FEATURES; i++)
		types[i] = "float";
	xgb(XGBoosterSetStrFeatureInfo(sliced, "feature_name", (const char **) data->features->name,
								   NUM_FEATURES), "store feature names");
	xgb(XGBoosterSetStrFeatureInfo(sliced, "feature_type", types, NUM_FEATURES),
		"store feature types");
	if (opts->threads > 0)
	{
		char		buf[16];

		snprintf(buf, sizeof(buf), "%d", opts->threads);
		set_param(sliced, "nthread", buf);
	}
	xgb(XGBoosterSaveModelToBuffer(sliced, "{\"format\": \"json\"}", &json_len, &json),
		"save the model");
	result->model_json = pg_malloc(json_len + 1);
	memcpy(result->model_json, json, json_len);
	result->model_json[json_len] = '\0';
	result->model_json_len = json_len;

	result->predictions = pg_malloc(data->n * sizeof(float));
	predict_all(sliced, dall, data->n, result->predictions);
	all_metrics(data, split, result->predictions, &result->metrics);

	mean_abs_shap(sliced, data, split, result);

	xgb(XGBoosterFeatureScore(sliced, "{\"importance_type\": \"gain\"}", &n_scores,
							  &score_names, &score_dim, &score_shape, &scores),
		"score feature importance");
	for (i = 0; i < n_scores; i++)
	{
		int			f;

		for (f = 0; f < NUM_FEATURES; f++)
			if (strcmp(score_names[i], data->features->name[f]) == 0)
				result->importance[f] = scores[i];
	}

	for (i = 0; i < NUM_FEATURES; i++)
	{
		result->defaults[i] = median_of(data, split, (int) i);
		if (strcmp(data->features->name[i], MEDIAN_FEATURE_NAME) == 0)
			median_feature = (int) i;
	}

	/* the comparison */
	result->comparison.metrics[M_XGBOOST] = result->metrics;
	result->comparison.name[M_XGBOOST] = "XGBoost";
	result->comparison.computed[M_XGBOOST] = true;
	run_baseline(M_LINEAR, "Linear Regression", data, split, opts, dtrain, dall, pred,
				 &result->comparison);
	run_baseline(M_RIDGE, "Ridge Regression", data, split, opts, dtrain, dall, pred,
				 &result->comparison);
	run_baseline(M_FOREST, "Random Forest", data, split, opts, dtrain, dall, pred,
				 &result->comparison);
	if (median_feature >= 0)
	{
		for (i = 0; i < data->n; i++)
		{
			float		m = data->x[i * NUM_FEATURES + median_feature];

			pred[i] = isnan(m) ? (float) target_median : m;
		}
		all_metrics(data, split, pred, &result->comparison.metrics[M_MEDIAN]);
		result->comparison.name[M_MEDIAN] = "Historical median";
		result->comparison.computed[M_MEDIAN] = true;
	}
	else
		pg_log_warning("the historical median baseline is left out: the feature columns have no \"%s\"",
					   MEDIAN_FEATURE_NAME);

	pg_free(pred);
	xgb(XGBoosterFree(sliced), "free a booster");
	xgb(XGBoosterFree(booster), "free a booster");
	xgb(XGDMatrixFree(dtrain), "free a matrix");
	xgb(XGDMatrixFree(dval), "free a matrix");
	xgb(XGDMatrixFree(dall), "free a matrix");
}
