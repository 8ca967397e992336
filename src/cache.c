/*-------------------------------------------------------------------------
 *
 * src/cache.c
 *		Which model this backend scores with, and the loaded models.
 *
 * A backend loads a model once (parse, validate, compile the evaluator, and
 * XGBoost's booster only while durpred.evaluator = xgboost) and keeps it in a context of its own under CacheMemoryContext;
 * up to CACHE_SLOTS models stay loaded, so that switching durpred.model back
 * and forth costs nothing.  An entry is identified by the model's id and the
 * sha256 of its bytes, so bytes changed in place are never served stale.
 *
 * Two questions are answered from the table durpred.model: which model is
 * active, and which model this session scores with (the active one, or the
 * newest version of the one the session's setting durpred.model names);
 * and a third for the serving trigger: which model is the shadow model.
 * The serving trigger asks the first, so that a writer's setting never
 * chooses the estimate stored in its rows; the SQL functions ask the
 * second.  Each answer is kept until a relcache invalidation of that table
 * arrives.  Plain DML sends none, so a statement trigger on the table sends
 * one (durpred_model_changed), and a rolled back change sends nothing.  Every
 * backend reads invalidations at the first call of each statement, so it
 * scores with the newly committed model from its next statement, whatever
 * its isolation level: the registry is configuration, not data.  The
 * callback only marks the answers stale.
 *
 * The table is read with a fresh snapshot, taken after the invalidations
 * were processed, so the answer reflects every commit that sent one.  Where
 * no fresh snapshot may be taken (in parallel mode, where the workers have
 * only the statement's snapshot), the leader and its workers all read it
 * with the statement's snapshot, so that they agree on one model.  Such an
 * answer, and one read while an invalidation arrived, is provisional: it
 * serves the current statement only.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "parser/parse_relation.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "cache.h"
#include "model.h"

#define CACHE_SLOTS 4

typedef enum ResolveState
{
	RESOLVE_STALE,				/* resolve at the next call */
	RESOLVE_FINAL,				/* valid until an invalidation */
	RESOLVE_PROVISIONAL			/* valid for the current statement */
} ResolveState;

/* An answer to "which model?", and how long it holds. */
typedef struct Answer
{
	CachedModel *model;			/* NULL: none */
	ResolveState state;
	LocalTransactionId provisional_lxid;
	TimestampTz provisional_statement;
} Answer;

char	   *durpred_model_name = NULL;

static MemoryContext cache_context = NULL;
static CachedModel slots[CACHE_SLOTS];
static Answer active = {.state = RESOLVE_STALE};	/* the active model */
static Answer named = {.state = RESOLVE_STALE};	/* the one durpred.model names */
static Answer shadow = {.state = RESOLVE_STALE};	/* the shadow model (0.5.0) */
static Oid	model_relid = InvalidOid;
static uint64 invalidations = 0;
static uint64 use_clock = 0;
static TimestampTz last_statement = 0;

/* The last model that failed to load, so that it fails fast next time. */
static struct
{
	bool		valid;
	int64		id;
	uint8		digest[MODEL_DIGEST_LEN];
	int			sqlerrcode;
	char		message[1024];
}			failed;

/* Columns of durpred.model that the cache reads. */
typedef struct ModelColumns
{
	AttrNumber	id;
	AttrNumber	name;
	AttrNumber	version;
	AttrNumber	model;
	AttrNumber	info;
	AttrNumber	active;
	AttrNumber	shadow;			/* InvalidAttrNumber before 0.5.0 */
	AttrNumber	digest;
} ModelColumns;

/*
 * ModelTableCallback
 *		Relcache invalidation callback: marks both answers stale when the
 *		model table (or everything) is invalidated.  Does nothing else.
 */
static void
ModelTableCallback(Datum arg pg_attribute_unused(), Oid relid)
{
	if (relid == InvalidOid || relid == model_relid)
	{
		active.state = RESOLVE_STALE;
		named.state = RESOLVE_STALE;
		shadow.state = RESOLVE_STALE;
		invalidations++;
	}
}

