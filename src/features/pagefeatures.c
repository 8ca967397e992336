/*-------------------------------------------------------------------------
 *
 * src/features/pagefeatures.c
 *		durpred.page_features(page_id, as_of): the features of a run of a
 *		page at an instant, read from the app tables through their indexes,
 *		for the serving trigger.
 *
 * analytics.page_features() (extract/features.sql) defines these features
 * in SQL, and this function computes exactly the same values.  It exists
 * because the trigger computes them for every new run: run by the
 * executor, that query costs more than the insert it serves, most of it in
 * setting up its scans, joins and aggregates again for every execution.
 * Here the three index scans run directly (walked by indexwalk.c):
 *
 *	 app.notebook_page	the page must exist (else: no features, NULL);
 *	 app.block			its blocks counted by type (a block of a type the
 *						features do not know: NULL, as the SQL gives no row);
 *	 app.noteflow_run	its history: the runs with an outcome (status success,
 *						failed or cancelled, with a duration: both timestamps
 *						finite, finished_at >= started_at, a span an interval
 *						holds) with finished_at <= as_of and started_at <
 *						as_of, added in the order finish, start, id.
 *
 * The values come from the code the SQL uses: the timing of
 * durpred.timing_features (timing.h), the block types of
 * durpred.block_counts (blocks.h), the running history of
 * durpred.run_history (history.h).  The duration is date_part('epoch',
 * finished_at - started_at) computed as PostgreSQL computes it
 * (pg_mirror.h), the statuses compared as texteq compares them.  The reads
 * use the calling statement's snapshot, the locks the executor would take,
 * and the caller's SELECT privilege on the tables.
 *
 * Direct reads need plain tables without row-level security, and on each a
 * valid btree index without a predicate whose first column is the key
 * (notebook_page.id, block.notebook_page_id, noteflow_run.notebook_page_id).
 * Where a deployment maps the tables with views, or lacks an index, the
 * function raises 0A000 and the caller uses analytics.page_features():
 * durpred.page_features(page_id, as_of, fallback) and the serving trigger
 * call that fallback through FallbackFeatures, defined here once for both.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/stratnum.h"
#include "access/transam.h"
#include "catalog/namespace.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_collation_d.h"
#include "catalog/pg_index.h"
#include "catalog/pg_opfamily_d.h"
#include "catalog/pg_type_d.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/regproc.h"
#include "executor/spi.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "calls.h"
#include "durpred.h"
#include "feature.h"
#include "features/app.h"
#include "features/blocks.h"
#include "features/history.h"
#include "features/indexwalk.h"
#include "features/pagefeatures.h"
#include "features/pg_mirror.h"
#include "features/resolved.h"
#include "features/shards.h"
#include "features/summary.h"
#include "features/timing.h"

DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_page_features);
DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_page_features_or);

/* what ReadPageFeatures found */
typedef enum PageRead
{
	PAGE_FOUND,
	PAGE_NONE,					/* no page, or a block of an unknown type */
	PAGE_UNSUPPORTED			/* the tables cannot be read directly */
} PageRead;

#define MAX_COLUMNS 4

/*
 * A table read through an index on its key column: the rows whose key has
 * a value, with the columns asked for.  When the index holds them all, they
 * come from the index tuples, as in an index-only scan (indexwalk.c).
 */
typedef struct KeyedTable
{
	Relation	rel;
	Relation	index;
	IndexWalk	walk;
	bool		walking;		/* walk was begun */
	int			ncolumns;
	AttrNumber	attnos[MAX_COLUMNS];	/* in the table */
	int			index_columns[MAX_COLUMNS]; /* in the index, from 0 */
	bool		index_only;
	RegProcedure bound_proc;	/* <= on the index's second column, or 0 */
	Datum		values[MAX_COLUMNS];	/* the current row's columns */
	bool		isnull[MAX_COLUMNS];
} KeyedTable;

/*
 * What OpenKeyed found for a table of the app schema, kept for the session
 * (resolved.h): its OID, its index and where the columns are.
 */
