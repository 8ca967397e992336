/*-------------------------------------------------------------------------
 *
 * src/features/trigger.c
 *		durpred.estimate_completion(): the serving trigger that
 *		extract/serving.sql attaches to app.noteflow_run.
 *
 * On INSERT, and on UPDATE of status or started_at, of a pending or running
 * run, it sets estimated_duration (the serving model's prediction from the
 * run's features as of its start, or its creation when it has not
 * started) and estimated_completion_at (that instant plus the estimate),
 * and logs which model made the estimate.  It runs for every new run, so it
 * is written for the insert's hot path: written in plpgsql, the call, its
 * SECURITY DEFINER settings and the planned query around the scoring cost
 * more than computing the estimate.  Here the features come from
 * PageFeatures (the direct reads of durpred.page_features), the prediction
 * from the session's cached model, and the log row is appended without the
 * executor where the log is a plain table (append.c), else through SPI
 * with a plan kept for the session.  What it looks up by name is kept for
 * the session until DDL could change it (resolved.h).
 *
 * Scoring never makes the write fail: any error while scoring (no usable
 * model, features out of range, an overflow) leaves both columns NULL, a
 * WARNING says why, and the row is written; only a cancel stops the
 * statement.  The scoring runs in a subtransaction that writes nothing, so
 * that a bulk insert uses no subtransaction id per row; the log is written
 * after it.  No active model is an answer, not an error: both NULL, no
 * warning.
 *
 * On a Citus worker (extract/citus.sql) it fires on a shard of the runs:
 * the reads follow the page's co-located shards (shards.c), a layout they
 * cannot follow is a WARNING, and the fallback, which would read the empty
 * shell tables there, is not used; the log goes to the page's shard of the
 * log table, in a subtransaction whose failure is a WARNING: the row is
 * written with its estimate.
 *
 * Its arguments, all optional, are schema-qualified names:
 *
 *	 log		a table with columns run_id bigint, model_id bigint and
 *				estimated_duration float8 that gets a row for every estimate,
 *				and the estimate's 80 % interval where it has the columns
 *				interval_low and interval_high float8 (NULL for a model
 *				without interval data);
 *	 fallback	a function (page_id bigint, as_of timestamptz) returning rows
 *				of durpred.features, which computes the features where the
 *				tables cannot be read directly (PageFeatures raises 0A000:
 *				views in place of the tables, row-level security, no index);
 *	 shadow log	a table with columns run_id, active_model_id,
 *				active_estimate, shadow_model_id and shadow_estimate that
 *				gets a row for every estimate while a shadow model is set
 *				(features/shadow.c).
 *
 * Rights: it reads and writes as the owner of the table it fires on, as
 * PostgreSQL's foreign-key triggers do, so that the application needs only
 * its rights on that table.  Attaching it lends the owner's rights to every
 * writer of the table, so EXECUTE on it is not granted to PUBLIC.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "parser/parse_relation.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "cache.h"
#include "calls.h"
#include "durpred.h"
#include "feature.h"
#include "interval.h"
#include "features/app.h"
#include "features/append.h"
#include "features/pagefeatures.h"
#include "features/resolved.h"
#include "features/shadow.h"
#include "features/shards.h"
#include "features/trigger.h"

DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_estimate_completion);

/*
 * the columns of the runs table the trigger reads or sets, names in app.h
 * (keep the types in sync with extract/schema.sql:app.noteflow_run)
 */
enum
{
	COL_ID, COL_PAGE, COL_STATUS, COL_CREATED_AT, COL_STARTED_AT,
	COL_ESTIMATED_DURATION, COL_ESTIMATED_COMPLETION_AT, NUM_RUN_COLUMNS
};

static const struct
{
	const char *name;
	Oid			type;
}			run_columns[NUM_RUN_COLUMNS] = {
	{APP_RUN_ID, INT8OID},
	{APP_RUN_PAGE, INT8OID},
	{APP_RUN_STATUS, TEXTOID},
	{APP_RUN_CREATED_AT, TIMESTAMPTZOID},
	{APP_RUN_STARTED_AT, TIMESTAMPTZOID},
	{APP_RUN_ESTIMATED_DURATION, FLOAT8OID},
	{APP_RUN_ESTIMATED_COMPLETION_AT, TIMESTAMPTZOID},
};

