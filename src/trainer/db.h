/*-------------------------------------------------------------------------
 *
 * src/trainer/db.h
 *		durpred-train's database code (db.c): the connection, the feature
 *		columns of durpred.features, the source's rows as a stream of COPY
 *		lines, installing the model, recording the training run and the
 *		promotion gate's questions.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_TRAINER_DB_H
#define DURPRED_TRAINER_DB_H

#include <libpq-fe.h>

#include "trainer.h"

/*
 * A source being read.  Its rows arrive as COPY text lines whose fields
 * are, in order: the NUM_FEATURES features, duration_seconds, then run_id
 * when has_run_id and the start in epoch seconds when has_started_at.
 */
typedef struct Source
{
	const char *name;			/* as given, for messages */
	bool		has_run_id;
	bool		has_started_at;
	int			ncols;			/* fields of a row */
	/* private to db.c */
	PGconn	   *conn;
	char	   *from;			/* a quoted name, or "(query) AS source" */
	char	   *row;			/* the row last returned, freed by the next call */
} Source;

/*
 * How a training run ended, for durpred.training_run_finish: text values as
 * the server reads them, NULL for none.
 */
typedef struct RunRecord
{
	const char *run_id;
	const char *outcome;		/* trained, installed, promoted, kept, failed */
	const char *model_id;
	const char *data_first;		/* ISO 8601 */
	const char *data_last;
	const char *rows;			/* JSON */
	const char *metrics;		/* JSON */
	const char *reason;
} RunRecord;

extern PGconn *ConnectDatabase(const Options *opts, const char *progname);
extern PGconn *TryConnectDatabase(const Options *opts, const char *progname, char **error);
extern void ReadFeatureColumns(PGconn *conn, FeatureColumns *features);
extern void DescribeSource(PGconn *conn, const char *source,
						   const FeatureColumns *features, Source *src);
extern void StartReadingSource(Source *src, const FeatureColumns *features);
extern char *NextSourceRow(Source *src);
extern void FinishReadingSource(Source *src);
extern char *InstallModel(PGconn *conn, const char *name, const char *model,
						  size_t model_len, const char *info, bool activate);

extern bool RecordRunStart(PGconn *conn, const char *run_id, const char *source,
						   const char *params);
extern bool RecordRunFinish(PGconn *conn, const RunRecord *rec, char **error);
extern void RunCommand(PGconn *conn, const char *command);
extern bool ReadActiveModel(PGconn *conn, char **id, char **label);
extern bool ScoreWithActiveModel(PGconn *conn, const Dataset *data, const size_t *rows,
								 size_t n, const char *active_id, double *pred,
								 char **error);
extern bool PromoteModel(PGconn *conn, const char *id, const char *replacing);

#endif							/* DURPRED_TRAINER_DB_H */
