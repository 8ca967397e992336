/*-------------------------------------------------------------------------
 *
 * src/calls.c
 *		How durpred's C functions are called and call: the result row type
 *		of a SQL function (CallResultDesc), a function run in a
 *		subtransaction (CallInSubtransaction), and a statement kept for the
 *		session (KeepPlan).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "funcapi.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "calls.h"

/*
 * CallResultDesc
 *		See calls.h.
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
 *		See calls.h.
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
 * WarnInstead
 *		See calls.h.
 */
void
WarnInstead(ErrorData *edata, const char *what)
{
	if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
		ReThrowError(edata);
	ereport(WARNING,
			(errcode(edata->sqlerrcode),
			 errmsg("durpred: %s: %s", what, edata->message),
			 edata->detail ? errdetail("%s", edata->detail) : 0,
			 edata->hint ? errhint("%s", edata->hint) : 0));
	FreeErrorData(edata);
}

/*
 * KeepPlan
 *		See calls.h.
 */
SPIPlanPtr
KeepPlan(KeptPlan *kept, const char *key, const char *query, int nargs, Oid *argtypes)
{
	SPIPlanPtr	plan = SPI_prepare(query, nargs, argtypes);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	if (kept->plan != NULL)
	{
		SPI_freeplan(kept->plan);
		pfree(kept->key);
	}
	kept->plan = plan;
	kept->key = MemoryContextStrdup(TopMemoryContext, key);
	return plan;
}