/*
 * CacheModelNameAssign
 *		Assign hook of durpred.model: marks the answer for durpred.model
 *		stale, so that the next call resolves the model the new setting
 *		names.  Which model is active does not depend on the setting.
 */
void
CacheModelNameAssign(const char *newval pg_attribute_unused(),
					 void *extra pg_attribute_unused())
{
	named.state = RESOLVE_STALE;
}

/*
 * CacheEvaluatorAssign
 *		Assign hook of durpred.evaluator: marks the answers stale, so that
 *		the next call loads the model again with XGBoost's booster where the
 *		new setting scores with XGBoost (a model is loaded without it
 *		otherwise, see ScorerBuild).
 */
void
CacheEvaluatorAssign(int newval pg_attribute_unused(),
					 void *extra pg_attribute_unused())
{
	active.state = RESOLVE_STALE;
	named.state = RESOLVE_STALE;
	shadow.state = RESOLVE_STALE;
}

/*
 * CacheInit
 *		Creates the cache context and registers the callback, once.
 */
static void
CacheInit(void)
{
	if (cache_context != NULL)
		return;
	if (CacheMemoryContext == NULL)
		CreateCacheMemoryContext();
	cache_context = AllocSetContextCreate(CacheMemoryContext, "durpred models",
										  ALLOCSET_SMALL_SIZES);
	CacheRegisterRelcacheCallback(ModelTableCallback, (Datum) 0);
}

/*
 * Column
 *		The attribute number of a column of durpred.model, checked.
 */
static AttrNumber
Column(Relation rel, const char *name, Oid type)
{
	AttrNumber	attnum = attnameAttNum(rel, name, false);

	if (attnum == InvalidAttrNumber ||
		TupleDescAttr(RelationGetDescr(rel), attnum - 1)->atttypid != type)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table durpred.model has no column \"%s\" of the expected type", name),
				 errhint("Reinstall the extension: DROP EXTENSION durpred; CREATE EXTENSION durpred.")));
	return attnum;
}

/*
 * DigestOf
 *		The sha256 column of a model row.
 */
static void
DigestOf(HeapTuple tuple, TupleDesc desc, AttrNumber attnum, uint8 *digest)
{
	bool		isnull;
	Datum		d = heap_getattr(tuple, attnum, desc, &isnull);
	bytea	   *b;

	if (isnull)
		elog(ERROR, "durpred.model row without sha256");
	b = DatumGetByteaPP(d);
	if (VARSIZE_ANY_EXHDR(b) != MODEL_DIGEST_LEN)
		elog(ERROR, "durpred.model row with a sha256 of the wrong size");
	memcpy(digest, VARDATA_ANY(b), MODEL_DIGEST_LEN);
}

/*
 * RaiseFailed
 *		Raises the error of a model that failed to load.
 */
static void
pg_attribute_noreturn()
RaiseFailed(const char *name, int32 version)
{
	ereport(ERROR,
			(errcode(failed.sqlerrcode),
			 errmsg("model %lld (\"%s\" version %d) cannot be loaded",
					(long long) failed.id, name, version),
			 errdetail("Loading it failed with: %s.", failed.message)));
}

/*
 * IsModelError
 *		Whether an error of loading says that the model bytes themselves are
 *		bad (invalid, corrupt, unsupported, refused by XGBoost), so that the
 *		same bytes would fail again.  Anything else (a cancel, out of memory,
 *		durpred.max_model_size set lower for a while) may pass.
 */
static bool
IsModelError(int sqlerrcode)
{
	switch (ERRCODE_TO_CATEGORY(sqlerrcode))
	{
		case ERRCODE_DATA_EXCEPTION:
		case ERRCODE_FEATURE_NOT_SUPPORTED:
		case ERRCODE_EXTERNAL_ROUTINE_EXCEPTION:
			return true;
		default:
			return sqlerrcode == ERRCODE_DATA_CORRUPTED;
	}
}

