/*-------------------------------------------------------------------------
 *
 * src/booster.c
 *		The only file that calls XGBoost.
 *
 * Every XGB* call returns 0 or -1; -1 becomes an ERROR that carries
 * XGBGetLastError().  XGBoost allocates with malloc, so each booster handle
 * is freed by a reset callback on the memory context that owns it: deleting
 * a model's context, or the transaction's on error, frees the booster.
 * Every booster runs with nthread = 1 (and _PG_init has pinned OpenMP to one
 * thread): a backend must not start threads.
 *
 * XGBoost's log messages arrive through a callback called from C++ code,
 * which must not raise a PostgreSQL error; it only keeps the message, and
 * the message is reported at DEBUG1 after the call returns.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stdio.h>

#include "lib/stringinfo.h"
#include "utils/memutils.h"

#include "booster.h"

static bool log_callback_registered = false;
static char last_log_message[512];

typedef struct BoosterOwner
{
	MemoryContextCallback callback;
	BoosterHandle handle;
} BoosterOwner;

/*
 * BoosterLogCallback
 *		Keeps XGBoost's last log message; runs inside XGBoost.
 */
static void
BoosterLogCallback(const char *message)
{
	strlcpy(last_log_message, message, sizeof(last_log_message));
}

/*
 * BoosterCheck
 *		Turns a failed XGBoost call into an ERROR, and reports any message
 *		XGBoost logged during the call.
 */
static void
BoosterCheck(int rc, const char *what)
{
	if (last_log_message[0] != '\0')
	{
		elog(DEBUG1, "XGBoost: %s", last_log_message);
		last_log_message[0] = '\0';
	}
	if (rc != 0)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("XGBoost could not %s", what),
				 errdetail("%s", XGBGetLastError())));
}

/*
 * BoosterFree
 *		Reset callback of the owning memory context.
 */
static void
BoosterFree(void *arg)
{
	BoosterOwner *owner = (BoosterOwner *) arg;

	if (owner->handle != NULL)
	{
		(void) XGBoosterFree(owner->handle);
		owner->handle = NULL;
	}
}

/*
 * BoosterLoad
 *		A booster for canonical model bytes, owned by a memory context.
 */
BoosterHandle
BoosterLoad(const StringInfo canonical, MemoryContext owner)
{
	BoosterOwner *link;

	if (!log_callback_registered)
	{
		BoosterCheck(XGBRegisterLogCallback(BoosterLogCallback),
					 "register its log callback");
		log_callback_registered = true;
	}

	/* the callback is registered before the handle exists: never leaked */
	link = MemoryContextAllocZero(owner, sizeof(BoosterOwner));
	link->callback.func = BoosterFree;
	link->callback.arg = link;
	MemoryContextRegisterResetCallback(owner, &link->callback);

	BoosterCheck(XGBoosterCreate(NULL, 0, &link->handle), "create a booster");
	BoosterCheck(XGBoosterSetParam(link->handle, "nthread", "1"),
				 "set nthread");
	BoosterCheck(XGBoosterLoadModelFromBuffer(link->handle, canonical->data,
											  (bst_ulong) canonical->len),
				 "load the model");
	/* loading replaces the configuration: set it again */
	BoosterCheck(XGBoosterSetParam(link->handle, "nthread", "1"),
				 "set nthread");
	return link->handle;
}

/*
 * BoosterPredict
 *		Predicts rows given as a dense float32 matrix.
 *
 * The array interface passes the matrix's address; "missing": NaN makes
 * NaN the missing value, and "cache_id": 0 keeps no per-call cache.
 */
void
BoosterPredict(BoosterHandle booster, const float *rows, int nrows, int ncols,
			   bool margin, float *out)
{
	char		values[256];
	char		config[256];
	bst_ulong const *shape;
	bst_ulong	dim;
	const float *result;
	bst_ulong	n = 1;
	bst_ulong	i;

	snprintf(values, sizeof(values),
			 "{\"data\": [%lu, true], \"shape\": [%d, %d], \"typestr\": \"<f4\", \"version\": 3}",
			 (unsigned long) (uintptr_t) rows, nrows, ncols);
	snprintf(config, sizeof(config),
			 "{\"type\": %d, \"training\": false, \"iteration_begin\": 0, "
			 "\"iteration_end\": 0, \"strict_shape\": false, \"cache_id\": 0, "
			 "\"missing\": NaN}",
			 margin ? 1 : 0);
	BoosterCheck(XGBoosterPredictFromDense(booster, values, config, NULL,
										   &shape, &dim, &result),
				 "predict");
	for (i = 0; i < dim; i++)
		n *= shape[i];
	if (n != (bst_ulong) nrows)
		elog(ERROR, "XGBoost returned %lu predictions for %d rows",
			 (unsigned long) n, nrows);
	memcpy(out, result, sizeof(float) * nrows);
}

/*
 * BoosterLibraryVersion
 *		The version of libxgboost, for model info and messages.
 */
const char *
BoosterLibraryVersion(void)
{
	static char version[32];
	int			major,
				minor,
				patch;

	if (version[0] == '\0')
	{
		XGBoostVersion(&major, &minor, &patch);
		snprintf(version, sizeof(version), "%d.%d.%d", major, minor, patch);
	}
	return version;
}
