/*-------------------------------------------------------------------------
 *
 * src/features/shadow.c
 *		The shadow model in the serving trigger: for every run the trigger
 *		estimates, the shadow model (durpred.set_shadow_model) scores the
 *		same features, and both estimates go into the shadow log
 *		(extract/serving.sql: analytics.shadow_estimate), never into the
 *		run's row.
 *
 * Nothing here may fail the write: scoring runs in a subtransaction that
 * writes nothing (a shadow model that fails to load, or cannot score the
 * row, is a WARNING), and the log is checked before it is written (a log
 * table that is missing, or that the table's owner may not write, is a
 * WARNING), so that the insert into it needs no subtransaction, and a bulk
 * insert no subtransaction id per row.  While no shadow model is set, the
 * trigger spends nothing here (ShadowModelMaybeSet).  A shadow model that
 * is the active model is not scored twice: nothing is logged.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/regproc.h"

#include "cache.h"
#include "calls.h"
#include "features/shadow.h"

/* the log's insert, prepared for the session, and the table it is for */
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
 *		InvalidOid.  Looked up for every row: the cached plan would
 *		otherwise fail the write when the table is dropped.
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
 * LogShadow
 *		Appends both estimates to the shadow log.
 */
static void
LogShadow(const char *log, int64 run, int64 active_id, double active_seconds,
		  const ShadowScoring *s)
{
	Oid			argtypes[5] = {INT8OID, INT8OID, FLOAT8OID, INT8OID, FLOAT8OID};
	Datum		args[5] = {Int64GetDatum(run), Int64GetDatum(active_id),
		Float8GetDatum(active_seconds), Int64GetDatum(s->model_id),
	Float8GetDatum(s->seconds)};
	int			rc;

	SPI_connect();
	if (plan == NULL || strcmp(plan_log, log) != 0)
	{
		List	   *names = stringToQualifiedNameList(log);
		/* keep in sync with extract/serving.sql:analytics.shadow_estimate */
		SPIPlanPtr	p = SPI_prepare(psprintf("INSERT INTO %s (run_id, active_model_id, active_estimate,"
											 " shadow_model_id, shadow_estimate) VALUES ($1, $2, $3, $4, $5)",
											 quote_qualified_identifier(strVal(linitial(names)),
																		strVal(lsecond(names)))),
									5, argtypes);

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
	rc = SPI_execute_plan(plan, args, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	SPI_finish();
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
	ErrorData  *edata;

	if (!ShadowModelMaybeSet())
		return;
	edata = CallInSubtransaction(ScoreShadow, &s);
	if (edata != NULL)
	{
		/* a cancel or a statement timeout stops the statement */
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
			ReThrowError(edata);
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("durpred: no shadow estimate for run " INT64_FORMAT ": %s",
						run, edata->message),
				 edata->detail ? errdetail("%s", edata->detail) : 0,
				 edata->hint ? errhint("%s", edata->hint) : 0));
		FreeErrorData(edata);
		return;
	}
	if (!s.made || !OidIsValid(LogTable(log, run)))
		return;
	LogShadow(log, run, active_id, active_seconds, &s);
}