/*
 * BuildRemembering
 *		ScorerBuild, remembering a failure that the model's bytes caused, so
 *		that the same bytes fail fast next time, with the model named in the
 *		error.  Other errors pass through as they are, and are not remembered.
 */
static Scorer *
BuildRemembering(bytea *bytes, Jsonb *info, int64 id, const uint8 *digest,
				 const char *name, int32 version)
{
	MemoryContext old = CurrentMemoryContext;
	Scorer	   *volatile scorer = NULL;

	PG_TRY();
	{
		CheckModelSize(VARSIZE_ANY_EXHDR(bytes));
		scorer = ScorerBuild(VARDATA_ANY(bytes), VARSIZE_ANY_EXHDR(bytes), info,
							 ERRCODE_DATA_CORRUPTED,
							 durpred_evaluator == SCORER_XGBOOST);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(old);
		edata = CopyErrorData();
		if (!IsModelError(edata->sqlerrcode))
		{
			FreeErrorData(edata);
			PG_RE_THROW();
		}
		FlushErrorState();
		failed.valid = true;
		failed.id = id;
		memcpy(failed.digest, digest, MODEL_DIGEST_LEN);
		failed.sqlerrcode = edata->sqlerrcode;
		strlcpy(failed.message, edata->message, sizeof(failed.message));
		FreeErrorData(edata);
		RaiseFailed(name, version);
	}
	PG_END_TRY();
	return scorer;
}

/*
 * LoadIntoSlot
 *		Loads a model row into a slot: the one of an older copy of this
 *		model, else a free one, else the least recently used.
 */
static CachedModel *
LoadIntoSlot(HeapTuple tuple, TupleDesc desc, const ModelColumns *col,
			 int64 id, int32 version, const char *name, const uint8 *digest)
{
	CachedModel *slot = NULL;
	bool		isnull;
	bytea	   *bytes;
	Jsonb	   *info = NULL;
	Scorer	   *scorer;
	int			i;

	if (failed.valid && failed.id == id &&
		memcmp(failed.digest, digest, MODEL_DIGEST_LEN) == 0)
		RaiseFailed(name, version);

	for (i = 0; i < CACHE_SLOTS && slot == NULL; i++)
	{
		if (slots[i].scorer != NULL && slots[i].id == id)
			slot = &slots[i];
	}
	for (i = 0; i < CACHE_SLOTS && slot == NULL; i++)
	{
		if (slots[i].scorer == NULL)
			slot = &slots[i];
	}
	if (slot == NULL)
	{
		slot = &slots[0];
		for (i = 1; i < CACHE_SLOTS; i++)
		{
			if (slots[i].last_used < slot->last_used)
				slot = &slots[i];
		}
	}
	if (slot->scorer != NULL)
	{
		/* an answer that pointed to the evicted model is asked again */
		if (active.model == slot)
		{
			active.model = NULL;
			active.state = RESOLVE_STALE;
		}
		if (named.model == slot)
		{
			named.model = NULL;
			named.state = RESOLVE_STALE;
		}
		if (shadow.model == slot)
		{
			shadow.model = NULL;
			shadow.state = RESOLVE_STALE;
		}
		ScorerFree(slot->scorer);
		slot->scorer = NULL;
	}

	bytes = DatumGetByteaPP(heap_getattr(tuple, col->model, desc, &isnull));
	if (!heap_attisnull(tuple, col->info, desc))
		info = DatumGetJsonbP(heap_getattr(tuple, col->info, desc, &isnull));
	scorer = BuildRemembering(bytes, info, id, digest, name, version);

	MemoryContextSetParent(scorer->cxt, cache_context);
	slot->scorer = scorer;
	slot->id = id;
	slot->version = version;
	slot->name = MemoryContextStrdup(scorer->cxt, name);
	memcpy(slot->digest, digest, MODEL_DIGEST_LEN);
	return slot;
}