typedef struct KeyedLookup
{
	uint64		stamp;			/* 0: none kept */
	Oid			relid;
	Oid			indexid;
	AttrNumber	attnos[MAX_COLUMNS];
	int			index_columns[MAX_COLUMNS];
	bool		index_only;
	RegProcedure bound_proc;
} KeyedLookup;

/* the lookups of app.notebook_page, app.block and app.noteflow_run */
static KeyedLookup page_lookup;
static KeyedLookup block_lookup;
static KeyedLookup run_lookup;

/*
 * the columns of the blocks and the runs read, of the types the app tables
 * give them (keep in sync with extract/schema.sql:app.block, app.noteflow_run)
 */
static const char *const block_columns[] = {APP_BLOCK_TYPE};
static const Oid block_types[] = {TEXTOID};

enum
{
	RUN_FINISHED_AT, RUN_STARTED_AT, RUN_ID, RUN_STATUS, RUN_COLUMNS
};
static const char *const run_columns[] = {APP_RUN_FINISHED_AT, APP_RUN_STARTED_AT, APP_RUN_ID, APP_RUN_STATUS};
static const Oid run_types[] = {TIMESTAMPTZOID, TIMESTAMPTZOID, INT8OID, TEXTOID};

/*
 * NotSupported
 *		Raises 0A000: the table cannot be read directly.
 */
static void
pg_attribute_noreturn()
NotSupported(Relation rel, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("durpred.page_features cannot read %s.%s directly: %s",
					APP_SCHEMA, RelationGetRelationName(rel), why),
			 errhint("analytics.page_features() computes the same features in SQL.")));
}

/*
 * Refuse
 *		A table that cannot be read directly: raises 0A000 when why is NULL,
 *		else says why in *why and returns false.
 */
static bool
Refuse(char **why, Relation rel, const char *reason)
{
	if (why == NULL)
		NotSupported(rel, reason);
	*why = psprintf("%s.%s: %s", APP_SCHEMA, RelationGetRelationName(rel), reason);
	return false;
}

/*
 * Column
 *		The attribute number of a column of the given type; where there is
 *		none, Refuse (InvalidAttrNumber).
 */
static AttrNumber
Column(Relation rel, const char *name, Oid type, char **why)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || strcmp(NameStr(att->attname), name) != 0)
			continue;
		if (att->atttypid != type)
		{
			Refuse(why, rel, psprintf("column %s is of type %s, not %s", name,
									  format_type_be(att->atttypid),
									  format_type_be(type)));
			return InvalidAttrNumber;
		}
		return att->attnum;
	}
	Refuse(why, rel, psprintf("it has no column %s", name));
	return InvalidAttrNumber;
}

/*
 * IndexHolds
 *		Whether an index holds the columns attnos[0..n-1] (as keys or
 *		included); where, from 0, into positions when not NULL.
 */
static bool
IndexHolds(Relation index, int n, const AttrNumber *attnos, int *positions)
{
	for (int i = 0; i < n; i++)
	{
		int			j;

		for (j = 0; j < index->rd_index->indnatts; j++)
			if (index->rd_index->indkey.values[j] == attnos[i])
				break;
		if (j == index->rd_index->indnatts)
			return false;
		if (positions != NULL)
			positions[i] = j;
	}
	return true;
}

/*
 * BoundProc
 *		The function of the <= of an index's operator family for its second
 *		column, when that is the timestamptz column attno; else InvalidOid.
 */
static RegProcedure
BoundProc(Relation index, AttrNumber attno)
{
	Oid			le;

	if (attno == InvalidAttrNumber || index->rd_index->indnkeyatts < 2 ||
		index->rd_index->indkey.values[1] != attno ||
		index->rd_opcintype[1] != TIMESTAMPTZOID)
		return InvalidOid;
	le = get_opfamily_member(index->rd_opfamily[1], TIMESTAMPTZOID, TIMESTAMPTZOID,
							 BTLessEqualStrategyNumber);
	return OidIsValid(le) ? get_opcode(le) : InvalidOid;
}

/*
 * CloseRefused
 *		Closes a table that OpenKeyed refuses (its lock stays, as a query's
 *		would); returns false.
 */