/*
 * The log's statements, [with page_id (a shard of the log on Citus)][with
 * the interval's columns (a log of 0.5.0 on)]; keep in sync with
 * extract/serving.sql:analytics.run_estimate.
 */
static KeptPlan log_plans[2][2];
static const char *const log_statements[2][2] = {
	{"INSERT INTO %s (run_id, model_id, estimated_duration) VALUES ($1, $2, $3)",
		"INSERT INTO %s (run_id, model_id, estimated_duration, interval_low, interval_high)"
	" VALUES ($1, $2, $3, $4, $5)"},
	{"INSERT INTO %s (run_id, model_id, estimated_duration, page_id) VALUES ($1, $2, $3, $4)",
		"INSERT INTO %s (run_id, model_id, estimated_duration, page_id, interval_low,"
	" interval_high) VALUES ($1, $2, $3, $4, $5, $6)"}
};
/* the fallback's statement (FallbackFeatures) */
static KeptPlan fallback_plan;

/* An estimate, its 80 % interval (NaN when none), and the model that made it. */
typedef struct Estimate
{
	double		seconds;
	double		low;
	double		high;
	int64		model_id;
	TimestampTz completion;
} Estimate;

/*
 * CheckCall
 *		Refuses a call other than as a row-level BEFORE INSERT or UPDATE
 *		trigger with at most three arguments.
 */
static TriggerData *
CheckCall(FunctionCallInfo fcinfo)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TriggerEvent event;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("durpred.estimate_completion() was not called by the trigger manager")));
	event = trigdata->tg_event;
	if (!TRIGGER_FIRED_BEFORE(event) || !TRIGGER_FIRED_FOR_ROW(event) ||
		!(TRIGGER_FIRED_BY_INSERT(event) || TRIGGER_FIRED_BY_UPDATE(event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("durpred.estimate_completion() must be fired BEFORE INSERT OR UPDATE FOR EACH ROW"),
				 errdetail("Trigger \"%s\" on table \"%s\" fires otherwise.",
						   trigdata->tg_trigger->tgname,
						   RelationGetRelationName(trigdata->tg_relation))));
	if (trigdata->tg_trigger->tgnargs > 3)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("durpred.estimate_completion() takes at most three arguments, the log table, the fallback function and the shadow log table"),
				 errdetail("Trigger \"%s\" on table \"%s\" gives it %d.",
						   trigdata->tg_trigger->tgname,
						   RelationGetRelationName(trigdata->tg_relation),
						   trigdata->tg_trigger->tgnargs)));
	return trigdata;
}

/*
 * RunColumns
 *		The attribute numbers of the run columns in the trigger's table;
 *		42703 or 42804 where a column is missing or of another type.  They
 *		are kept for the table until the stamp of resolved.h moves.
 */
static void
RunColumns(Relation rel, AttrNumber *attnos)
{
	static uint64 kept_stamp = 0;
	static Oid	kept_relid = InvalidOid;
	static AttrNumber kept_attnos[NUM_RUN_COLUMNS];
	uint64		stamp;

	if (kept_relid == RelationGetRelid(rel) && ResolvedValid(kept_stamp))
	{
		memcpy(attnos, kept_attnos, sizeof(kept_attnos));
		return;
	}
	stamp = ResolvedStamp();
	for (int c = 0; c < NUM_RUN_COLUMNS; c++)
	{
		Oid			type;

		attnos[c] = attnameAttNum(rel, run_columns[c].name, false);
		if (attnos[c] == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("table \"%s\" has no column \"%s\", which durpred.estimate_completion() needs",
							RelationGetRelationName(rel), run_columns[c].name)));
		type = TupleDescAttr(RelationGetDescr(rel), attnos[c] - 1)->atttypid;
		if (type != run_columns[c].type)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of table \"%s\" is of type %s, but durpred.estimate_completion() needs %s",
							run_columns[c].name, RelationGetRelationName(rel),
							format_type_be(type), format_type_be(run_columns[c].type))));
	}
	memcpy(kept_attnos, attnos, sizeof(kept_attnos));
	kept_relid = RelationGetRelid(rel);
	kept_stamp = stamp;
	ResolvedWatch(kept_relid);
}

/*
 * Argument
 *		The trigger's argument i, or NULL when it is absent or empty.
 */