/*
 * Resolve
 *		Reads durpred.model to answer which model is active (name NULL), or
 *		the shadow model (name NULL, answer the shadow's), or which is the
 *		newest version of the model of that name, loading it if needed.
 *		The newest version is the highest one of the name: keep in sync
 *		with sql/durpred--0.5.0.sql:newest_model_id, the rule of
 *		activate_model(text) and set_shadow_model(text).
 */
static void
Resolve(Answer *answer, const char *name)
{
	bool		is_shadow = answer == &shadow;
	Oid			nsp = get_namespace_oid("durpred", true);
	Oid			relid = OidIsValid(nsp) ? get_relname_relid("model", nsp) : InvalidOid;
	Relation	rel;
	TupleDesc	desc;
	ModelColumns col;
	TableScanDesc scan;
	HeapTuple	tuple;
	HeapTuple	best = NULL;
	int32		best_version = 0;
	int64		best_id = 0;
	char	   *best_name = NULL;
	bool		fresh = !IsInParallelMode();
	Snapshot	snapshot;
	uint64		seen;
	int			i;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table durpred.model does not exist"),
				 errhint("Create the extension: CREATE EXTENSION durpred.")));
	CacheInit();
	model_relid = relid;

	/* opening the table processes pending invalidations */
	rel = table_open(relid, AccessShareLock);
	seen = invalidations;
	desc = RelationGetDescr(rel);
	/* keep in sync with sql/durpred--0.1.0.sql:durpred.model */
	col.id = Column(rel, "id", INT8OID);
	col.name = Column(rel, "name", TEXTOID);
	col.version = Column(rel, "version", INT4OID);
	col.model = Column(rel, "model", BYTEAOID);
	col.info = Column(rel, "info", JSONBOID);
	col.active = Column(rel, "active", BOOLOID);
	/* keep in sync with sql/durpred--0.4.0--0.5.0.sql:durpred.model.shadow */
	col.shadow = attnameAttNum(rel, "shadow", false);
	if (col.shadow != InvalidAttrNumber &&
		TupleDescAttr(desc, col.shadow - 1)->atttypid != BOOLOID)
		col.shadow = Column(rel, "shadow", BOOLOID);	/* raises */
	col.digest = Column(rel, "sha256", BYTEAOID);

	if (fresh)
	{
		snapshot = RegisterSnapshot(GetLatestSnapshot());
		PushActiveSnapshot(snapshot);
	}
	else
		snapshot = GetActiveSnapshot();

	scan = table_beginscan(rel, snapshot, 0, NULL);
	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		int32		version = DatumGetInt32(heap_getattr(tuple, col.version, desc, &isnull));
		bool		take;

		if (name != NULL)
		{
			char	   *row_name = TextDatumGetCString(heap_getattr(tuple, col.name, desc, &isnull));

			take = strcmp(row_name, name) == 0 &&
				(best == NULL || version > best_version);
			pfree(row_name);
		}
		else if (is_shadow)
			take = col.shadow != InvalidAttrNumber &&
				DatumGetBool(heap_getattr(tuple, col.shadow, desc, &isnull));
		else
			take = DatumGetBool(heap_getattr(tuple, col.active, desc, &isnull));
		if (take)
		{
			if (best != NULL)
				heap_freetuple(best);
			best = heap_copytuple(tuple);
			best_version = version;
		}
	}
	table_endscan(scan);

	answer->model = NULL;
	answer->state = RESOLVE_STALE;
	if (best != NULL)
	{
		bool		isnull;
		uint8		digest[MODEL_DIGEST_LEN];
		CachedModel *model = NULL;

		best_id = DatumGetInt64(heap_getattr(best, col.id, desc, &isnull));
		best_name = TextDatumGetCString(heap_getattr(best, col.name, desc, &isnull));
		DigestOf(best, desc, col.digest, digest);
		for (i = 0; i < CACHE_SLOTS; i++)
		{
			if (slots[i].scorer != NULL && slots[i].id == best_id &&
				memcmp(slots[i].digest, digest, MODEL_DIGEST_LEN) == 0 &&
				(slots[i].scorer->booster != NULL ||
				 durpred_evaluator != SCORER_XGBOOST))
				model = &slots[i];
		}
		if (model == NULL)
			model = LoadIntoSlot(best, desc, &col, best_id, best_version,
								 best_name, digest);
		model->last_used = ++use_clock;
		answer->model = model;
		heap_freetuple(best);
	}

	if (fresh)
	{
		PopActiveSnapshot();
		UnregisterSnapshot(snapshot);
	}
	table_close(rel, NoLock);

	if (fresh && invalidations == seen)
		answer->state = RESOLVE_FINAL;
	else
	{
		answer->state = RESOLVE_PROVISIONAL;
		answer->provisional_lxid = MyProc->lxid;
		answer->provisional_statement = GetCurrentStatementStartTimestamp();
	}
}