static bool
CloseRefused(KeyedTable *t, bool result)
{
	relation_close(t->rel, NoLock);
	t->rel = NULL;
	return result;
}

/*
 * OpenKeyed
 *		Opens app.<name> with AccessShareLock, as a query reading it would,
 *		and the first usable index on key (a bigint column): a valid btree
 *		index without a predicate whose first column is key, usable by this
 *		transaction (as the planner decides for a freshly built index).  The
 *		rows will have the columns asked for, of the types given.  What it
 *		finds is kept in *kept for the next calls, except for a shard.
 */
static bool
OpenKeyed(KeyedTable *t, const char *name, Oid shard, const char *key, const char *bound,
		  int ncolumns, const char *const *columns, const Oid *types, char **why,
		  KeyedLookup *kept)
{
	Oid			relid;
	AttrNumber	keyattno;
	AttrNumber	boundattno;
	AclResult	aclresult;
	List	   *indexes;
	ListCell   *lc;
	int			best = 0;
	uint64		stamp = ResolvedStamp();

	t->ncolumns = ncolumns;
	t->walking = false;
	if (!OidIsValid(shard) && ResolvedLock(kept->relid, AccessShareLock, kept->stamp))
	{
		t->rel = relation_open(kept->relid, NoLock);
		if (!ResolvedRights(kept->relid, ACL_SELECT))
			aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, RelationGetRelationName(t->rel));
		t->index = index_open(kept->indexid, AccessShareLock);
		memcpy(t->attnos, kept->attnos, sizeof(t->attnos));
		memcpy(t->index_columns, kept->index_columns, sizeof(t->index_columns));
		t->index_only = kept->index_only;
		t->bound_proc = kept->bound_proc;
		return true;
	}

	if (OidIsValid(shard))
	{
		/* the page's shard of the table, on a Citus node (shards.c) */
		relid = shard;
		LockRelationOid(relid, AccessShareLock);
	}
	else
		relid = RangeVarGetRelid(makeRangeVar(APP_SCHEMA, (char *) name, -1),
								 AccessShareLock, false);
	t->rel = relation_open(relid, NoLock);
	if (t->rel->rd_rel->relkind != RELKIND_RELATION)
		return CloseRefused(t, Refuse(why, t->rel, "it is not a table"));
	if (t->rel->rd_rel->relrowsecurity)
		return CloseRefused(t, Refuse(why, t->rel, "it has row-level security"));
	aclresult = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_TABLE, RelationGetRelationName(t->rel));
	keyattno = Column(t->rel, key, INT8OID, why);
	if (keyattno == InvalidAttrNumber)
		return CloseRefused(t, false);
	for (int i = 0; i < ncolumns; i++)
	{
		t->attnos[i] = Column(t->rel, columns[i], types[i], why);
		if (t->attnos[i] == InvalidAttrNumber)
			return CloseRefused(t, false);
	}
	boundattno = InvalidAttrNumber;
	if (bound != NULL &&
		(boundattno = Column(t->rel, bound, TIMESTAMPTZOID, why)) == InvalidAttrNumber)
		return CloseRefused(t, false);

	/*
	 * Of the usable indexes, the one that bounds the scan, then the one that
	 * holds every column asked for, then the first
	 */
	t->index = NULL;
	indexes = RelationGetIndexList(t->rel);
	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), AccessShareLock);
		Form_pg_index form = index->rd_index;
		int			score = 0;

		if (index->rd_rel->relam == BTREE_AM_OID &&
			form->indisvalid &&
			form->indkey.values[0] == keyattno &&
			index->rd_opfamily[0] == INTEGER_BTREE_FAM_OID &&
			index->rd_opcintype[0] == INT8OID &&
			heap_attisnull(index->rd_indextuple, Anum_pg_index_indpred, NULL) &&
			!(form->indcheckxmin &&
			  !TransactionIdPrecedes(HeapTupleHeaderGetXmin(index->rd_indextuple->t_data),
									 TransactionXmin)))
		{
			score = 1;
			if (IndexHolds(index, ncolumns, t->attnos, NULL))
				score += 1;
			if (BoundProc(index, boundattno) != InvalidOid)
				score += 2;
		}
		if (score > best)
		{
			if (t->index != NULL)
				index_close(t->index, NoLock);
			t->index = index;
			best = score;
		}
		else
		{
			/* the lock stays, as the planner keeps it on every index it sees */
			index_close(index, NoLock);
		}
	}
	list_free(indexes);
	if (t->index == NULL)
		return CloseRefused(t, Refuse(why, t->rel,
									  psprintf("it has no btree index without a predicate on (%s)", key)));

	t->index_only = IndexHolds(t->index, ncolumns, t->attnos, t->index_columns);
	t->bound_proc = BoundProc(t->index, boundattno);

	/* an index this transaction may not use yet is looked at again */
	if (!OidIsValid(shard) && !t->index->rd_index->indcheckxmin)
	{
		kept->stamp = stamp;
		kept->relid = relid;
		kept->indexid = RelationGetRelid(t->index);
		memcpy(kept->attnos, t->attnos, sizeof(t->attnos));
		memcpy(kept->index_columns, t->index_columns, sizeof(t->index_columns));
		kept->index_only = t->index_only;
		kept->bound_proc = t->bound_proc;
		ResolvedWatch(relid);
		ResolvedWatch(kept->indexid);
	}
	return true;
}

