/*-------------------------------------------------------------------------
 *
 * src/durpred.c
 *		Module entry point of the durpred extension: settings, and helpers
 *		shared by its files.
 *
 * The module is loaded into ordinary backends only: nothing here may run in
 * the postmaster, because libgomp (XGBoost's thread pool) is not fork-safe.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <omp.h>

#include "access/xact.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "cache.h"
#include "durpred.h"
#include "scorer.h"

PG_MODULE_MAGIC;

#define DEFAULT_MAX_MODEL_SIZE (64 * 1024)	/* kB */

int			durpred_max_model_size = DEFAULT_MAX_MODEL_SIZE;

static const struct config_enum_entry evaluator_options[] = {
	{"compiled", SCORER_COMPILED, false},
	{"xgboost", SCORER_XGBOOST, false},
	{NULL, 0, false}
};

void		_PG_init(void);

/*
 * ModelNameAssign
 *		Assign hook of durpred.model: the session's model changes with it.
 */
static void
ModelNameAssign(const char *newval pg_attribute_unused(),
				void *extra pg_attribute_unused())
{
	CacheResetCurrent();
}

/*
 * CallResultDesc
 *		See durpred.h.
 */
TupleDesc
CallResultDesc(FunctionCallInfo fcinfo, void **slot)
{
	if (*slot == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		TupleDesc	desc;

		if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		*slot = BlessTupleDesc(CreateTupleDescCopy(desc));
		MemoryContextSwitchTo(old);
	}
	return (TupleDesc) *slot;
}

/*
 * CallInSubtransaction
 *		See durpred.h.
 */
ErrorData *
CallInSubtransaction(void (*fn) (void *arg), void *arg)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_END_TRY();
	return edata;
}

/*
 * CheckModelSize
 *		Refuses model bytes larger than durpred.max_model_size.
 */
void
CheckModelSize(Size len)
{
	if (len > (Size) durpred_max_model_size * 1024)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("model of %zu bytes is larger than durpred.max_model_size (%d kB)",
						len, durpred_max_model_size)));
}

/*
 * _PG_init
 *		Pins XGBoost's OpenMP pool to one thread and defines the settings.
 *
 * XGBoost parallelises model loading and prediction with OpenMP and would
 * otherwise start one thread per core inside the backend; a backend is a
 * single-threaded process that PostgreSQL parallelises itself.  This runs
 * before any XGBoost call, when the library is loaded into a backend.
 */
void
_PG_init(void)
{
	omp_set_num_threads(1);

	DefineCustomStringVariable("durpred.model",
							   "Name of the model this session scores with, instead of the active model.",
							   "The newest version of the named model is used. Empty means the active model.",
							   &durpred_model_name,
							   "",
							   PGC_USERSET,
							   0,
							   NULL,
							   ModelNameAssign,
							   NULL);

	DefineCustomEnumVariable("durpred.evaluator",
							 "Evaluator that scores rows: the compiled evaluator or XGBoost's own predictor.",
							 "Both give identical results; \"xgboost\" calls XGBoosterPredictFromDense for every row and is much slower.",
							 &durpred_evaluator,
							 SCORER_COMPILED,
							 evaluator_options,
							 PGC_USERSET,
							 0,
							 NULL,
							 NULL,
							 NULL);

	DefineCustomIntVariable("durpred.max_model_size",
							"Largest model, in bytes of its file, that durpred installs or loads.",
							NULL,
							&durpred_max_model_size,
							DEFAULT_MAX_MODEL_SIZE,
							1,
							MaxAllocSize / 1024,
							PGC_SUSET,
							GUC_UNIT_KB,
							NULL,
							NULL,
							NULL);

	MarkGUCPrefixReserved("durpred");
}