static const char *
Argument(const Trigger *trigger, int i)
{
	if (i >= trigger->tgnargs || trigger->tgargs[i][0] == '\0')
		return NULL;
	return trigger->tgargs[i];
}

/*
 * QualifiedName
 *		A trigger argument naming a table or a function, quoted for a
 *		statement; it must be schema-qualified (22023), so that the
 *		statement means the same whatever the search_path of the writer.
 */
static char *
QualifiedName(const char *argument)
{
	List	   *names = stringToQualifiedNameList(argument);

	if (list_length(names) != 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"%s\" of durpred.estimate_completion() must be a schema-qualified name",
						argument)));
	return quote_qualified_identifier(strVal(linitial(names)), strVal(lsecond(names)));
}

/*
 * PreparedPlan
 *		The statement format % name, prepared once per session and trigger
 *		argument; the plan cache replans it when what it uses changes.
 *		Inside SPI.
 */
static SPIPlanPtr
PreparedPlan(KeptPlan *kept, const char *name, const char *format,
			 int nargs, Oid *argtypes)
{
	SPIPlanPtr	plan = KeptPlanFor(kept, name);

	if (plan != NULL)
		return plan;
	return KeepPlan(kept, name, psprintf(format, QualifiedName(name)), nargs, argtypes);
}

/*
 * FeatureVector
 *		A feature vector from the 25 values of a durpred.features row.
 */
static void
FeatureVector(const Datum *values, const bool *nulls, float *x)
{
	for (int i = 0; i < DURPRED_NUM_FEATURES; i++)
		x[i] = nulls[i] ? NAN : FeatureFromDatum(i, values[i]);
	x[DURPRED_MISSING_SLOT] = NAN;
}

/*
 * DirectFeatures
 *		The run's features read directly (PageFeatures); false where the page
 *		cannot be scored.
 */
static bool
DirectFeatures(int64 page, TimestampTz as_of, float *x)
{
	Datum		values[DURPRED_NUM_FEATURES];
	bool		nulls[DURPRED_NUM_FEATURES];

	if (!PageFeatures(page, as_of, values, nulls))
		return false;
	FeatureVector(values, nulls, x);
	return true;
}

/*
 * TriggerFallbackFeatures
 *		The run's features from the fallback function's first row
 *		(FallbackFeatures, with the statement's plan kept for the session);
 *		false when it gives none.
 */
static bool
TriggerFallbackFeatures(const char *fallback, int64 page, TimestampTz as_of, float *x)
{
	Datum		values[DURPRED_NUM_FEATURES];
	bool		nulls[DURPRED_NUM_FEATURES];

	if (!FallbackFeatures(QualifiedName(fallback), fallback, &fallback_plan, page, as_of,
						  values, nulls))
		return false;
	FeatureVector(values, nulls, x);
	return true;
}

/*
 * What Score is asked, and what it answers.
 */
typedef struct Scoring
{
	bool		direct;			/* the direct reads, else the fallback */
	const char *fallback;
	const char *log;			/* the log, whose shard is found here too */
	bool		sharded;		/* the page's rows are in Citus shards */
	int64		page;
	TimestampTz as_of;
	bool		reading;		/* true while the features are read */
	bool		made;			/* an estimate was made */
	Estimate	estimate;
	float		x[DURPRED_VECTOR_LEN];	/* its features, for the shadow model */
} Scoring;

/*
 * Score
 *		The estimate for a run of a page starting at as_of, read directly or
 *		through the fallback; none when there is no active model or the
 *		page cannot be scored.  scoring->reading stays true when reading the
 *		features raises, so that the caller can tell a 0A000 of the direct
 *		reads.  Called in a subtransaction (CallInSubtransaction).
 */
