/*-------------------------------------------------------------------------
 *
 * src/trainer/db.h
 *		durpred-train's database code (db.c): the connection, the feature
 *		columns of durpred.features, the source's rows as a stream of COPY
 *		lines, and installing the model.
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

extern PGconn *ConnectDatabase(const Options *opts, const char *progname);
extern void ReadFeatureColumns(PGconn *conn, FeatureColumns *features);
extern void DescribeSource(PGconn *conn, const char *source,
						   const FeatureColumns *features, Source *src);
extern void StartReadingSource(Source *src, const FeatureColumns *features);
extern char *NextSourceRow(Source *src);
extern void FinishReadingSource(Source *src);
extern char *InstallModel(PGconn *conn, const char *name, const char *model,
						  size_t model_len, const char *info, bool activate);

#endif							/* DURPRED_TRAINER_DB_H */
