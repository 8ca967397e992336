/*-------------------------------------------------------------------------
 *
 * src/trainer/trainer.h
 *		durpred-train: reads the training set through libpq, trains an
 *		XGBoost regressor with its C API, compares it with baselines, writes
 *		the artifacts and registers the model.
 *
 * The program's shared types, then one section per file for what it
 * exports.  The database code has a header of its own, db.h; main.c
 * exports nothing.  Include "postgres_fe.h" before this header: messages
 * and memory come from PostgreSQL's frontend library (common/logging.h,
 * common/fe_memutils.h), as in PostgreSQL's own client programs.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_TRAINER_H
#define DURPRED_TRAINER_H

#include <jansson.h>
#include <libpq-fe.h>

#define TRAINER_NAME "durpred-train"
#define TRAINER_VERSION "0.1.0"

/*
 * The width of a row of features, compiled in.  The names, their order and
 * their types come from the database's type durpred.features (see
 * ReadFeatureColumns in db.c), which must have exactly this many attributes.
 * Keep in sync with sql/durpred--0.1.0.sql: durpred.features and
 * src/feature.h: DURPRED_NUM_FEATURES.
 */
#define NUM_FEATURES 25
#define MIN_ROWS 10

/* exit statuses; pg_fatal exits with EXIT_FAILURE_RUN */
#define EXIT_OK 0
#define EXIT_FAILURE_RUN 1
#define EXIT_USAGE 2
#define EXIT_KEPT 3				/* --promote-if-better kept the active model */

typedef struct Options
{
	const char *dbname;
	const char *host;
	const char *port;
	const char *username;
	const char *source;
	const char *output_dir;
	const char *split;			/* "random" or "time" */
	uint64_t	seed;
	const char *objective;
	double		eta;
	int			max_depth;
	double		min_child_weight;
	double		subsample;
	double		colsample_bytree;
	double		gamma;
	double		lambda;
	double		alpha;
	int			rounds;
	int			early_stopping;
	int			threads;		/* 0: all cores */
	const char *predictions;	/* CSV file, or NULL */
	const char *install_name;	/* model name, or NULL */
	bool		activate;
	bool		promote_if_better;
	const char *promote_metric; /* "mae", "rmse" or "r2" */
	double		promote_margin; /* a fraction of the active model's error */
	bool		quiet;
} Options;

/* The model's columns: the attributes of the database's durpred.features. */
typedef struct FeatureColumns
{
	char	   *name[NUM_FEATURES]; /* in attnum order: the model's columns */
	bool		whole[NUM_FEATURES];	/* an integer or boolean attribute */
} FeatureColumns;

/* The rows read from the source. */
typedef struct Dataset
{
	const FeatureColumns *features; /* the columns of x */
	size_t		n;				/* usable rows */
	float	   *x;				/* n x NUM_FEATURES, row-major, NaN = missing */
	float	   *y;				/* the target, duration_seconds */
	int64_t    *row_id;			/* run_id, or the row's position in the source */
	double	   *started_at;		/* epoch seconds, NaN when absent */
	bool		has_run_id;
	bool		has_started_at;
	size_t		rows_read;
	size_t		excluded_null;	/* target NULL */
	size_t		excluded_invalid;	/* target NaN, infinite or negative */
	size_t		excluded_nonpositive;	/* target 0, for a log-link objective */
	size_t		excluded_infinite_feature;
} Dataset;

/* Row indices of the three splits. */
typedef struct Split
{
	size_t	   *train;
	size_t		n_train;
	size_t	   *val;
	size_t		n_val;
	size_t	   *test;
	size_t		n_test;
} Split;

typedef struct Metrics
{
	double		rmse[3];		/* train, val, test */
	double		mae[3];
	double		r2[3];
} Metrics;

#define N_MODELS 5
typedef struct Comparison
{
	const char *name[N_MODELS];
	Metrics		metrics[N_MODELS];
	bool		computed[N_MODELS];
} Comparison;

typedef struct TrainResult
{
	int			best_iteration;
	int			rounds_run;
	char	   *model_json;		/* XGBoost JSON of the trees up to the best */
	size_t		model_json_len;
	Metrics		metrics;
	Comparison	comparison;
	float	   *predictions;	/* of every row of the dataset */
	double		importance[NUM_FEATURES];	/* gain, 0 if never used */
	bool		has_mean_abs_shap;	/* false when the test split is empty */
	double		mean_abs_shap[NUM_FEATURES];	/* over the test split */
	double		defaults[NUM_FEATURES]; /* training medians, NaN if none */
	int			xgboost_version[3];
	json_t	   *distribution;	/* drift.c's TrainingDistribution, or NULL */
	struct IntervalFit *intervals;	/* interval.h; NULL when none */
	char	   *intervals_json; /* model_info.json's "intervals", or NULL */
} TrainResult;

/* dataset.c */
extern void ReadDataset(PGconn *conn, const Options *opts,
						const FeatureColumns *features, Dataset *data);

/* split.c */
extern void SplitDataset(const Dataset *data, const Options *opts, Split *split);

/* train.c */
extern void Train(const Dataset *data, const Split *split, const Options *opts,
				  TrainResult *result);
/*
 * MAE, RMSE and R^2 (0 where the targets do not vary) of predictions pred[i]
 * of rows[i], in double: the one definition of the comparison table's and
 * the promotion gate's metrics.
 */
extern void RegressionMetrics(const Dataset *data, const size_t *rows, size_t n,
							  const double *pred, double *mae, double *rmse, double *r2);

/* artifacts.c: WriteArtifacts returns the text of model_info.json */
extern char *NewRunId(void);
extern char *IsoTimestampNow(void);
extern char *WriteArtifacts(const Dataset *data, const Split *split,
							const Options *opts, const TrainResult *result,
							const char *run_id, const char *started, const char *finished);
extern void PrintComparison(const Split *split, const TrainResult *result);
extern json_t *ParamsObject(const Options *opts);

/* drift.c */
extern json_t *TrainingDistribution(const Dataset *data, const Split *split,
									const TrainResult *result);

/* tracking.c */
extern void CaptureMessages(const char *progname);
extern void TrackRunStart(PGconn *conn, const Options *opts, const char *run_id);
extern void TrackRunModel(const char *model_id);
extern void TrackRunFinish(PGconn *conn, const char *outcome, const char *info,
						   json_t *gate, const char *reason);

/* gate.c: the promotion gate's decision */
typedef struct GateDecision
{
	bool		promote;
	char	   *replacing;		/* the active model's id, NULL for none */
	char	   *reason;
	json_t	   *figures;		/* what durpred.training_run records */
} GateDecision;

extern void PromotionGate(PGconn *conn, const Options *opts, const Dataset *data,
						  const Split *split, const TrainResult *result,
						  GateDecision *decision);

#endif							/* DURPRED_TRAINER_H */