static void
Score(void *arg)
{
	Scoring    *scoring = arg;
	Estimate   *estimate = &scoring->estimate;

	/*
	 * The active model, never the writer's durpred.model.  The callbacks
	 * only mark the cache stale: the model outlives the reads.
	 */
	CachedModel *model = ActiveModel();
	float	   *x = scoring->x;
	Interval	second = {.time = USECS_PER_SEC};
	bool		found;

	if (model == NULL)
		return;

	/*
	 * On a Citus node the reads follow the page's shards (shards.c); a
	 * layout they cannot follow raises 55000, and the fallback, which would
	 * read the empty shell tables, is not tried there.
	 */
	{
		AppShards	shards;

		AppShardsFor(scoring->page, scoring->log, &shards);
		scoring->sharded = shards.layout != APP_LAYOUT_LOCAL;
	}
	scoring->reading = true;
	found = scoring->direct ?
		DirectFeatures(scoring->page, scoring->as_of, x) :
		TriggerFallbackFeatures(scoring->fallback, scoring->page, scoring->as_of, x);
	scoring->reading = false;
	if (!found)
		return;

	estimate->seconds = ScorerSeconds(model->scorer, x);
	estimate->low = estimate->high = NAN;
	if (model->scorer->intervals != NULL)
		IntervalOf(model->scorer->intervals, x, estimate->seconds,
				   INTERVAL_DEFAULT_LEVEL, &estimate->low, &estimate->high);
	estimate->model_id = model->id;
	/*
	 * as_of + seconds * interval '1 second', as SQL computes it (keep in sync
	 * with extract/serving.sql:analytics.pending_run_estimates)
	 */
	estimate->completion =
		DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
												TimestampTzGetDatum(scoring->as_of),
												DirectFunctionCall2(interval_mul,
																	IntervalPGetDatum(&second),
																	Float8GetDatum(estimate->seconds))));
	scoring->made = true;
}

/*
 * TryScore
 *		Score in a subtransaction, turning any error but a cancel into a
 *		WARNING (false).  Where the direct reads raise 0A000 and there is a
 *		fallback, it scores again through the fallback.
 */
static bool
TryScore(Datum run, bool run_isnull, const char *fallback, const char *log, int64 page,
		 TimestampTz as_of, Estimate *estimate, bool *sharded, float *x)
{
	Scoring		scoring = {.direct = true, .fallback = fallback, .log = log, .page = page,
	.as_of = as_of};

	*sharded = false;

	for (;;)
	{
		ErrorData  *edata = CallInSubtransaction(Score, &scoring);

		*sharded = scoring.sharded;
		if (edata == NULL)
		{
			*estimate = scoring.estimate;
			memcpy(x, scoring.x, sizeof(scoring.x));
			return scoring.made;
		}
		if (scoring.direct && scoring.reading && fallback != NULL && !scoring.sharded &&
			edata->sqlerrcode == ERRCODE_FEATURE_NOT_SUPPORTED)
		{
			FreeErrorData(edata);
			scoring.direct = false;
			scoring.reading = false;
			continue;
		}
		/* a cancel or a statement timeout stops the statement, as in plpgsql */
		WarnInstead(edata, run_isnull ? "no estimate for run without id" :
					psprintf("no estimate for run " INT64_FORMAT, DatumGetInt64(run)));
		return false;
	}
}

/* The log's columns, in the order of log_statements */
enum
{
	LOG_RUN, LOG_MODEL, LOG_ESTIMATE, LOG_LOW, LOG_HIGH, LOG_COLUMNS
};
static const char *const log_columns[LOG_COLUMNS] = {
	"run_id", "model_id", "estimated_duration", "interval_low", "interval_high"
};
static const Oid log_types[LOG_COLUMNS] = {INT8OID, INT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID};

/*
 * HasIntervalColumns
 *		Whether a log table has the columns of the 80 % interval
 *		(interval_low, interval_high).
 */
static bool
HasIntervalColumns(Oid relid)
{
	return get_attnum(relid, log_columns[LOG_LOW]) != InvalidAttrNumber &&
		get_attnum(relid, log_columns[LOG_HIGH]) != InvalidAttrNumber;
}

/*
 * The log table named by the trigger's argument: its OID, whether it has
 * the interval's columns, and where its columns are (InvalidAttrNumber
 * where one is missing).  Kept for the session until the stamp of
 * resolved.h moves.
 */
typedef struct LogTable
{
	uint64		stamp;			/* 0: none kept */
	char	   *name;
	Oid			relid;
	bool		has_interval;
	AttrNumber	attnos[LOG_COLUMNS];
} LogTable;

/*
 * LookUpLog
 *		The log table named log (42P01 where there is none).
 */
