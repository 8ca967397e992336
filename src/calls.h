/*-------------------------------------------------------------------------
 *
 * src/calls.h
 *		How durpred's C functions are called and call: the result row type
 *		of a SQL function, a function run in a subtransaction, and a
 *		statement kept for the session.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_CALLS_H
#define DURPRED_CALLS_H

#include "access/tupdesc.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/elog.h"

/*
 * The blessed row type of the calling function's result, looked up on the
 * first call of a call site and kept in *slot (fn_extra, or a field of what
 * fn_extra holds).
 */
extern TupleDesc CallResultDesc(FunctionCallInfo fcinfo, void **slot);

/*
 * Runs fn(arg) in an internal subtransaction.  Returns NULL when fn
 * returned, or, after rolling the subtransaction back (releasing its locks,
 * buffer pins and memory), the error it raised, copied into the caller's
 * memory context: the caller decides what the error means.
 */
extern ErrorData *CallInSubtransaction(void (*fn) (void *arg), void *arg);

/*
 * What the serving trigger does with such an error where nothing may fail
 * the write: a cancel or a statement timeout is raised again, as in
 * plpgsql; any other error becomes a WARNING "durpred: <what>: <message>",
 * with its SQLSTATE, detail and hint.  Frees edata.
 */
extern void WarnInstead(ErrorData *edata, const char *what);

/*
 * A statement prepared once per session (SPI_keepplan), and what it was
 * prepared for (the name of the table or function it uses); all zero at
 * first.
 */
typedef struct KeptPlan
{
	char	   *key;
	SPIPlanPtr	plan;
} KeptPlan;

/* The plan kept in *kept for key; NULL where it holds none for key. */
static inline SPIPlanPtr
KeptPlanFor(const KeptPlan *kept, const char *key)
{
	return kept->plan != NULL && strcmp(kept->key, key) == 0 ? kept->plan : NULL;
}

/*
 * Prepares query (inside SPI) and keeps it for the session in *kept, for
 * key, freeing the plan it held before.  The plan cache replans a kept plan
 * when what it uses changes.
 */
extern SPIPlanPtr KeepPlan(KeptPlan *kept, const char *key, const char *query,
						   int nargs, Oid *argtypes);

#endif							/* DURPRED_CALLS_H */
