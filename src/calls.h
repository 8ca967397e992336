/*-------------------------------------------------------------------------
 *
 * src/calls.h
 *		How durpred's C functions are called and call: the result row type
 *		of a SQL function, and a function run in a subtransaction.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_CALLS_H
#define DURPRED_CALLS_H

#include "access/tupdesc.h"
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

#endif							/* DURPRED_CALLS_H */
