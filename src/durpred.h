/*-------------------------------------------------------------------------
 *
 * src/durpred.h
 *		What PostgreSQL looks up in the durpred module: _PG_init, and the
 *		mark that exports a SQL-callable function.
 *
 * The module is built with -fvisibility=hidden (Makefile), as PGXS builds
 * modules from PostgreSQL 16 on: it exports only what PostgreSQL looks up
 * by name (scripts/check-exports.sh checks it).  The settings' variables
 * are declared with the code that reads them: durpred.model in cache.h,
 * durpred.evaluator in scorer.h, durpred.max_model_size in model.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_DURPRED_H
#define DURPRED_DURPRED_H

#include "fmgr.h"

/*
 * DURPRED_EXPORT goes before the PG_FUNCTION_INFO_V1 of every SQL-callable
 * function.  PostgreSQL 15's PG_FUNCTION_INFO_V1 marks PGDLLEXPORT only the
 * info function pg_finfo_<name>, not the function itself, which hidden
 * visibility would then hide from the loader; PostgreSQL 16's marks both.
 * (pgvector's FUNCTION_PREFIX does the same.)  PGDLLEXPORT is the
 * Makefile's -D, which PostgreSQL 15's c.h leaves as it is.
 */
#if PG_VERSION_NUM < 160000
#define DURPRED_EXPORT PGDLLEXPORT
#else
#define DURPRED_EXPORT
#endif

/* Defines the settings; PostgreSQL calls it when it loads the module. */
extern PGDLLEXPORT void _PG_init(void);

#endif							/* DURPRED_DURPRED_H */
