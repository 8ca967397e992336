/*-------------------------------------------------------------------------
 *
 * src/durpred.c
 *		Module entry point of the durpred extension.
 *
 * The module is loaded into ordinary backends only: nothing here may run in
 * the postmaster, because libgomp (XGBoost's thread pool) is not fork-safe.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <omp.h>

#include "fmgr.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * _PG_init
 *		Pins XGBoost's OpenMP pool to one thread before any XGBoost call.
 *
 * XGBoost parallelises model loading and prediction with OpenMP and would
 * otherwise start one thread per core inside the backend; a backend is a
 * single-threaded process that PostgreSQL parallelises itself.
 */
void
_PG_init(void)
{
	omp_set_num_threads(1);
}
