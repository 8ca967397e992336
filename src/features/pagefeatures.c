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
 * Here the three index scans run directly:
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
 * function raises 0A000 and the caller uses analytics.page_features().
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/stratnum.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "access/visibilitymap.h"
#include "catalog/namespace.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_collation_d.h"
#include "catalog/pg_index.h"
#include "catalog/pg_opfamily_d.h"
#include "catalog/pg_type_d.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "storage/bufmgr.h"
#include "storage/predicate.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
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
#include "features/pagefeatures.h"
#include "features/pg_mirror.h"
#include "features/timing.h"

DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_page_features);

#define MAX_COLUMNS 4

/*
 * A table read through an index on its key column: the rows whose key has
 * a value, with the columns asked for.  When the index holds them all, they
 * come from the index tuples of the heap pages that are all visible, as in
 * an index-only scan.
 */
typedef struct KeyedTable
{
	Relation	rel;
	Relation	index;
	TupleTableSlot *slot;
	IndexScanDesc scan;
	Snapshot	snapshot;
	int			ncolumns;
	AttrNumber	attnos[MAX_COLUMNS];	/* in the table */
	int			index_columns[MAX_COLUMNS]; /* in the index, from 0 */
	bool		index_only;
	RegProcedure bound_proc;	/* <= on the index's second column, or 0 */
	Buffer		vmbuffer;
	Datum		values[MAX_COLUMNS];	/* the current row's columns */
	bool		isnull[MAX_COLUMNS];
} KeyedTable;

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

/* A finished run of the history, before it is added in order. */
typedef struct PastRun
{
	TimestampTz finished_at;
	TimestampTz started_at;
	int64		id;
	double		duration;
	bool		failed;
} PastRun;

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
 * Column
 *		The attribute number of a column of the given type, or 0A000.
 */
static AttrNumber
Column(Relation rel, const char *name, Oid type)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || strcmp(NameStr(att->attname), name) != 0)
			continue;
		if (att->atttypid != type)
			NotSupported(rel, psprintf("column %s is of type %s, not %s", name,
									   format_type_be(att->atttypid),
									   format_type_be(type)));
		return att->attnum;
	}
	NotSupported(rel, psprintf("it has no column %s", name));
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
 * OpenKeyed
 *		Opens app.<name> with AccessShareLock, as a query reading it would,
 *		and the first usable index on key (a bigint column): a valid btree
 *		index without a predicate whose first column is key, usable by this
 *		transaction (as the planner decides for a freshly built index).  The
 *		rows will have the columns asked for, of the types given.
 */
static void
OpenKeyed(KeyedTable *t, const char *name, const char *key, const char *bound,
		  int ncolumns, const char *const *columns, const Oid *types)
{
	Oid			relid;
	AttrNumber	keyattno;
	AttrNumber	boundattno;
	AclResult	aclresult;
	List	   *indexes;
	ListCell   *lc;
	int			best = 0;

	relid = RangeVarGetRelid(makeRangeVar(APP_SCHEMA, (char *) name, -1),
							 AccessShareLock, false);
	t->rel = relation_open(relid, NoLock);
	if (t->rel->rd_rel->relkind != RELKIND_RELATION)
		NotSupported(t->rel, "it is not a table");
	if (t->rel->rd_rel->relrowsecurity)
		NotSupported(t->rel, "it has row-level security");
	aclresult = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_TABLE, RelationGetRelationName(t->rel));
	keyattno = Column(t->rel, key, INT8OID);

	for (int i = 0; i < ncolumns; i++)
		t->attnos[i] = Column(t->rel, columns[i], types[i]);
	boundattno = bound != NULL ? Column(t->rel, bound, TIMESTAMPTZOID) : InvalidAttrNumber;

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
		NotSupported(t->rel, psprintf("it has no btree index without a predicate on (%s)", key));

	t->ncolumns = ncolumns;
	t->index_only = IndexHolds(t->index, ncolumns, t->attnos, t->index_columns);
	t->bound_proc = BoundProc(t->index, boundattno);
	t->slot = table_slot_create(t->rel, NULL);
	t->scan = NULL;
	t->vmbuffer = InvalidBuffer;
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
	t->snapshot = snapshot;
	t->scan = index_beginscan(t->rel, t->index, snapshot, nkeys, 0);
	t->scan->xs_want_itup = t->index_only;
	index_rescan(t->scan, skeys, nkeys, NULL, 0);
}

