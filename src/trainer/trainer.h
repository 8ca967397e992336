/*-------------------------------------------------------------------------
 *
 * src/trainer/trainer.h
 *		durpred-train: reads the training set through libpq, trains an
 *		XGBoost regressor with its C API, compares it with baselines, writes
 *		the artifacts and registers the model.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_TRAINER_H
#define DURPRED_TRAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#define TRAINER_VERSION "0.1.0"
#define NUM_FEATURES 25
#define MIN_ROWS 10

/* exit statuses */
#define EXIT_OK 0
#define EXIT_FAILURE_RUN 1
#define EXIT_USAGE 2

extern const char *const feature_names[NUM_FEATURES];

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
	bool		quiet;
} Options;

/* The rows read from the source. */
typedef struct Dataset
{
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
	char	   *source_sql;		/* the source as the trainer read it */
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
	double		defaults[NUM_FEATURES]; /* training medians, NaN if none */
	int			xgboost_version[3];
} TrainResult;

/* main.c */
extern const char *progname;
extern void fatal(const char *fmt,...) __attribute__((format(printf, 1, 2), noreturn));
extern void fatal_detail(const char *detail, const char *fmt,...) __attribute__((format(printf, 2, 3), noreturn));
extern void fatal_hint(const char *detail, const char *hint, const char *fmt,...) __attribute__((format(printf, 3, 4), noreturn));
extern void warning(const char *fmt,...) __attribute__((format(printf, 1, 2)));
extern void progress(const Options *opts, const char *fmt,...) __attribute__((format(printf, 2, 3)));
extern void *xmalloc(size_t size);
extern void *xrealloc(void *p, size_t size);
extern char *xstrdup(const char *s);

/* dataset.c */
extern PGconn *ConnectDatabase(const Options *opts);
extern char *ServerError(PGconn *conn, PGresult *res);
extern void ReadDataset(PGconn *conn, const Options *opts, Dataset *data);

/* split.c */
extern void SplitDataset(const Dataset *data, const Options *opts, Split *split);

/* train.c */
extern void Train(const Dataset *data, const Split *split, const Options *opts,
				  TrainResult *result);

/* artifacts.c: WriteArtifacts returns the text of model_info.json */
extern char *WriteArtifacts(const Dataset *data, const Split *split,
							const Options *opts, const TrainResult *result,
							const char *run_id, const char *started, const char *finished);
extern void InstallModel(PGconn *conn, const Options *opts, const TrainResult *result,
						 const char *info);
extern void PrintComparison(const Split *split, const TrainResult *result);

#endif							/* DURPRED_TRAINER_H */