/*
 * BeginKeyed
 *		Starts an index scan of the rows whose key equals value and, where
 *		the index allows (OpenKeyed), whose bound column is <= limit: the
 *		caller checks that again.
 */
static void
BeginKeyed(KeyedTable *t, Snapshot snapshot, int64 value, TimestampTz limit)
{
	ScanKeyData skeys[2];
	int			nkeys = 1;

	ScanKeyInit(&skeys[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(value));
	if (OidIsValid(t->bound_proc))
		ScanKeyInit(&skeys[nkeys++], 2, BTLessEqualStrategyNumber, t->bound_proc,
					TimestampTzGetDatum(limit));
	IndexWalkBegin(&t->walk, t->rel, t->index, snapshot, skeys, nkeys,
				   ForwardScanDirection, t->index_only);
	t->walking = true;
}

/*
 * NextKeyed
 *		The next visible row of the scan into t->values and t->isnull; false
 *		at the end.  The values last until the next call.
 */
static bool
NextKeyed(KeyedTable *t)
{
	if (!IndexWalkNext(&t->walk))
		return false;
	for (int i = 0; i < t->ncolumns; i++)
	{
		if (t->index_only)
		{
			t->values[i] = t->walk.values[t->index_columns[i]];
			t->isnull[i] = t->walk.isnull[t->index_columns[i]];
		}
		else
			t->values[i] = IndexWalkHeapValue(&t->walk, t->attnos[i], &t->isnull[i]);
	}
	return true;
}

/*
 * CloseKeyed
 *		Ends the walk, if begun, and closes the table and its index; the
 *		locks stay until the end of the transaction, as a query's do.
 */
static void
CloseKeyed(KeyedTable *t)
{
	if (t->walking)
		IndexWalkEnd(&t->walk);
	index_close(t->index, NoLock);
	relation_close(t->rel, NoLock);
}

/*
 * ReadBlocks
 *		Counts the page's blocks into counts[NUM_COUNTS]; a NULL type counts
 *		nothing, as in durpred.block_counts.
 */
static void
ReadBlocks(KeyedTable *t, Snapshot snapshot, int64 page, int64 *counts)
{
	memset(counts, 0, NUM_COUNTS * sizeof(int64));
	BeginKeyed(t, snapshot, page, 0);
	while (NextKeyed(t))
	{
		if (!t->isnull[0])
		{
			text	   *s = DatumGetTextPP(t->values[0]);

			counts[0]++;
			counts[BlockTypeIndex(VARDATA_ANY(s), VARSIZE_ANY_EXHDR(s))]++;
		}
	}
}

/*
 * CheckStatusCollation
 *		0A000 where the SQL would compare status with a nondeterministic
 *		collation: the direct reads compare bytes.
 */
static bool
CheckStatusCollation(KeyedTable *t, char **why)
{
	Oid			collation = TupleDescAttr(RelationGetDescr(t->rel), t->attnos[RUN_STATUS] - 1)->attcollation;

	if (collation != DEFAULT_COLLATION_OID && collation != C_COLLATION_OID &&
		collation != InvalidOid && !get_collation_isdeterministic(collation))
		return Refuse(why, t->rel, "column status has a nondeterministic collation");
	return true;
}

/*
 * ReadHistory
 *		The history of a run of the page starting at as_of, into state: every
 *		run with an outcome that the as-of rule counts, read in full.  The
 *		totals do not depend on the order of the runs.
 */
static void
ReadHistory(KeyedTable *t, Snapshot snapshot, int64 page, TimestampTz as_of,
			HistoryState *state)
{
	/* the runs that finished by as_of, not those still pending */
	BeginKeyed(t, snapshot, page, as_of);
	while (NextKeyed(t))
	{
		Datum		status = t->values[RUN_STATUS];
		TimestampTz started_at = DatumGetTimestampTz(t->values[RUN_STARTED_AT]);
		TimestampTz finished_at = DatumGetTimestampTz(t->values[RUN_FINISHED_AT]);
		int64		us;

		/*
		 * an outcome with a duration (keep in sync with
		 * extract/features.sql:analytics.run_outcomes)
		 */
		if (t->isnull[RUN_STATUS] || !AppStatusIsOutcome(status) ||
			t->isnull[RUN_STARTED_AT] || t->isnull[RUN_FINISHED_AT] ||
			!RunMicros(finished_at, started_at, &us))
			continue;
		/*
		 * the as-of rule (keep in sync with
		 * extract/features.sql:analytics.page_history)
		 */
		if (!(finished_at <= as_of && started_at < as_of))
			continue;
		/*
		 * failed (keep in sync with
		 * extract/features.sql:analytics.run_outcomes)
		 */
		HistoryAddMicros(state, us, AppStatusIsFailure(status), CurrentMemoryContext);
	}
}

/*
 * ReadPageFeatures
 *		PageFeatures, or, with why not NULL, PAGE_UNSUPPORTED and the reason
 *		in *why where the tables cannot be read directly, before reading
 *		anything.
 */
static PageRead
ReadPageFeatures(int64 page, TimestampTz as_of, Datum *values, bool *nulls, char **why)
{
	Snapshot	snapshot = ActiveSnapshotSet() ? GetActiveSnapshot() : GetTransactionSnapshot();
	KeyedTable	pages;
	KeyedTable	blocks;
	KeyedTable	runs;
	int64		counts[NUM_COUNTS];
	HistoryState history;
	HistoryTotals totals;
	AppShards	shards;
	bool		from_summary = false;
	bool		found;
	int			i;

	StaticAssertStmt(TIMING_FIELDS == FIRST_BLOCK_FEATURE &&
					 TIMING_FIELDS + NUM_BLOCK_TYPES + 1 + HISTORY_FIELDS == DURPRED_NUM_FEATURES,
					 "the features are timing, block counts and history");

	/*
	 * On a Citus node, the page's co-located shards (the tables are empty
	 * shells there, shards.c).  A layout the reads cannot follow is never
	 * an empty read: unsupported for a caller with a fallback (the SQL
	 * definition, which Citus runs on the coordinator), else 55000.
	 */
	if (CurrentAppShards != NULL)
		shards = *CurrentAppShards;
	else
		AppShardsFor(page, NULL, &shards);
	if (shards.layout == APP_LAYOUT_UNSUPPORTED && why != NULL)
	{
		*why = shards.why;
		return PAGE_UNSUPPORTED;
	}
	if (shards.layout == APP_LAYOUT_UNSUPPORTED)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("durpred cannot read the rows of page " INT64_FORMAT " on this node: %s",
						page, shards.why),
				 errhint("extract/citus.sql makes the layout that durpred reads: app tables and estimate log co-located on notebook_page_id.")));

	/* in the order of the SQL's range table, so that the locks are too */
	if (!OpenKeyed(&pages, APP_PAGE_TABLE, shards.relids[APP_TABLE_PAGE], APP_PAGE_ID, NULL,
				   0, NULL, NULL, why, &page_lookup))
		return PAGE_UNSUPPORTED;
	if (!OpenKeyed(&blocks, APP_BLOCK_TABLE, shards.relids[APP_TABLE_BLOCK], APP_BLOCK_PAGE, NULL,
				   lengthof(block_columns), block_columns, block_types, why, &block_lookup))
	{
		CloseKeyed(&pages);
		return PAGE_UNSUPPORTED;
	}
	if (!OpenKeyed(&runs, APP_RUN_TABLE, shards.relids[APP_TABLE_RUN], APP_RUN_PAGE,
				   APP_RUN_FINISHED_AT, RUN_COLUMNS, run_columns, run_types, why, &run_lookup))
	{
		CloseKeyed(&blocks);
		CloseKeyed(&pages);
		return PAGE_UNSUPPORTED;
	}
	if (!CheckStatusCollation(&runs, why))
	{
		CloseKeyed(&runs);
		CloseKeyed(&blocks);
		CloseKeyed(&pages);
		return PAGE_UNSUPPORTED;
	}

	BeginKeyed(&pages, snapshot, page, 0);
	found = NextKeyed(&pages);
	if (found)
	{
		ReadBlocks(&blocks, snapshot, page, counts);
		/* no unknown_blocks (keep in sync with extract/features.sql:analytics.page_features) */
		found = counts[NUM_COUNTS - 1] == 0;
	}
	if (found)
	{
		/*
		 * the page's summary, else all its runs; on a Citus node, all its
		 * runs in its shard (the summary is not kept there)
		 */
		from_summary = shards.layout == APP_LAYOUT_LOCAL &&
			HistoryFromSummary(runs.rel, snapshot, page, as_of, &totals);
		if (!from_summary)
		{
			memset(&history, 0, sizeof(history));
			ReadHistory(&runs, snapshot, page, as_of, &history);
		}
	}
	CloseKeyed(&runs);
	CloseKeyed(&blocks);
	CloseKeyed(&pages);
	if (!found)
		return PAGE_NONE;

	TimingFields(as_of, values, nulls);
	for (i = 0; i <= NUM_BLOCK_TYPES; i++)
	{
		values[FIRST_BLOCK_FEATURE + i] = Int32GetDatum(BlockCount(counts[i]));
		nulls[FIRST_BLOCK_FEATURE + i] = false;
	}
	if (from_summary)
		HistoryTotalsFields(&totals, values + FIRST_BLOCK_FEATURE + NUM_BLOCK_TYPES + 1,
							nulls + FIRST_BLOCK_FEATURE + NUM_BLOCK_TYPES + 1);
	else
		HistoryFields(&history, values + FIRST_BLOCK_FEATURE + NUM_BLOCK_TYPES + 1,
					  nulls + FIRST_BLOCK_FEATURE + NUM_BLOCK_TYPES + 1);
	return PAGE_FOUND;
}

