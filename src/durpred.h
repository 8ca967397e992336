/*-------------------------------------------------------------------------
 *
 * src/durpred.h
 *		Settings of the durpred extension (GUCs) and helpers shared by its
 *		files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_DURPRED_H
#define DURPRED_DURPRED_H

#include "access/tupdesc.h"
#include "fmgr.h"
#include "utils/elog.h"

/* durpred.max_model_size, in kilobytes */
extern int	durpred_max_model_size;

/* Raises 54000 for model bytes above durpred.max_model_size. */
extern void CheckModelSize(Size len);

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

#endif							/* DURPRED_DURPRED_H */