/*
 * NextKeyed
 *		The next visible row of the scan into t->values and t->isnull; false
 *		at the end.  The values last until the next call.
 */
static bool
NextKeyed(KeyedTable *t)
{
	ItemPointer tid;

	while ((tid = index_getnext_tid(t->scan, ForwardScanDirection)) != NULL)
	{
		/* a page's history can be long: a cancel stops it, as the executor would */
		CHECK_FOR_INTERRUPTS();
		if (t->index_only &&
			VM_ALL_VISIBLE(t->rel, ItemPointerGetBlockNumber(tid), &t->vmbuffer))
		{
			Datum		values[INDEX_MAX_KEYS];
			bool		isnull[INDEX_MAX_KEYS];

			/* no heap access: lock the page as the heap fetch would */
			PredicateLockPage(t->rel, ItemPointerGetBlockNumber(tid), t->snapshot);
			index_deform_tuple(t->scan->xs_itup, t->scan->xs_itupdesc, values, isnull);
			for (int i = 0; i < t->ncolumns; i++)
			{
				t->values[i] = values[t->index_columns[i]];
				t->isnull[i] = isnull[t->index_columns[i]];
			}
			return true;
		}
		if (!index_fetch_heap(t->scan, t->slot))
			continue;			/* no version visible to the snapshot */
		for (int i = 0; i < t->ncolumns; i++)
			t->values[i] = slot_getattr(t->slot, t->attnos[i], &t->isnull[i]);
		return true;
	}
	return false;
}

/*
 * CloseKeyed
 *		Ends the scan and releases the buffer pin; the locks stay until the
 *		end of the transaction, as a query's do.
 */
static void
CloseKeyed(KeyedTable *t)
{
	if (t->scan != NULL)
		index_endscan(t->scan);
	if (t->vmbuffer != InvalidBuffer)
		ReleaseBuffer(t->vmbuffer);
	ExecDropSingleTupleTableSlot(t->slot);
	index_close(t->index, NoLock);
	relation_close(t->rel, NoLock);
}

/*
 * The history's order: finish, start, id (keep in sync with
 * extract/features.sql:analytics.page_features, its ORDER BY f.finished_at,
 * f.started_at, f.run_id, and analytics.run_features_source's window).
 */