/*
 * PageFeatures
 *		See pagefeatures.h.
 */
bool
PageFeatures(int64 page, TimestampTz as_of, Datum *values, bool *nulls)
{
	return ReadPageFeatures(page, as_of, values, nulls, NULL) == PAGE_FOUND;
}

/*
 * IsFeaturesRow
 *		See pagefeatures.h.
 */
bool
IsFeaturesRow(TupleDesc desc)
{
	static const Oid types[] = {[FEATURE_INT] = INT4OID, [FEATURE_BOOL] = BOOLOID,
	[FEATURE_FLOAT] = FLOAT8OID};

	if (desc->natts != DURPRED_NUM_FEATURES)
		return false;
	for (int i = 0; i < DURPRED_NUM_FEATURES; i++)
		if (TupleDescAttr(desc, i)->atttypid != types[DurpredFeatures[i].kind])
			return false;
	return true;
}

/* The fallback's statement: its rows for the page and the instant. */
#define FALLBACK_QUERY "SELECT * FROM %s($1, $2)"

/*
 * FallbackFeatures
 *		See pagefeatures.h.  The search_path is pinned while the statement
 *		is planned and run, as SECURITY DEFINER code should have it (the
 *		trigger runs it as the table's owner, on behalf of any writer); it
 *		reads with the statement's snapshot, as the direct reads do.
 */
