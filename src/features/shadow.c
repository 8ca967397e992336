/*-------------------------------------------------------------------------
 *
 * src/features/shadow.c
 *		The shadow model in the serving trigger: for every run the trigger
 *		estimates, the shadow model (durpred.set_shadow_model) scores the
 *		same features, and both estimates go into the shadow log
 *		(extract/lifecycle.sql: analytics.shadow_estimate), never into the
 *		run's row.
 *
 * Nothing here may fail the write, and it runs for every new run, so it is
 * written for the insert's hot path:
 *
 * - While no shadow model is set, the trigger spends nothing here
 *   (ShadowModelMaybeSet).
 * - Finding and loading the shadow model may raise (a model that does not
 *   load): that runs in a subtransaction that writes nothing, and its error
 *   is a WARNING.  It happens once per change of the registry; afterwards
 *   the loaded model scores without one, with the compiled evaluator,
 *   which does not raise (a NaN prediction is a WARNING).  With
 *   durpred.evaluator = xgboost every row scores in a subtransaction.
 * - The log is looked up for every row (by name: a dropped or renamed
 *   table is a WARNING, so is one the table's owner may not write) and
 *   written without a subtransaction, so that a bulk insert takes no
 *   subtransaction id per row: without the executor where it is a plain
 *   table, as the one lifecycle.sql creates (AppendRow, append.c), else
 *   through SPI.
 *
 * A shadow model that is the active model is not scored twice: nothing is
 * logged.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/regproc.h"
#include "utils/timestamp.h"

#include "cache.h"
#include "calls.h"
#include "common/estimate.h"
#include "features/append.h"
#include "features/shadow.h"

/*
 * The log's columns, in order (keep in sync with
 * extract/lifecycle.sql:analytics.shadow_estimate).
 */
#define LOG_COLUMNS 6
static const struct
{
	const char *name;
	Oid			type;
}			log_columns[LOG_COLUMNS] = {
	{"run_id", INT8OID},
	{"active_model_id", INT8OID},
	{"active_estimate", FLOAT8OID},
	{"shadow_model_id", INT8OID},
	{"shadow_estimate", FLOAT8OID},
	{"estimated_at", TIMESTAMPTZOID},
};

/* the log's insert through SPI, prepared for the session, and its table */
static char *plan_log = NULL;
static SPIPlanPtr plan = NULL;

/* What ScoreShadow is asked, and what it answers. */
typedef struct ShadowScoring
{
	const float *x;
	int64		active_id;
	bool		made;
	int64		model_id;
	double		seconds;
} ShadowScoring;

/*
 * ScoreShadow
 *		The shadow model's estimate for the features x, when there is a
 *		shadow model other than the active one.  Called in a subtransaction.
 */
static void
ScoreShadow(void *arg)
{
	ShadowScoring *s = arg;
	CachedModel *model = ShadowModel();

	if (model == NULL || model->id == s->active_id)
		return;
	s->seconds = ScorerSeconds(model->scorer, s->x);
	s->model_id = model->id;
	s->made = true;
}

/*
 * LogTable
 *		The log table's oid, when it exists and the current user (the
 *		owner of the runs table) may insert into it; else a WARNING and
 *		InvalidOid.  Looked up for every row: a cached plan or oid would
 *		fail the write once the table is dropped.
 */
static Oid
LogTable(const char *log, int64 run)
{
	List	   *names = stringToQualifiedNameList(log);
	Oid			relid = InvalidOid;

	if (list_length(names) == 2)
		relid = RangeVarGetRelid(makeRangeVarFromNameList(names), NoLock, true);
	if (!OidIsValid(relid))
	{
		ereport(WARNING,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("durpred: shadow estimate for run " INT64_FORMAT " not logged: table %s does not exist",
						run, log),
				 errhint("extract/serving.sql creates it.")));
		return InvalidOid;
	}
	if (pg_class_aclcheck(relid, GetUserId(), ACL_INSERT) != ACLCHECK_OK)
	{
		ereport(WARNING,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("durpred: shadow estimate for run " INT64_FORMAT " not logged: permission denied for table %s",
						run, log)));
		return InvalidOid;
	}
	return relid;
}