/*
 * Answered
 *		The answer to "which model?", asked again where it may have changed:
 *		the active model (name NULL) or the newest of that name.
 */
static CachedModel *
Answered(Answer *answer, const char *name)
{
	TimestampTz statement = GetCurrentStatementStartTimestamp();

	/*
	 * Invalidations are read when a lock is taken or a transaction starts;
	 * a statement that reads no table inside a transaction would not see a
	 * model committed meanwhile.  Read them once per statement.
	 */
	if (unlikely(statement != last_statement))
	{
		last_statement = statement;
		AcceptInvalidationMessages();
	}
	/*
	 * In a parallel query the workers can only read the registry with the
	 * statement's snapshot, so the leader reads it again with that snapshot
	 * too, once per statement: every process of a statement scores with the
	 * same model, even where a fresh snapshot would have seen a newer one.
	 */
	if (unlikely(answer->state != RESOLVE_FINAL) || unlikely(IsInParallelMode()))
	{
		if (answer->state != RESOLVE_PROVISIONAL ||
			answer->provisional_lxid != MyProc->lxid ||
			answer->provisional_statement != statement)
			Resolve(answer, name);
	}
	return answer->model;
}

/*
 * CurrentModel
 *		The model to score with; see cache.h.
 */
CachedModel *
CurrentModel(bool missing_ok)
{
	bool		override = durpred_model_name != NULL && durpred_model_name[0] != '\0';
	CachedModel *model = override ?
		Answered(&named, durpred_model_name) : Answered(&active, NULL);

	if (unlikely(model == NULL) && !missing_ok)
	{
		if (override)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("model \"%s\" does not exist", durpred_model_name),
					 errdetail("durpred.model is set to \"%s\", and no model of that name is installed.",
							   durpred_model_name),
					 errhint("durpred.models lists the installed models; RESET durpred.model scores with the active one.")));
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no active durpred model"),
				 errhint("Install a model with durpred.install_model() and activate it with durpred.activate_model().")));
	}
	return model;
}

/*
 * ActiveModel
 *		See cache.h.
 */
CachedModel *
ActiveModel(void)
{
	return Answered(&active, NULL);
}

/*
 * ServingModel
 *		See cache.h.
 */
CachedModel *
ServingModel(void)
{
	CachedModel *model = CurrentModel(true);

	if (model == NULL && durpred_model_name != NULL && durpred_model_name[0] != '\0')
		(void) CurrentModel(false); /* raises: no model of that name */
	return model;
}

/*
 * ShadowModel
 *		See cache.h.
 */
CachedModel *
ShadowModel(void)
{
	return Answered(&shadow, NULL);
}

/*
 * ShadowModelIfKnown
 *		See cache.h.
 */
CachedModel *
ShadowModelIfKnown(bool *known)
{
	*known = shadow.state == RESOLVE_FINAL;
	return *known ? shadow.model : NULL;
}

/*
 * ShadowModelMaybeSet
 *		See cache.h.
 */
bool
ShadowModelMaybeSet(void)
{
	return !(shadow.state == RESOLVE_FINAL && shadow.model == NULL);
}