bool
FallbackFeatures(const char *function, const char *shown, KeptPlan *kept,
				 int64 page, TimestampTz as_of, Datum *values, bool *nulls)
{
	Oid			argtypes[2] = {INT8OID, TIMESTAMPTZOID};
	Datum		args[2] = {Int64GetDatum(page), TimestampTzGetDatum(as_of)};
	int			nest = NewGUCNestLevel();
	bool		found;
	int			rc;

	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	SPI_connect();
	if (kept != NULL)
	{
		SPIPlanPtr	plan = KeptPlanFor(kept, function);

		if (plan == NULL)
			plan = KeepPlan(kept, function, psprintf(FALLBACK_QUERY, function), 2, argtypes);
		rc = SPI_execute_plan(plan, args, NULL, true, 1);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	}
	else
	{
		rc = SPI_execute_with_args(psprintf(FALLBACK_QUERY, function),
								   2, argtypes, args, NULL, true, 1);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	}
	if (!IsFeaturesRow(SPI_tuptable->tupdesc))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("function %s does not return rows of durpred.features", shown)));
	found = SPI_processed > 0;
	/* the features are all passed by value: they outlive SPI's memory */
	if (found)
		heap_deform_tuple(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, values, nulls);
	SPI_finish();
	AtEOXact_GUC(true, nest);
	return found;
}

