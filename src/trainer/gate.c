/*-------------------------------------------------------------------------
 *
 * src/trainer/gate.c
 *		The promotion gate of --promote-if-better: is the new model better
 *		than the active one?
 *
 * Both models are judged on exactly the new model's test rows, as the
 * server serves them: the active model's predictions come from the server
 * (db.c: ScoreWithActiveModel), the candidate's from XGBoost, clamped at 0
 * as durpred.predict_duration clamps them.  The metric is an error to
 * lower: MAE, RMSE, or for R^2 the unexplained share of the variance,
 * 1 - R^2.  The candidate wins when its error is below the active model's
 * times (1 - margin).  With no active model it wins; with an active model
 * that cannot score the rows (it fails to load, its features are not
 * those of the database) too, since it serves nothing either.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <math.h>

#include "common/fe_memutils.h"
#include "common/logging.h"

#include "db.h"
#include "trainer.h"

typedef struct GateMetrics
{
	double		mae;
	double		rmse;
	double		r2;
} GateMetrics;

/*
 * gate_metrics
 *		MAE, RMSE and R^2 of predictions pred[i] of rows[i], as the trainer
 *		computes them for its own candidates.
 */
static void
gate_metrics(const Dataset *data, const size_t *rows, size_t n, const double *pred,
			 GateMetrics *m)
{
	RegressionMetrics(data, rows, n, pred, &m->mae, &m->rmse, &m->r2);
}

static json_t *
metrics_object(const GateMetrics *m)
{
	json_t	   *o = json_object();

	json_object_set_new(o, "mae", isfinite(m->mae) ? json_real(m->mae) : json_null());
	json_object_set_new(o, "rmse", isfinite(m->rmse) ? json_real(m->rmse) : json_null());
	json_object_set_new(o, "r2", isfinite(m->r2) ? json_real(m->r2) : json_null());
	return o;
}

/*
 * error_of
 *		The chosen metric as an error to lower.
 */
static double
error_of(const GateMetrics *m, const char *metric)
{
	if (strcmp(metric, "rmse") == 0)
		return m->rmse;
	if (strcmp(metric, "r2") == 0)
		return 1.0 - m->r2;
	return m->mae;
}

/*
 * PromotionGate
 *		Decides whether the new model replaces the active one, and why; the
 *		figures go into the run's record.  Activates nothing.
 */
void
PromotionGate(PGconn *conn, const Options *opts, const Dataset *data, const Split *split,
			  const TrainResult *result, GateDecision *decision)
{
	const char *metric = opts->promote_metric;
	double	   *cand = pg_malloc((split->n_test + 1) * sizeof(double));
	double	   *act = pg_malloc((split->n_test + 1) * sizeof(double));
	GateMetrics cm,
				am;
	char	   *active_id = NULL;
	char	   *label = NULL;
	char	   *error = NULL;
	json_t	   *fig = json_object();
	size_t		i;

	memset(decision, 0, sizeof(GateDecision));
	decision->figures = fig;
	json_object_set_new(fig, "metric", json_string(metric));
	json_object_set_new(fig, "margin", json_real(opts->promote_margin));
	json_object_set_new(fig, "rows", json_integer((json_int_t) split->n_test));

	for (i = 0; i < split->n_test; i++)
	{
		float		p = result->predictions[split->test[i]];

		cand[i] = p > 0 ? p : 0;
	}
	gate_metrics(data, split->test, split->n_test, cand, &cm);
	json_object_set_new(fig, "candidate", metrics_object(&cm));

	if (!ReadActiveModel(conn, &active_id, &label))
	{
		decision->promote = true;
		decision->reason = pg_strdup("no model was active");
		json_object_set_new(fig, "active_model_id", json_null());
		pg_free(cand);
		pg_free(act);
		return;
	}
	decision->replacing = active_id;
	json_object_set_new(fig, "active_model_id", json_integer(strtoll(active_id, NULL, 10)));
	json_object_set_new(fig, "active_model", json_string(label));

	if (split->n_test == 0)
	{
		decision->promote = false;
		decision->reason = pg_strdup("the test split is empty: nothing to compare the models on");
	}
	else if (!ScoreWithActiveModel(conn, data, split->test, split->n_test, active_id,
								   act, &error))
	{
		decision->promote = true;
		decision->reason = psprintf("the active model %s (id %s) could not score the test rows: %s",
									label, active_id, error);
		json_object_set_new(fig, "active_error", json_string(error));
	}
	else
	{
		double		ce,
					ae;

		gate_metrics(data, split->test, split->n_test, act, &am);
		json_object_set_new(fig, "active", metrics_object(&am));
		ce = error_of(&cm, metric);
		ae = error_of(&am, metric);
		decision->promote = ce < ae * (1.0 - opts->promote_margin);
		decision->reason =
			psprintf("test %s %.6g of the new model against %.6g of the active model %s (id %s), margin %g: %s",
					 strcmp(metric, "r2") == 0 ? "R2" : (strcmp(metric, "rmse") == 0 ? "RMSE" : "MAE"),
					 strcmp(metric, "r2") == 0 ? cm.r2 : (strcmp(metric, "rmse") == 0 ? cm.rmse : cm.mae),
					 strcmp(metric, "r2") == 0 ? am.r2 : (strcmp(metric, "rmse") == 0 ? am.rmse : am.mae),
					 label, active_id, opts->promote_margin,
					 decision->promote ? "better" : "not better");
	}
	pg_free(cand);
	pg_free(act);
}