/*
 * LogShadowSPI
 *		Appends both estimates to the log through SPI.
 */
static void
LogShadowSPI(const char *log, const Datum *values)
{
	Oid			argtypes[LOG_COLUMNS];
	int			rc;

	for (int i = 0; i < LOG_COLUMNS; i++)
		argtypes[i] = log_columns[i].type;
	SPI_connect();
	if (plan == NULL || strcmp(plan_log, log) != 0)
	{
		List	   *names = stringToQualifiedNameList(log);
		SPIPlanPtr	p;

		p = SPI_prepare(psprintf("INSERT INTO %s (run_id, active_model_id, active_estimate,"
								 " shadow_model_id, shadow_estimate, estimated_at)"
								 " VALUES ($1, $2, $3, $4, $5, $6)",
								 quote_qualified_identifier(strVal(linitial(names)),
															strVal(lsecond(names)))),
						LOG_COLUMNS, argtypes);
		if (p == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		if (SPI_keepplan(p) != 0)
			elog(ERROR, "SPI_keepplan failed");
		if (plan != NULL)
		{
			SPI_freeplan(plan);
			pfree(plan_log);
		}
		plan = p;
		plan_log = MemoryContextStrdup(TopMemoryContext, log);
	}
	rc = SPI_execute_plan(plan, (Datum *) values, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	SPI_finish();
}

/*
 * LogShadow
 *		Appends both estimates to the log.
 */
static void
LogShadow(const char *log, Oid relid, int64 run, int64 active_id, double active_seconds,
		  const ShadowScoring *s)
{
	Datum		values[LOG_COLUMNS] = {
		Int64GetDatum(run), Int64GetDatum(active_id), Float8GetDatum(active_seconds),
		Int64GetDatum(s->model_id), Float8GetDatum(s->seconds),
		/* the column's default, clock_timestamp(), as analytics.run_estimate's */
		TimestampTzGetDatum(GetCurrentTimestamp())
	};
	bool		nulls[LOG_COLUMNS] = {false};
	AttrNumber	attnos[LOG_COLUMNS];
	Oid			types[LOG_COLUMNS];

	for (int i = 0; i < LOG_COLUMNS; i++)
	{
		attnos[i] = get_attnum(relid, log_columns[i].name);
		types[i] = log_columns[i].type;
	}
	/* without the executor where the log is a plain table (append.c) */
	if (AppendRow(relid, LOG_COLUMNS, attnos, types, values, nulls))
		return;
	LogShadowSPI(log, values);
}

/*
 * ShadowEstimate
 *		Scores the shadow model on the run's features x and logs its
 *		estimate beside the active model's; a WARNING instead where it
 *		cannot.  Called by the trigger after the active model's estimate,
 *		as the owner of the runs table.
 */
void
ShadowEstimate(const char *log, int64 run, int64 active_id, double active_seconds,
			   const float *x)
{
	ShadowScoring s = {.x = x, .active_id = active_id};
	CachedModel *model;
	bool		known;
	Oid			relid;

	if (!ShadowModelMaybeSet())
		return;
	model = ShadowModelIfKnown(&known);
	if (known && durpred_evaluator == SCORER_COMPILED)
	{
		/* loaded: the compiled evaluator does not raise */
		if (model == NULL || model->id == active_id)
			return;
		s.seconds = ScorerPredict(model->scorer, x);
		if (isnan(s.seconds))
		{
			ereport(WARNING,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("durpred: no shadow estimate for run " INT64_FORMAT ": the model's prediction is NaN",
							run)));
			return;
		}
		s.seconds = EstimateSeconds(s.seconds); /* as ScorerSeconds */
		s.model_id = model->id;
		s.made = true;
	}
	else
	{
		ErrorData  *edata = CallInSubtransaction(ScoreShadow, &s);

		if (edata != NULL)
		{
			WarnInstead(edata, psprintf("no shadow estimate for run " INT64_FORMAT, run));
			return;
		}
	}
	if (!s.made)
		return;
	relid = LogTable(log, run);
	if (OidIsValid(relid))
		LogShadow(log, relid, run, active_id, active_seconds, &s);
}