/*
 * durpred_page_features
 *		durpred.page_features(page_id bigint, as_of timestamptz): the 25
 *		features, as analytics.page_features() gives them, or NULL where it
 *		gives no row.
 */
Datum
durpred_page_features(PG_FUNCTION_ARGS)
{
	TupleDesc	desc = CallResultDesc(fcinfo, &fcinfo->flinfo->fn_extra);
	Datum		values[DURPRED_NUM_FEATURES];
	bool		nulls[DURPRED_NUM_FEATURES];

	if (!PageFeatures(PG_GETARG_INT64(0), PG_GETARG_TIMESTAMPTZ(1), values, nulls))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

/*
 * FallbackName
 *		The name of the function fallback, schema-qualified and quoted for
 *		a statement; 42883 where there is none.
 */
static char *
FallbackName(Oid fallback)
{
	char	   *name = get_func_name(fallback);

	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("fallback function with OID %u does not exist", fallback)));
	return quote_qualified_identifier(get_namespace_name(get_func_namespace(fallback)), name);
}

/*
 * durpred_page_features_or
 *		durpred.page_features(page_id, as_of, fallback regprocedure): the
 *		features read directly where the app tables allow it, else the
 *		fallback's (the SQL definition, analytics.page_features); NULL where
 *		the page cannot be scored.
 */
Datum
durpred_page_features_or(PG_FUNCTION_ARGS)
{
	TupleDesc	desc = CallResultDesc(fcinfo, &fcinfo->flinfo->fn_extra);
	Datum		values[DURPRED_NUM_FEATURES];
	bool		nulls[DURPRED_NUM_FEATURES];
	char	   *why = NULL;
	bool		found;

	switch (ReadPageFeatures(PG_GETARG_INT64(0), PG_GETARG_TIMESTAMPTZ(1), values, nulls, &why))
	{
		case PAGE_FOUND:
			found = true;
			break;
		case PAGE_NONE:
			found = false;
			break;
		case PAGE_UNSUPPORTED:
		default:
			found = FallbackFeatures(FallbackName(PG_GETARG_OID(2)),
									 format_procedure(PG_GETARG_OID(2)), NULL,
									 PG_GETARG_INT64(0), PG_GETARG_TIMESTAMPTZ(1),
									 values, nulls);
			break;
	}
	if (!found)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
