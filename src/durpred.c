/*-------------------------------------------------------------------------
 *
 * src/durpred.c
 *		Module entry point of the durpred extension: _PG_init and the
 *		settings (GUCs).
 *
 * The module is loaded into ordinary backends only: nothing here may run in
 * the postmaster, because libgomp (XGBoost's thread pool) is not fork-safe.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <omp.h>

#include "fmgr.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "cache.h"
#include "durpred.h"
#include "model.h"
#include "scorer.h"

PG_MODULE_MAGIC;

static const struct config_enum_entry evaluator_options[] = {
	{"compiled", SCORER_COMPILED, false},
	{"xgboost", SCORER_XGBOOST, false},
	{NULL, 0, false}
};

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
							   CacheModelNameAssign,
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
							 CacheEvaluatorAssign,
							 NULL);

	DefineCustomIntVariable("durpred.max_model_size",
							"Largest model, in bytes of its file, that durpred installs or loads.",
							NULL,
							&durpred_max_model_size,
							DURPRED_DEFAULT_MAX_MODEL_SIZE,
							1,
							MaxAllocSize / 1024,
							PGC_SUSET,
							GUC_UNIT_KB,
							NULL,
							NULL,
							NULL);

	MarkGUCPrefixReserved("durpred");
}