static const LogTable *
LookUpLog(const char *log)
{
	static LogTable kept;
	LogTable	found;

	if (kept.name != NULL && strcmp(kept.name, log) == 0 && ResolvedValid(kept.stamp))
		return &kept;
	found.stamp = ResolvedStamp();
	(void) QualifiedName(log);	/* refuses an unqualified name first */
	found.relid = RangeVarGetRelid(makeRangeVarFromNameList(stringToQualifiedNameList(log)),
								   NoLock, false);
	for (int i = 0; i < LOG_COLUMNS; i++)
		found.attnos[i] = get_attnum(found.relid, log_columns[i]);
	found.has_interval = HasIntervalColumns(found.relid);
	found.name = MemoryContextStrdup(TopMemoryContext, log);
	if (kept.name != NULL)
		pfree(kept.name);
	kept = found;
	ResolvedWatch(kept.relid);
	return &kept;
}

/*
 * InsertEstimate
 *		Appends the estimate to the log table (a schema-qualified name): with
 *		the page where with_page (a shard of the log, on Citus), and with its
 *		80 % interval where with_interval (a log of before 0.5.0, without
 *		the interval's columns, gets the estimate alone).  Inside SPI.
 */
static void
InsertEstimate(const char *table, bool with_page, bool with_interval, int64 run,
			   int64 page, const Estimate *estimate)
{
	Oid			argtypes[6];
	Datum		args[6];
	char		nulls[6];
	int			n = 0;
	int			rc;

#define LOG_ARG(type, value, isnull) \
	(argtypes[n] = (type), args[n] = (value), nulls[n] = (isnull) ? 'n' : ' ', n++)
	LOG_ARG(INT8OID, Int64GetDatum(run), false);
	LOG_ARG(INT8OID, Int64GetDatum(estimate->model_id), false);
	LOG_ARG(FLOAT8OID, Float8GetDatum(estimate->seconds), false);
	if (with_page)
		LOG_ARG(INT8OID, Int64GetDatum(page), false);
	if (with_interval)
	{
		LOG_ARG(FLOAT8OID, Float8GetDatum(estimate->low), isnan(estimate->low));
		LOG_ARG(FLOAT8OID, Float8GetDatum(estimate->high), isnan(estimate->high));
	}
#undef LOG_ARG
	rc = SPI_execute_plan(PreparedPlan(&log_plans[with_page][with_interval], table,
									   log_statements[with_page][with_interval],
									   n, argtypes),
						  args, nulls, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
}

/*
 * LogEstimate
 *		Appends the estimate and its 80 % interval to the log table:
 *		without the executor where the table is plain (AppendRow), else
 *		with an INSERT.
 */
static void
LogEstimate(const char *log, int64 run, const Estimate *estimate)
{
	const LogTable *l = LookUpLog(log);
	int			n = l->has_interval ? LOG_COLUMNS : LOG_LOW;
	Datum		values[LOG_COLUMNS] = {Int64GetDatum(run), Int64GetDatum(estimate->model_id),
		Float8GetDatum(estimate->seconds), Float8GetDatum(estimate->low),
	Float8GetDatum(estimate->high)};
	bool		nulls[LOG_COLUMNS] = {false, false, false, isnan(estimate->low),
	isnan(estimate->high)};

	if (AppendRow(l->relid, n, l->attnos, log_types, values, nulls))
		return;
	SPI_connect();
	InsertEstimate(log, false, l->has_interval, run, 0, estimate);
	SPI_finish();
}

/* What WriteShardLog is asked */
typedef struct ShardLog
{
	const char *log;
	int64		run;
	int64		page;
	const Estimate *estimate;
} ShardLog;

/*
 * WriteShardLog
 *		Appends the estimate to the page's shard of the log, on a Citus node,
 *		with the page (the log's distribution column).  Called in a
 *		subtransaction (TryLogOnShard).
 */
static void
WriteShardLog(void *arg)
{
	ShardLog   *l = arg;
	AppShards	shards;
	Oid			relid;

	AppShardsFor(l->page, l->log, &shards);
	if (shards.layout != APP_LAYOUT_SHARDS || !OidIsValid(shards.relids[APP_TABLE_LOG]))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s", shards.layout == APP_LAYOUT_UNSUPPORTED ? shards.why :
						shards.log_why != NULL ? shards.log_why :
						"the app tables are not distributed"),
				 errhint("extract/serving.sql co-locates the log with app.noteflow_run.")));
	relid = shards.relids[APP_TABLE_LOG];
	SPI_connect();
	InsertEstimate(quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
											  get_rel_name(relid)),
				   true, HasIntervalColumns(relid), l->run, l->page, l->estimate);
	SPI_finish();
}