static int
PastRunCmp(const void *a, const void *b)
{
	const PastRun *x = a;
	const PastRun *y = b;

	if (x->finished_at != y->finished_at)
		return x->finished_at < y->finished_at ? -1 : 1;
	if (x->started_at != y->started_at)
		return x->started_at < y->started_at ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return 0;
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
 * ReadHistory
 *		The history of a run of the page starting at as_of, into state.
 */
static void
ReadHistory(KeyedTable *t, Snapshot snapshot, int64 page, TimestampTz as_of,
			HistoryState *state)
{
	Oid			collation = TupleDescAttr(RelationGetDescr(t->rel), t->attnos[RUN_STATUS] - 1)->attcollation;
	PastRun    *runs;
	int64		n = 0;
	int64		cap = 64;
	bool		sorted = true;
	int64		i;

	/* the SQL compares status with the column's collation */
	if (collation != DEFAULT_COLLATION_OID && collation != C_COLLATION_OID &&
		collation != InvalidOid && !get_collation_isdeterministic(collation))
		NotSupported(t->rel, "column status has a nondeterministic collation");

	runs = palloc(cap * sizeof(PastRun));
	/* the runs that finished by as_of, not those still pending */
	BeginKeyed(t, snapshot, page, as_of);
	while (NextKeyed(t))
	{
		Datum		status = t->values[RUN_STATUS];
		TimestampTz started_at = DatumGetTimestampTz(t->values[RUN_STARTED_AT]);
		TimestampTz finished_at = DatumGetTimestampTz(t->values[RUN_FINISHED_AT]);
		PastRun    *run;
		double		duration;

		/*
		 * an outcome with a duration (keep in sync with
		 * extract/features.sql:analytics.run_outcomes)
		 */
		if (t->isnull[RUN_STATUS] || !AppStatusIsOutcome(status) ||
			t->isnull[RUN_STARTED_AT] || t->isnull[RUN_FINISHED_AT] ||
			!MirrorEpochDifference(finished_at, started_at, &duration))
			continue;
		/*
		 * the as-of rule (keep in sync with
		 * extract/features.sql:analytics.page_history)
		 */
		if (!(finished_at <= as_of && started_at < as_of))
			continue;

		if (n == cap)
		{
			cap *= 2;
			runs = repalloc_huge(runs, cap * sizeof(PastRun));
		}
		run = &runs[n];
		run->finished_at = finished_at;
		run->started_at = started_at;
		if (t->isnull[RUN_ID])
			NotSupported(t->rel, "a run has no id");
		run->id = DatumGetInt64(t->values[RUN_ID]);
		/*
		 * duration_seconds and failed (keep in sync with
		 * extract/features.sql:analytics.run_outcomes)
		 */
		run->duration = duration;
		run->failed = AppStatusIsFailure(status);
		if (n > 0 && PastRunCmp(&runs[n - 1], run) > 0)
			sorted = false;
		n++;
	}

	/*
	 * an index on (notebook_page_id, finished_at, started_at, id) gives them
	 * sorted (extract/schema.sql:noteflow_run_page_history_idx)
	 */
	if (!sorted)
		qsort(runs, n, sizeof(PastRun), PastRunCmp);
	for (i = 0; i < n; i++)
		HistoryAdd(state, runs[i].duration, runs[i].failed, CurrentMemoryContext);
	pfree(runs);
}

/*
 * PageFeatures
 *		See pagefeatures.h.
 */
bool
PageFeatures(int64 page, TimestampTz as_of, Datum *values, bool *nulls)
{
	Snapshot	snapshot = ActiveSnapshotSet() ? GetActiveSnapshot() : GetTransactionSnapshot();
	KeyedTable	pages;
	KeyedTable	blocks;
	KeyedTable	runs;
	int64		counts[NUM_COUNTS];
	HistoryState history;
	bool		found;
	int			i;

	StaticAssertStmt(TIMING_FIELDS == FIRST_BLOCK_FEATURE &&
					 TIMING_FIELDS + NUM_BLOCK_TYPES + 1 + HISTORY_FIELDS == DURPRED_NUM_FEATURES,
					 "the features are timing, block counts and history");

	/* in the order of the SQL's range table, so that the locks are too */
	OpenKeyed(&pages, APP_PAGE_TABLE, APP_PAGE_ID, NULL, 0, NULL, NULL);
	OpenKeyed(&blocks, APP_BLOCK_TABLE, APP_BLOCK_PAGE, NULL, lengthof(block_columns),
			  block_columns, block_types);
	OpenKeyed(&runs, APP_RUN_TABLE, APP_RUN_PAGE, APP_RUN_FINISHED_AT, RUN_COLUMNS,
			  run_columns, run_types);

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
		memset(&history, 0, sizeof(history));
		ReadHistory(&runs, snapshot, page, as_of, &history);
	}
	CloseKeyed(&runs);
	CloseKeyed(&blocks);
	CloseKeyed(&pages);
	if (!found)
		return false;

	TimingFields(as_of, values, nulls);
	for (i = 0; i <= NUM_BLOCK_TYPES; i++)
	{
		values[FIRST_BLOCK_FEATURE + i] = Int32GetDatum(BlockCount(counts[i]));
		nulls[FIRST_BLOCK_FEATURE + i] = false;
	}
	HistoryFields(&history, values + FIRST_BLOCK_FEATURE + NUM_BLOCK_TYPES + 1,
				  nulls + FIRST_BLOCK_FEATURE + NUM_BLOCK_TYPES + 1);
	return true;
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