/*
 * TryLogOnShard
 *		WriteShardLog in a subtransaction: an error but a cancel is a
 *		WARNING, and the run is written with its estimate all the same.
 */
static void
TryLogOnShard(const char *log, int64 run, int64 page, const Estimate *estimate)
{
	ShardLog	l = {.log = log, .run = run, .page = page, .estimate = estimate};
	ErrorData  *edata = CallInSubtransaction(WriteShardLog, &l);

	if (edata != NULL)
		WarnInstead(edata, psprintf("the estimate of run " INT64_FORMAT " is not logged", run));
}

/*
 * durpred_estimate_completion
 *		The trigger function: returns the row with estimated_duration and
 *		estimated_completion_at set, both NULL where there is no estimate.
 *		A row whose status is not pending or running is returned unchanged
 *		(extract/serving.sql attaches it without a WHEN clause: this check
 *		costs less).
 */
Datum
durpred_estimate_completion(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = CheckCall(fcinfo);
	Relation	rel = trigdata->tg_relation;
	TupleDesc	desc = RelationGetDescr(rel);
	HeapTuple	tuple = TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) ?
		trigdata->tg_trigtuple : trigdata->tg_newtuple;
	const char *log = Argument(trigdata->tg_trigger, 0);
	const char *fallback = Argument(trigdata->tg_trigger, 1);
	const char *shadow_log = Argument(trigdata->tg_trigger, 2);
	AttrNumber	attnos[NUM_RUN_COLUMNS];
	bool		isnull[NUM_RUN_COLUMNS];
	Datum		value[NUM_RUN_COLUMNS];
	int			columns[2];
	Datum		values[2] = {0, 0};
	bool		nulls[2] = {true, true};

	RunColumns(rel, attnos);
	for (int c = 0; c < NUM_RUN_COLUMNS; c++)
		value[c] = heap_getattr(tuple, attnos[c], desc, &isnull[c]);
	if (isnull[COL_STATUS] || !AppStatusIsQueued(value[COL_STATUS]))
		return PointerGetDatum(tuple);

	/* no page or no instant: no estimate, as the SQL features give none */
	if (!isnull[COL_PAGE] && !(isnull[COL_STARTED_AT] && isnull[COL_CREATED_AT]))
	{
		/*
		 * COALESCE(started_at, created_at): keep in sync with
		 * extract/features.sql:analytics.run_as_of
		 */
		TimestampTz as_of = DatumGetTimestampTz(value[isnull[COL_STARTED_AT] ?
													 COL_CREATED_AT : COL_STARTED_AT]);
		Oid			save_userid;
		int			save_sec_context;
		Estimate	estimate;
		bool		sharded;
		float		x[DURPRED_VECTOR_LEN];

		GetUserIdAndSecContext(&save_userid, &save_sec_context);
		SetUserIdAndSecContext(rel->rd_rel->relowner,
							   save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
		if (TryScore(value[COL_ID], isnull[COL_ID], fallback, log,
					 DatumGetInt64(value[COL_PAGE]), as_of, &estimate, &sharded, x))
		{
			/* a row without id fails on its own: nothing to log */
			if (log != NULL && !isnull[COL_ID] && sharded)
				TryLogOnShard(log, DatumGetInt64(value[COL_ID]),
							  DatumGetInt64(value[COL_PAGE]), &estimate);
			else if (log != NULL && !isnull[COL_ID])
				LogEstimate(log, DatumGetInt64(value[COL_ID]), &estimate);
			if (shadow_log != NULL && !isnull[COL_ID])
				ShadowEstimate(shadow_log, DatumGetInt64(value[COL_ID]), estimate.model_id,
							   estimate.seconds, x);
			values[0] = Float8GetDatum(estimate.seconds);
			values[1] = TimestampTzGetDatum(estimate.completion);
			nulls[0] = nulls[1] = false;
		}
		SetUserIdAndSecContext(save_userid, save_sec_context);
	}

	columns[0] = attnos[COL_ESTIMATED_DURATION];
	columns[1] = attnos[COL_ESTIMATED_COMPLETION_AT];
	return PointerGetDatum(heap_modify_tuple_by_cols(tuple, desc, 2, columns, values, nulls));
}
