/*-------------------------------------------------------------------------
 *
 * src/features/summary.c
 *		The per-page history summary (analytics.page_history_summary): kept up to
 *		date as runs finish, so that a run's historical features cost the
 *		same whatever the length of its page's history.
 *
 * A page's summary holds the exact totals of every run of the page that has
 * an outcome (analytics.run_outcomes: status success, failed or cancelled,
 * with a duration): how many, how many failed, the sum and the sum of
 * squares of their durations in microseconds, and the keys (duration, run
 * id) of the two middle runs in duration order.  With the totals exact
 * (history.c), adding or removing a run in any order gives the same
 * bits as computing the history from scratch.
 *
 * The middle runs are found in the index noteflow_run_page_duration_idx on
 * app.noteflow_run (notebook_page_id, durpred.run_duration_us(finished_at,
 * started_at), id) over the runs with an outcome: when runs come or go, the
 * median moves by about half their number of places, so a few steps of an
 * index scan from the old middle find the new one, O(log n).
 *
 * Writes: statement-level AFTER triggers on app.noteflow_run (with
 * transition tables) and app.notebook_page call durpred.page_history_maintain.
 * For each page whose set of runs with an outcome changed, it locks the
 * summary's row, then reads the index with a snapshot taken after the lock,
 * which sees every committed change to the page: the summaries of
 * concurrent writers are applied one after the other, and none is lost.
 * A page whose summary is missing or marked incomplete (its runs changed
 * before it was ever built) is left for durpred.page_history_rebuild.
 *
 * Reads (HistoryFromSummary, for durpred.page_features and the serving
 * trigger): a run of a page starting at as_of counts the page's runs that
 * finished by as_of.  The summary counts them all; the runs that finished
 * at or after as_of (usually none, for a run being created now) are read
 * from the history index and taken out, O(log n) plus their number.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_relation.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "durpred.h"
#include "features/app.h"
#include "features/append.h"
#include "features/history.h"
#include "features/indexwalk.h"
#include "features/pg_mirror.h"
#include "features/resolved.h"
#include "features/shards.h"
#include "features/summary.h"

DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_run_duration_us);
DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_page_history_maintain);
DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_page_history_rebuild);

/* The summary and the indexes it reads: their names are in features/app.h */

/* A run in the duration index's order. */
typedef struct RunKey
{
	int64		us;
	int64		id;
} RunKey;

/* A change of a page's runs with an outcome: a run comes (+1) or goes (-1). */
typedef struct Change
{
	int64		page;
	RunKey		key;
	bool		failed;
	int			sign;
} Change;

/* A page's summary row. */
typedef struct Summary
{
	bool		complete;
	HistoryTotals totals;
	RunKey		lo;				/* valid when totals.n > 0 */
	RunKey		hi;
} Summary;

/*
 * The columns of analytics.page_history_summary, in order.  Keep in sync with
 * extract/features.sql: analytics.page_history_summary.
 */
static const struct
{
	const char *name;
	Oid			type;
}			summary_columns[] = {
	{"page_id", INT8OID},
	{"complete", BOOLOID},
	{"runs", INT8OID},
	{"failed_runs", INT8OID},
	{"sum_us", NUMERICOID},
	{"sum_squares_us", NUMERICOID},
	{"median_low_us", INT8OID},
	{"median_low_run", INT8OID},
	{"median_high_us", INT8OID},
	{"median_high_run", INT8OID},
};

#define SUMMARY_COLUMNS lengthof(summary_columns)

/*
 * KeyCmp
 *		The duration index's order: duration, then run id.
 */
static int
KeyCmp(const RunKey *a, const RunKey *b)
{
	if (a->us != b->us)
		return a->us < b->us ? -1 : 1;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return 0;
}

/*
 * durpred_run_duration_us
 *		durpred.run_duration_us(finished_at, started_at): a finished run's
 *		duration in microseconds as the history counts it (RunMicros), NULL
 *		where it has none.  Immutable: the duration index is built on it.
 */
Datum
durpred_run_duration_us(PG_FUNCTION_ARGS)
{
	int64		us;

	if (!RunMicros(PG_GETARG_TIMESTAMPTZ(0), PG_GETARG_TIMESTAMPTZ(1), &us))
		PG_RETURN_NULL();
	PG_RETURN_INT64(us);
}

/*
 * Int128Text
 *		An int128 as decimal text, for a numeric column.
 */
static char *
Int128Text(int128 v)
{
	char		buf[48];
	char	   *p = buf + sizeof(buf) - 1;
	bool		neg = v < 0;
	uint128		u = neg ? -(uint128) v : (uint128) v;

	*p = '\0';
	do
	{
		*--p = '0' + (int) (u % 10);
		u /= 10;
	} while (u != 0);
	if (neg)
		*--p = '-';
	return pstrdup(p);
}

/*
 * NumericInt128
 *		A numeric datum holding an integer as an int128; false when it is
 *		not an integer that fits.
 */
static bool
NumericInt128(Datum num, int128 *out)
{
	char	   *s = DatumGetCString(DirectFunctionCall1(numeric_out, num));
	bool		neg = false;
	uint128		u = 0;

	if (*s == '-')
	{
		neg = true;
		s++;
	}
	if (*s == '\0')
		return false;
	for (; *s; s++)
	{
		if (*s < '0' || *s > '9' || u > ((uint128) 1 << 125) / 5)
			return false;
		u = u * 10 + (*s - '0');
	}
	if (u > (uint128) 1 << 126)
		return false;
	*out = neg ? -(int128) u : (int128) u;
	return true;
}

/*
 * A scan of the duration index of one page, from a key forwards (keys >=
 * start) or backwards (keys < start).
 */
typedef struct DurationScan
{
	IndexWalk	walk;			/* from the index tuples (indexwalk.c) */
	Relation	heap;
	Relation	index;
	Snapshot	snapshot;
	int64		page;
	ScanDirection dir;
	RunKey		start;
	bool		in_group;		/* walking start's duration, by id */
	bool		failed;			/* of the current run, when asked for */
	int			status_col;		/* of the index tuple, or -1 */
} DurationScan;

/*
 * OpenIndexes
 *		Opens app.noteflow_run and, where they exist and are usable, its
 *		duration and history indexes (NULL otherwise), with the locks a
 *		query would take.
 */
static Relation
OpenRunsIndex(Relation runs, const char *name)
{
	Oid			nsp = RelationGetNamespace(runs);
	Oid			indexid = get_relname_relid(name, nsp);
	Relation	index;

	if (!OidIsValid(indexid))
		return NULL;
	index = index_open(indexid, AccessShareLock);
	if (index->rd_index->indrelid != RelationGetRelid(runs) ||
		index->rd_rel->relam != BTREE_AM_OID || !index->rd_index->indisvalid ||
		index->rd_index->indnkeyatts != 3 ||
		index->rd_opcintype[0] != INT8OID)
	{
		index_close(index, AccessShareLock);
		return NULL;
	}
	return index;
}

/*
 * DurationScanWalk
 *		Starts the walk of the index over the runs of start's duration from
 *		start (in_group), else over the durations beyond it.  Each walk is
 *		placed by its scan keys, O(log n): many runs may share a duration.
 */
static void
DurationScanWalk(DurationScan *ds, bool in_group)
{
	bool		forward = ScanDirectionIsForward(ds->dir);
	ScanKeyData skeys[3];
	int			nkeys = 2;

	ds->in_group = in_group;
	ScanKeyInit(&skeys[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(ds->page));
	if (in_group)
	{
		/* forward: the keys >= start; backward: those < start */
		ScanKeyInit(&skeys[1], 2, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(ds->start.us));
		ScanKeyInit(&skeys[nkeys++], 3,
					forward ? BTGreaterEqualStrategyNumber : BTLessStrategyNumber,
					forward ? F_INT8GE : F_INT8LT, Int64GetDatum(ds->start.id));
	}
	else
		ScanKeyInit(&skeys[1], 2, forward ? BTGreaterStrategyNumber : BTLessStrategyNumber,
					forward ? F_INT8GT : F_INT8LT, Int64GetDatum(ds->start.us));
	IndexWalkBegin(&ds->walk, ds->heap, ds->index, ds->snapshot, skeys, nkeys, ds->dir, true);
}

/*
 * DurationScanBegin
 *		Starts a scan of the page's runs in duration order from start:
 *		forward, the runs whose key is >= start; backward, those < start.
 */
static void
DurationScanBegin(DurationScan *ds, Relation heap, Relation index, Snapshot snapshot,
				  int64 page, RunKey start, ScanDirection dir)
{
	ds->heap = heap;
	ds->index = index;
	ds->snapshot = snapshot;
	ds->page = page;
	ds->dir = dir;
	ds->start = start;
	ds->status_col = index->rd_index->indnatts > 3 ? 3 : -1;
	DurationScanWalk(ds, true);
}

/*
 * DurationScanNext
 *		The next visible run's key; false at the end of the page.
 */
static bool
DurationScanNext(DurationScan *ds, RunKey *key)
{
	const Datum *values = ds->walk.values;
	const bool *isnull = ds->walk.isnull;

	for (;;)
	{
		while (IndexWalkNext(&ds->walk))
		{
			if (isnull[1] || isnull[2])
				continue;
			key->us = DatumGetInt64(values[1]);
			key->id = DatumGetInt64(values[2]);
			ds->failed = ds->status_col >= 0 && !isnull[ds->status_col] &&
				AppStatusIsFailure(values[ds->status_col]);
			return true;
		}
		if (!ds->in_group)
			return false;
		/* start's duration is done: the durations beyond it */
		IndexWalkEnd(&ds->walk);
		DurationScanWalk(ds, false);
	}
}

/*
 * DurationScanEnd
 *		Ends a scan that DurationScanBegin started.
 */
static void
DurationScanEnd(DurationScan *ds)
{
	IndexWalkEnd(&ds->walk);
}

/*
 * IsExcluded
 *		Whether a key is one of the n keys of excluded, which are sorted.
 */
static bool
IsExcluded(const RunKey *key, const RunKey *excluded, int n)
{
	int			lo = 0;
	int			hi = n;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			c = KeyCmp(&excluded[mid], key);

		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/*
 * FindRanks
 *		The keys of ranks r1 <= r2 (from 1) among the page's runs in the
 *		duration index less the excluded ones, knowing that `before` of
 *		those have keys below start.  False when the index holds fewer runs
 *		than the ranks need (the summary does not match it).
 */
static bool
FindRanks(Relation heap, Relation index, Snapshot snapshot, int64 page,
		  RunKey start, int64 before, const RunKey *excluded, int nexcluded,
		  int64 r1, int64 r2, RunKey *k1, RunKey *k2)
{
	DurationScan ds;
	RunKey		key;
	int64		rank;
	bool		found1 = false;
	bool		found2 = false;

	if (r1 <= before)
	{
		/* backwards from start: the run just below it has rank `before` */
		DurationScanBegin(&ds, heap, index, snapshot, page, start, BackwardScanDirection);
		rank = before + 1;
		while (!found1 && DurationScanNext(&ds, &key))
		{
			if (IsExcluded(&key, excluded, nexcluded))
				continue;
			rank--;
			if (rank == r2)
			{
				*k2 = key;
				found2 = true;
			}
			if (rank == r1)
			{
				*k1 = key;
				found1 = true;
			}
		}
		DurationScanEnd(&ds);
	}
	if (r2 > before && !found2)
	{
		DurationScanBegin(&ds, heap, index, snapshot, page, start, ForwardScanDirection);
		rank = before;
		while (!found2 && DurationScanNext(&ds, &key))
		{
			if (IsExcluded(&key, excluded, nexcluded))
				continue;
			rank++;
			if (rank == r1)
			{
				*k1 = key;
				found1 = true;
			}
			if (rank == r2)
			{
				*k2 = key;
				found2 = true;
			}
		}
		DurationScanEnd(&ds);
	}
	return found1 && found2;
}

/*
 * SummaryFromValues
 *		A summary from the values of a row of analytics.page_history_summary; false
 *		when the row is not usable (then the history is read in full).
 */
static bool
SummaryFromValues(const Datum *v, const bool *isnull, Summary *summary)
{
	memset(summary, 0, sizeof(*summary));
	for (int i = 1; i <= 5; i++)
		if (isnull[i])
			return false;
	summary->complete = DatumGetBool(v[1]);
	summary->totals.n = DatumGetInt64(v[2]);
	summary->totals.failed = DatumGetInt64(v[3]);
	if (!NumericInt128(v[4], &summary->totals.sum) ||
		!NumericInt128(v[5], &summary->totals.sumsq))
		return false;
	if (summary->totals.n < 0 || summary->totals.failed < 0 ||
		summary->totals.failed > summary->totals.n)
		return false;
	if (summary->totals.n > 0)
	{
		for (int i = 6; i <= 9; i++)
			if (isnull[i])
				return false;
		summary->lo.us = DatumGetInt64(v[6]);
		summary->lo.id = DatumGetInt64(v[7]);
		summary->hi.us = DatumGetInt64(v[8]);
		summary->hi.id = DatumGetInt64(v[9]);
		summary->totals.median_lo = summary->lo.us;
		summary->totals.median_hi = summary->hi.us;
	}
	return true;
}

/*
 * SummaryTableUsable
 *		Whether a relation has the columns of analytics.page_history_summary, in
 *		order, and a primary key.
 */
static bool
SummaryTableUsable(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);

	if (desc->natts < (int) SUMMARY_COLUMNS ||
		!OidIsValid(RelationGetPrimaryKeyIndex(rel)))
		return false;
	for (int i = 0; i < (int) SUMMARY_COLUMNS; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || att->atttypid != summary_columns[i].type ||
			strcmp(NameStr(att->attname), summary_columns[i].name) != 0)
			return false;
	}
	return true;
}

/*
 * FindSummaryRow
 *		The page's summary row as the snapshot sees it, found through the
 *		summary's primary key, into slot (a slot of the table); false when
 *		there is none.
 */
static bool
FindSummaryRow(Relation rel, Relation key, Snapshot snapshot, int64 page,
			   TupleTableSlot *slot)
{
	IndexScanDesc scan;
	ScanKeyData skey;
	bool		found;

	ScanKeyInit(&skey, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(page));
	scan = index_beginscan(rel, key, snapshot, 1, 0);
	index_rescan(scan, &skey, 1, NULL, 0);
	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	index_endscan(scan);
	return found;
}

/*
 * SummaryFromSlot
 *		SummaryFromValues of the summary row in slot.
 */
static bool
SummaryFromSlot(TupleTableSlot *slot, Summary *summary)
{
	slot_getsomeattrs(slot, SUMMARY_COLUMNS);
	return SummaryFromValues(slot->tts_values, slot->tts_isnull, summary);
}

/*
 * ReadSummary
 *		The page's summary row as read with the snapshot through the
 *		summary's primary key; false when there is none.
 */
static bool
ReadSummary(Relation rel, Relation key, Snapshot snapshot, int64 page, Summary *summary)
{
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	bool		found = FindSummaryRow(rel, key, snapshot, page, slot) &&
		SummaryFromSlot(slot, summary);

	ExecDropSingleTupleTableSlot(slot);
	return found;
}

/*
 * HistoryIndexUsable
 *		Whether an index of app.noteflow_run is noteflow_run_page_history_idx
 *		as extract/schema.sql makes it: keys (notebook_page_id, finished_at,
 *		started_at, id), status included.
 */
static bool
HistoryIndexUsable(Relation runs, Relation index)
{
	static const char *const names[] = {APP_RUN_PAGE, APP_RUN_FINISHED_AT, APP_RUN_STARTED_AT,
	APP_RUN_ID, APP_RUN_STATUS};

	if (index->rd_index->indnkeyatts != 4 || index->rd_index->indnatts != 5)
		return false;
	for (int i = 0; i < 5; i++)
	{
		AttrNumber	attno = attnameAttNum(runs, names[i], false);

		if (attno == InvalidAttrNumber || index->rd_index->indkey.values[i] != attno)
			return false;
	}
	return index->rd_opcintype[1] == TIMESTAMPTZOID;
}

/*
 * ReadTail
 *		The page's runs with an outcome that finished at or after as_of and
 *		that the as-of rule leaves out of the history of a run starting at
 *		as_of, into *tail (sorted by key), at most max of them; -1 when
 *		there are more.
 */
static int
ReadTail(Relation runs, Relation index, RegProcedure ge, Snapshot snapshot, int64 page,
		 TimestampTz as_of, int max, RunKey **tail, bool **tail_failed)
{
	ScanKeyData skeys[2];
	IndexWalk	walk;
	const Datum *v = walk.values;
	const bool *isnull = walk.isnull;
	int			n = 0;
	int			cap = 8;
	RunKey	   *keys = palloc(cap * sizeof(RunKey));
	bool	   *failed = palloc(cap * sizeof(bool));

	ScanKeyInit(&skeys[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(page));
	ScanKeyInit(&skeys[1], 2, BTGreaterEqualStrategyNumber, ge, TimestampTzGetDatum(as_of));
	IndexWalkBegin(&walk, runs, index, snapshot, skeys, 2, ForwardScanDirection, true);
	while (IndexWalkNext(&walk))
	{
		TimestampTz finished_at;
		TimestampTz started_at;
		int64		us;

		if (isnull[1] || isnull[2] || isnull[3] || isnull[4] || !AppStatusIsOutcome(v[4]))
			continue;
		finished_at = DatumGetTimestampTz(v[1]);
		started_at = DatumGetTimestampTz(v[2]);
		if (!RunMicros(finished_at, started_at, &us))
			continue;
		/* the as-of rule keeps it: it is in the history */
		if (finished_at <= as_of && started_at < as_of)
			continue;
		if (n == max)
		{
			n = -1;
			break;
		}
		if (n == cap)
		{
			cap *= 2;
			keys = repalloc(keys, cap * sizeof(RunKey));
			failed = repalloc(failed, cap * sizeof(bool));
		}
		keys[n].us = us;
		keys[n].id = DatumGetInt64(v[3]);
		failed[n] = AppStatusIsFailure(v[4]);
		n++;
	}
	IndexWalkEnd(&walk);
	*tail = keys;
	*tail_failed = failed;
	return n;
}

static int
KeyCmpQsort(const void *a, const void *b)
{
	return KeyCmp(a, b);
}

/*
 * What HistoryFromSummary reads, checked: the summary and its primary key,
 * the runs' duration and history indexes, and the >= of the history
 * index's second column.  A lookup is kept for the session (resolved.h).
 */
typedef struct SummaryLookup
{
	uint64		stamp;			/* 0: none kept */
	Oid			runs;
	Oid			summary;
	Oid			summary_key;
	Oid			duration_index;
	Oid			history_index;
	RegProcedure ge;
} SummaryLookup;

static SummaryLookup kept_lookup;

/* The relations of a lookup, opened with AccessShareLock */
typedef struct SummaryReads
{
	Relation	summary;
	Relation	summary_key;
	Relation	duration_index;
	Relation	history_index;
	RegProcedure ge;
} SummaryReads;

/*
 * CloseSummaryReads
 *		Closes what OpenSummaryReads opened (the relations not NULL).
 */
static void
CloseSummaryReads(SummaryReads *r)
{
	if (r->history_index != NULL)
		index_close(r->history_index, AccessShareLock);
	if (r->duration_index != NULL)
		index_close(r->duration_index, AccessShareLock);
	if (r->summary_key != NULL)
		index_close(r->summary_key, AccessShareLock);
	if (r->summary != NULL)
		table_close(r->summary, AccessShareLock);
}

/*
 * LookUpSummaryReads
 *		Looks up and opens what the reads use, by name; false when one is
 *		missing or unusable, or the user may not read the summary.
 */
static bool
LookUpSummaryReads(Relation runs, SummaryReads *r)
{
	Oid			relid = get_relname_relid(SUMMARY_TABLE, get_namespace_oid(SUMMARY_SCHEMA, true));
	Oid			history_indexid;
	Oid			ge;

	memset(r, 0, sizeof(*r));
	if (!OidIsValid(relid) || !ResolvedRights(relid, ACL_SELECT))
		return false;
	r->summary = table_open(relid, AccessShareLock);
	if (!SummaryTableUsable(r->summary))
		return false;
	r->summary_key = index_open(RelationGetPrimaryKeyIndex(r->summary), AccessShareLock);
	r->duration_index = OpenRunsIndex(runs, DURATION_INDEX);
	if (r->duration_index == NULL)
		return false;
	history_indexid = get_relname_relid(HISTORY_INDEX, RelationGetNamespace(runs));
	if (!OidIsValid(history_indexid))
		return false;
	r->history_index = index_open(history_indexid, AccessShareLock);
	if (!HistoryIndexUsable(runs, r->history_index))
		return false;
	ge = get_opfamily_member(r->history_index->rd_opfamily[1], TIMESTAMPTZOID,
							 TIMESTAMPTZOID, BTGreaterEqualStrategyNumber);
	if (!OidIsValid(ge))
		return false;
	r->ge = get_opcode(ge);
	return true;
}

/*
 * OpenSummaryReads
 *		Opens what the reads use: the relations of the kept lookup while it
 *		is valid for the runs table, else those looked up again (and kept);
 *		false when LookUpSummaryReads finds them unusable.
 */
static bool
OpenSummaryReads(Relation runs, SummaryReads *r)
{
	SummaryLookup *k = &kept_lookup;
	uint64		stamp;

	if (k->runs == RelationGetRelid(runs) &&
		ResolvedLock(k->summary, AccessShareLock, k->stamp))
	{
		if (!ResolvedRights(k->summary, ACL_SELECT))
		{
			UnlockRelationOid(k->summary, AccessShareLock);
			return false;
		}
		r->summary = relation_open(k->summary, NoLock);
		r->summary_key = index_open(k->summary_key, AccessShareLock);
		r->duration_index = index_open(k->duration_index, AccessShareLock);
		r->history_index = index_open(k->history_index, AccessShareLock);
		r->ge = k->ge;
		return true;
	}

	stamp = ResolvedStamp();
	if (!LookUpSummaryReads(runs, r))
	{
		CloseSummaryReads(r);
		return false;
	}
	k->stamp = stamp;
	k->runs = RelationGetRelid(runs);
	k->summary = RelationGetRelid(r->summary);
	k->summary_key = RelationGetRelid(r->summary_key);
	k->duration_index = RelationGetRelid(r->duration_index);
	k->history_index = RelationGetRelid(r->history_index);
	k->ge = r->ge;
	ResolvedWatch(k->runs);
	ResolvedWatch(k->summary);
	ResolvedWatch(k->summary_key);
	ResolvedWatch(k->duration_index);
	ResolvedWatch(k->history_index);
	return true;
}

/*
 * HistoryFromSummary
 *		See summary.h.
 */
bool
HistoryFromSummary(Relation runs, Snapshot snapshot, int64 page,
				   TimestampTz as_of, HistoryTotals *totals)
{
	Summary		summary;
	SummaryReads r;
	RunKey	   *tail;
	bool	   *tail_failed;
	int			ntail;
	bool		ok = true;

	if (!OpenSummaryReads(runs, &r))
		return false;
	if (!ReadSummary(r.summary, r.summary_key, snapshot, page, &summary) || !summary.complete)
	{
		CloseSummaryReads(&r);
		return false;
	}

	/* beyond half the history, reading it all costs less */
	ntail = ReadTail(runs, r.history_index, r.ge, snapshot, page, as_of,
					 (int) Min(summary.totals.n / 2 + 1, 100000), &tail, &tail_failed);
	*totals = summary.totals;
	if (ntail < 0)
		ok = false;
	else if (ntail > 0)
	{
		int64		before;
		int64		m;
		RunKey		k1;
		RunKey		k2;

		for (int i = 0; i < ntail; i++)
			HistoryTotalsAdd(totals, tail[i].us, tail_failed[i], -1);
		qsort(tail, ntail, sizeof(RunKey), KeyCmpQsort);
		m = totals->n;
		if (m < 0)
			ok = false;
		else if (m > 0)
		{
			/* the runs of the history below the summary's lower middle */
			before = (summary.totals.n + 1) / 2 - 1;
			for (int i = 0; i < ntail && KeyCmp(&tail[i], &summary.lo) < 0; i++)
				before--;
			ok = FindRanks(runs, r.duration_index, snapshot, page, summary.lo, before,
						   tail, ntail, (m + 1) / 2, m / 2 + 1, &k1, &k2);
			totals->median_lo = k1.us;
			totals->median_hi = k2.us;
		}
	}
	CloseSummaryReads(&r);
	return ok;
}

/*
 * Statements of the summary's upkeep, prepared once per session.  Keep in
 * sync with extract/features.sql: analytics.page_history_summary.
 */
enum
{
	PLAN_LOCK, PLAN_CREATE, PLAN_SET, PLAN_EMPTY_ALL, PLAN_DELETE_PAGE,
	PLAN_DELETE_ALL, PLAN_RESET_PAGE, PLAN_START_REBUILD, NUM_PLANS
};

static const struct
{
	const char *sql;
	int			nargs;
	Oid			argtypes[10];
}			plan_defs[NUM_PLANS] = {
	[PLAN_LOCK] = {
		"SELECT complete, runs, failed_runs, sum_us, sum_squares_us, median_low_us,"
		" median_low_run, median_high_us, median_high_run"
		" FROM analytics.page_history_summary WHERE page_id OPERATOR(pg_catalog.=) $1 FOR UPDATE",
	1, {INT8OID}},
	[PLAN_CREATE] = {
		"INSERT INTO analytics.page_history_summary (page_id, complete) VALUES ($1, false)"
		" ON CONFLICT (page_id) DO NOTHING",
	1, {INT8OID}},
	[PLAN_SET] = {
		"UPDATE analytics.page_history_summary SET complete = $2, runs = $3, failed_runs = $4,"
		" sum_us = $5::pg_catalog.numeric, sum_squares_us = $6::pg_catalog.numeric,"
		" median_low_us = $7, median_low_run = $8, median_high_us = $9, median_high_run = $10"
		" WHERE page_id OPERATOR(pg_catalog.=) $1",
	10, {INT8OID, BOOLOID, INT8OID, INT8OID, TEXTOID, TEXTOID, INT8OID, INT8OID, INT8OID, INT8OID}},
	[PLAN_EMPTY_ALL] = {
		"UPDATE analytics.page_history_summary SET complete = true, runs = 0, failed_runs = 0,"
		" sum_us = 0, sum_squares_us = 0, median_low_us = NULL, median_low_run = NULL,"
		" median_high_us = NULL, median_high_run = NULL",
	0, {0}},
	[PLAN_DELETE_PAGE] = {
		"DELETE FROM analytics.page_history_summary WHERE page_id OPERATOR(pg_catalog.=) $1",
	1, {INT8OID}},
	[PLAN_DELETE_ALL] = {
		"DELETE FROM analytics.page_history_summary",
	0, {0}},
	[PLAN_RESET_PAGE] = {
		"INSERT INTO analytics.page_history_summary (page_id, complete, runs, failed_runs, sum_us, sum_squares_us)"
		" VALUES ($1, true, 0, 0, 0, 0)"
		" ON CONFLICT (page_id) DO UPDATE SET complete = true, runs = 0, failed_runs = 0,"
		" sum_us = 0, sum_squares_us = 0, median_low_us = NULL, median_low_run = NULL,"
		" median_high_us = NULL, median_high_run = NULL",
	1, {INT8OID}},
	[PLAN_START_REBUILD] = {
		"INSERT INTO analytics.page_history_summary (page_id, complete) VALUES ($1, false)"
		" ON CONFLICT (page_id) DO UPDATE SET complete = false",
	1, {INT8OID}},
};

static SPIPlanPtr plans[NUM_PLANS];

/*
 * RunPlan
 *		Runs one of the upkeep's statements (inside SPI), with the
 *		search_path of the extension's scripts; returns SPI's code.
 */
static int
RunPlan(int which, Datum *args, const char *nulls)
{
	int			rc;

	if (plans[which] == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(plan_defs[which].sql, plan_defs[which].nargs,
									   (Oid *) plan_defs[which].argtypes);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		plans[which] = plan;
	}
	rc = SPI_execute_plan(plans[which], args, nulls, false, 0);
	if (rc < 0)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	return rc;
}

/*
 * A page's summary row as LockSummaryRow locked it, without the executor:
 * its table and a copy of its latest version (tuple NULL: locked by SQL).
 */
typedef struct LockedSummary
{
	Oid			relid;
	HeapTuple	tuple;
} LockedSummary;

/*
 * WriteSummary
 *		Stores a page's summary (inside SPI): without the executor where
 *		LockSummaryRow locked the row and the table is plain (UpdateRow),
 *		else with an UPDATE.
 */
static void
WriteSummary(int64 page, const Summary *s, const LockedSummary *locked)
{
	AttrNumber	attnos[9];
	Oid			types[9];
	Datum		args[10];
	char		nulls[10];
	bool		isnull[9];
	bool		has = s->complete && s->totals.n > 0;
	char	   *sum = Int128Text(s->totals.sum);
	char	   *sumsq = Int128Text(s->totals.sumsq);

	memset(nulls, ' ', sizeof(nulls));
	args[0] = Int64GetDatum(page);
	args[1] = BoolGetDatum(s->complete);
	args[2] = Int64GetDatum(s->totals.n);
	args[3] = Int64GetDatum(s->totals.failed);
	args[6] = Int64GetDatum(s->lo.us);
	args[7] = Int64GetDatum(s->lo.id);
	args[8] = Int64GetDatum(s->hi.us);
	args[9] = Int64GetDatum(s->hi.id);
	if (!has)
		memset(nulls + 6, 'n', 4);
	if (locked != NULL && locked->tuple != NULL)
	{
		args[4] = DirectFunctionCall3(numeric_in, CStringGetDatum(sum),
									  ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
		args[5] = DirectFunctionCall3(numeric_in, CStringGetDatum(sumsq),
									  ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
		/* the columns after page_id, in order (SummaryTableUsable) */
		for (int i = 0; i < 9; i++)
		{
			attnos[i] = i + 2;
			types[i] = summary_columns[i + 1].type;
			isnull[i] = nulls[i + 1] == 'n';
		}
		if (UpdateRow(locked->relid, locked->tuple, 9, attnos, types, args + 1, isnull))
		{
			/* what follows in this transaction sees it, as after SPI */
			CommandCounterIncrement();
			return;
		}
	}
	args[4] = CStringGetTextDatum(sum);
	args[5] = CStringGetTextDatum(sumsq);
	RunPlan(PLAN_SET, args, nulls);
}

/* What LockSummaryRow did */
typedef enum SummaryLock
{
	SUMMARY_LOCKED,				/* the row is locked and read */
	SUMMARY_NO_ROW,				/* the page has no row */
	SUMMARY_USE_SQL				/* the table needs the executor's SELECT */
} SummaryLock;

/*
 * LockSummaryRow
 *		Locks the page's summary row as SELECT ... FOR UPDATE would, without
 *		the executor: found through the primary key with a new snapshot
 *		(after CommandCounterIncrement, as SPI takes one), then locked; in
 *		READ COMMITTED its latest version, as the executor's recheck finds
 *		it, and under a transaction snapshot a concurrent update or delete
 *		is a serialization failure (40001), as there.  *usable: whether the
 *		row read is a usable summary; *locked: its table and a copy of the
 *		version locked, for WriteSummary.  SUMMARY_USE_SQL where the table
 *		needs more (row-level security, a layout or rights it lacks, Citus).
 */
static SummaryLock
LockSummaryRow(int64 page, Summary *summary, bool *usable, LockedSummary *locked)
{
	Oid			relid = get_relname_relid(SUMMARY_TABLE, get_namespace_oid(SUMMARY_SCHEMA, true));
	Relation	rel;
	Relation	key;
	Snapshot	snapshot;
	TupleTableSlot *slot;
	ItemPointerData tid;
	SummaryLock result = SUMMARY_NO_ROW;

	/* on a Citus node the table may be a distributed table's shell */
	if (!OidIsValid(relid) || CitusPresent() || !ResolvedRights(relid, ACL_SELECT) ||
		!ResolvedRights(relid, ACL_UPDATE))
		return SUMMARY_USE_SQL;
	rel = table_open(relid, RowExclusiveLock);
	if (rel->rd_rel->relkind != RELKIND_RELATION || rel->rd_rel->relrowsecurity ||
		!SummaryTableUsable(rel))
	{
		table_close(rel, NoLock);
		return SUMMARY_USE_SQL;
	}
	key = index_open(RelationGetPrimaryKeyIndex(rel), AccessShareLock);
	CommandCounterIncrement();
	snapshot = RegisterSnapshot(GetTransactionSnapshot());
	slot = table_slot_create(rel, NULL);
	if (FindSummaryRow(rel, key, snapshot, page, slot))
	{
		TM_FailureData tmfd;
		bool		xact_snapshot = IsolationUsesXactSnapshot();

		tid = slot->tts_tid;
		switch (table_tuple_lock(rel, &tid, snapshot, slot, GetCurrentCommandId(false),
								 LockTupleExclusive, LockWaitBlock,
								 xact_snapshot ? 0 : TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &tmfd))
		{
			case TM_Ok:
				*usable = SummaryFromSlot(slot, summary);
				locked->relid = relid;
				locked->tuple = ExecCopySlotHeapTuple(slot);
				locked->tuple->t_self = slot->tts_tid;
				result = SUMMARY_LOCKED;
				break;
			case TM_Deleted:
				if (xact_snapshot)
					ereport(ERROR,
							(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
							 errmsg("could not serialize access due to concurrent delete")));
				break;			/* gone since the snapshot: no row */
			case TM_Updated:
				ereport(ERROR,
						(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
						 errmsg("could not serialize access due to concurrent update")));
				break;
			default:
				elog(ERROR, "unexpected result locking the history summary of page " INT64_FORMAT,
					 page);
		}
	}
	ExecDropSingleTupleTableSlot(slot);
	UnregisterSnapshot(snapshot);
	index_close(key, NoLock);
	table_close(rel, NoLock);
	return result;
}

/*
 * LockSummary
 *		Locks the page's summary row, creating it (incomplete) when there is
 *		none, and reads it as it is now (inside SPI): LockSummaryRow (which
 *		fills *locked), else SELECT ... FOR UPDATE.  False when the row is
 *		unusable.
 */
static bool
LockSummary(int64 page, Summary *summary, LockedSummary *locked)
{
	Datum		arg = Int64GetDatum(page);

	locked->tuple = NULL;
	for (int attempt = 0;; attempt++)
	{
		bool		usable = false;

		switch (LockSummaryRow(page, summary, &usable, locked))
		{
			case SUMMARY_LOCKED:
				return usable;
			case SUMMARY_NO_ROW:
				break;
			case SUMMARY_USE_SQL:
				RunPlan(PLAN_LOCK, &arg, NULL);
				if (SPI_processed == 1)
				{
					Datum		v[SUMMARY_COLUMNS];
					bool		isnull[SUMMARY_COLUMNS];

					v[0] = arg;
					isnull[0] = false;
					for (int i = 1; i < (int) SUMMARY_COLUMNS; i++)
						v[i] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i,
											 &isnull[i]);
					return SummaryFromValues(v, isnull, summary);
				}
				break;
		}
		if (attempt > 0)
			elog(ERROR, "could not lock the history summary of page " INT64_FORMAT, page);
		RunPlan(PLAN_CREATE, &arg, NULL);
	}
}

/*
 * LatestSnapshot
 *		A snapshot that sees every change committed to the page before its
 *		summary was locked, and this transaction's own.
 */
static Snapshot
LatestSnapshot(void)
{
	CommandCounterIncrement();
	return RegisterSnapshot(GetLatestSnapshot());
}

/*
 * ApplyChanges
 *		Applies the changes of one page (changes[0..n-1], sorted by key
 *		within each sign) to its summary, when it is complete (inside SPI).
 */
static void
ApplyChanges(Relation runs, int64 page, const Change *changes, int n)
{
	Summary		old;
	Summary		new;
	LockedSummary locked;
	Relation	index;
	Snapshot	snapshot;
	int64		before;

	if (!LockSummary(page, &old, &locked) || !old.complete)
		return;
	new = old;
	for (int i = 0; i < n; i++)
		HistoryTotalsAdd(&new.totals, changes[i].key.us, changes[i].failed, changes[i].sign);
	if (new.totals.n < 0 || new.totals.failed < 0 || new.totals.failed > new.totals.n)
	{
		/* the summary did not match the runs: leave it to a rebuild */
		ereport(WARNING,
				(errmsg("durpred: the history summary of page " INT64_FORMAT " does not match its runs", page),
				 errhint("Run analytics.rebuild_page_history().")));
		new.complete = false;
		WriteSummary(page, &new, &locked);
		return;
	}
	if (new.totals.n > 0)
	{
		RunKey		start = old.lo;

		if (old.totals.n == 0)
		{
			start.us = PG_INT64_MIN;
			start.id = PG_INT64_MIN;
			before = 0;
		}
		else
		{
			before = (old.totals.n + 1) / 2 - 1;
			for (int i = 0; i < n; i++)
				if (KeyCmp(&changes[i].key, &old.lo) < 0)
					before += changes[i].sign;
		}
		index = OpenRunsIndex(runs, DURATION_INDEX);
		if (index == NULL)
		{
			/* the write goes on: the page's history is read in full */
			ereport(WARNING,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("durpred: index \"%s\" of the history summary is missing or unusable", DURATION_INDEX),
					 errhint("Run extract/features.sql again.")));
			new.complete = false;
			WriteSummary(page, &new, &locked);
			return;
		}
		snapshot = LatestSnapshot();
		if (!FindRanks(runs, index, snapshot, page, start, before, NULL, 0,
					   (new.totals.n + 1) / 2, new.totals.n / 2 + 1, &new.lo, &new.hi))
		{
			ereport(WARNING,
					(errmsg("durpred: the history summary of page " INT64_FORMAT " does not match its runs", page),
					 errhint("Run analytics.rebuild_page_history().")));
			new.complete = false;
		}
		UnregisterSnapshot(snapshot);
		index_close(index, AccessShareLock);
	}
	WriteSummary(page, &new, &locked);
}

static int
ChangeCmp(const void *a, const void *b)
{
	const Change *x = a;
	const Change *y = b;
	int			c;

	if (x->page != y->page)
		return x->page < y->page ? -1 : 1;
	if (x->key.id != y->key.id)
		return x->key.id < y->key.id ? -1 : 1;
	c = KeyCmp(&x->key, &y->key);
	if (c != 0)
		return c;
	if (x->failed != y->failed)
		return x->failed ? 1 : -1;
	return x->sign - y->sign;
}

/*
 * CollectChanges
 *		The runs with an outcome of a transition table, as changes of sign.
 */
static void
CollectChanges(Relation runs, Tuplestorestate *table, int sign,
			   Change **changes, int *n, int *cap)
{
	TupleTableSlot *slot;
	AttrNumber	id = attnameAttNum(runs, APP_RUN_ID, false);
	AttrNumber	page = attnameAttNum(runs, APP_RUN_PAGE, false);
	AttrNumber	status = attnameAttNum(runs, APP_RUN_STATUS, false);
	AttrNumber	started = attnameAttNum(runs, APP_RUN_STARTED_AT, false);
	AttrNumber	finished = attnameAttNum(runs, APP_RUN_FINISHED_AT, false);

	if (table == NULL)
		return;
	slot = MakeSingleTupleTableSlot(RelationGetDescr(runs), &TTSOpsMinimalTuple);
	tuplestore_rescan(table);
	while (tuplestore_gettupleslot(table, true, false, slot))
	{
		bool		isnull[5];
		Datum		v[5];
		int64		us;

		v[0] = slot_getattr(slot, id, &isnull[0]);
		v[1] = slot_getattr(slot, page, &isnull[1]);
		v[2] = slot_getattr(slot, status, &isnull[2]);
		v[3] = slot_getattr(slot, started, &isnull[3]);
		v[4] = slot_getattr(slot, finished, &isnull[4]);
		if (isnull[0] || isnull[1] || isnull[2] || isnull[3] || isnull[4] ||
			!AppStatusIsOutcome(v[2]) ||
			!RunMicros(DatumGetTimestampTz(v[4]), DatumGetTimestampTz(v[3]), &us))
			continue;
		if (*n == *cap)
		{
			*cap *= 2;
			*changes = repalloc_huge(*changes, *cap * sizeof(Change));
		}
		(*changes)[*n].page = DatumGetInt64(v[1]);
		(*changes)[*n].key.us = us;
		(*changes)[*n].key.id = DatumGetInt64(v[0]);
		(*changes)[*n].failed = AppStatusIsFailure(v[2]);
		(*changes)[*n].sign = sign;
		(*n)++;
	}
	ExecDropSingleTupleTableSlot(slot);
}

/*
 * MaintainRuns
 *		The upkeep after a statement on app.noteflow_run.
 */
static void
MaintainRuns(TriggerData *td)
{
	Relation	runs = td->tg_relation;
	TriggerEvent event = td->tg_event;
	int			cap = 64;
	int			n = 0;
	int			kept = 0;
	Change	   *changes;

	if (TRIGGER_FIRED_BY_TRUNCATE(event))
	{
		RunPlan(PLAN_EMPTY_ALL, NULL, NULL);
		return;
	}
	changes = palloc(cap * sizeof(Change));
	CollectChanges(runs, td->tg_oldtable, -1, &changes, &n, &cap);
	CollectChanges(runs, td->tg_newtable, 1, &changes, &n, &cap);
	if (n == 0)
		return;

	/* a run that an UPDATE left as it was is no change */
	qsort(changes, n, sizeof(Change), ChangeCmp);
	for (int i = 0; i < n; i++)
	{
		if (i + 1 < n && changes[i].sign == -1 && changes[i + 1].sign == 1 &&
			changes[i].page == changes[i + 1].page &&
			KeyCmp(&changes[i].key, &changes[i + 1].key) == 0 &&
			changes[i].failed == changes[i + 1].failed)
		{
			i++;
			continue;
		}
		changes[kept++] = changes[i];
	}

	/* page by page, in page order, so that writers lock them in one order */
	for (int i = 0; i < kept;)
	{
		int			j = i;

		while (j < kept && changes[j].page == changes[i].page)
			j++;
		ApplyChanges(runs, changes[i].page, changes + i, j - i);
		i = j;
	}
}

/*
 * MaintainPages
 *		The upkeep after a statement on app.notebook_page: a new page has an
 *		empty, complete summary (it cannot have runs yet); a deleted page
 *		has none.
 */
static void
MaintainPages(TriggerData *td)
{
	Relation	pages = td->tg_relation;
	TriggerEvent event = td->tg_event;
	Tuplestorestate *table;
	TupleTableSlot *slot;
	AttrNumber	id = attnameAttNum(pages, APP_PAGE_ID, false);

	if (TRIGGER_FIRED_BY_TRUNCATE(event))
	{
		RunPlan(PLAN_DELETE_ALL, NULL, NULL);
		return;
	}
	table = TRIGGER_FIRED_BY_DELETE(event) ? td->tg_oldtable : td->tg_newtable;
	if (table == NULL || id == InvalidAttrNumber)
		return;
	slot = MakeSingleTupleTableSlot(RelationGetDescr(pages), &TTSOpsMinimalTuple);
	tuplestore_rescan(table);
	while (tuplestore_gettupleslot(table, true, false, slot))
	{
		bool		isnull;
		Datum		page = slot_getattr(slot, id, &isnull);

		if (!isnull)
			RunPlan(TRIGGER_FIRED_BY_DELETE(event) ? PLAN_DELETE_PAGE : PLAN_RESET_PAGE,
					&page, NULL);
	}
	ExecDropSingleTupleTableSlot(slot);
}

/*
 * durpred_page_history_maintain
 *		The trigger function of the summary's upkeep: AFTER ... FOR EACH
 *		STATEMENT on app.noteflow_run (argument 'runs': INSERT, UPDATE and
 *		DELETE with transition tables, TRUNCATE) and app.notebook_page
 *		(argument 'pages').  It writes the summary as the owner of the table
 *		it fires on, so that writers need no rights on it.
 */
Datum
durpred_page_history_maintain(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Oid			save_userid;
	int			save_sec_context;
	bool		is_runs;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("durpred.page_history_maintain() was not called by the trigger manager")));
	if (!TRIGGER_FIRED_AFTER(td->tg_event) || !TRIGGER_FIRED_FOR_STATEMENT(td->tg_event) ||
		td->tg_trigger->tgnargs != 1 ||
		!(strcmp(td->tg_trigger->tgargs[0], "runs") == 0 ||
		  strcmp(td->tg_trigger->tgargs[0], "pages") == 0))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("durpred.page_history_maintain() must be fired AFTER ... FOR EACH STATEMENT with the argument 'runs' or 'pages'"),
				 errdetail("Trigger \"%s\" on table \"%s\" is defined otherwise.",
						   td->tg_trigger->tgname, RelationGetRelationName(td->tg_relation))));
	is_runs = strcmp(td->tg_trigger->tgargs[0], "runs") == 0;

	/* without the summary there is nothing to keep: reads take the runs */
	if (!OidIsValid(get_relname_relid(SUMMARY_TABLE, get_namespace_oid(SUMMARY_SCHEMA, true))))
		return PointerGetDatum(NULL);

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(td->tg_relation->rd_rel->relowner,
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	SPI_connect();
	if (is_runs)
		MaintainRuns(td);
	else
		MaintainPages(td);
	SPI_finish();
	SetUserIdAndSecContext(save_userid, save_sec_context);
	return PointerGetDatum(NULL);
}

/*
 * durpred_page_history_rebuild
 *		durpred.page_history_rebuild(page_id bigint): computes the page's
 *		summary from its runs and marks it complete; returns the number of
 *		runs it counts.  It locks the summary's row first (waiting for the
 *		writers of the page's runs), then reads the runs with a snapshot
 *		taken after the lock, so that no committed change is missed; a
 *		writer that changes the page's runs later applies its change to the
 *		rebuilt summary.
 */
Datum
durpred_page_history_rebuild(PG_FUNCTION_ARGS)
{
	int64		page = PG_GETARG_INT64(0);
	Datum		arg = Int64GetDatum(page);
	Oid			runsid;
	Relation	runs;
	Relation	index;
	Snapshot	snapshot;
	DurationScan ds;
	RunKey		key;
	RunKey	   *keys;
	int64		cap = 64;
	Summary		s;

	memset(&s, 0, sizeof(s));
	runsid = RangeVarGetRelid(makeRangeVar(APP_SCHEMA, APP_RUN_TABLE, -1), AccessShareLock, false);
	runs = table_open(runsid, NoLock);
	index = OpenRunsIndex(runs, DURATION_INDEX);
	if (index == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("index \"%s\" of the history summary is missing or unusable", DURATION_INDEX),
				 errhint("Run extract/features.sql again.")));

	SPI_connect();
	RunPlan(PLAN_START_REBUILD, &arg, NULL);
	snapshot = LatestSnapshot();
	keys = palloc(cap * sizeof(RunKey));
	key.us = PG_INT64_MIN;
	key.id = PG_INT64_MIN;
	DurationScanBegin(&ds, runs, index, snapshot, page, key, ForwardScanDirection);
	while (DurationScanNext(&ds, &key))
	{
		if (s.totals.n == cap)
		{
			cap *= 2;
			keys = repalloc_huge(keys, cap * sizeof(RunKey));
		}
		keys[s.totals.n] = key;
		HistoryTotalsAdd(&s.totals, key.us, ds.failed, 1);
	}
	DurationScanEnd(&ds);
	UnregisterSnapshot(snapshot);
	if (s.totals.n > 0)
	{
		s.lo = keys[(s.totals.n + 1) / 2 - 1];
		s.hi = keys[s.totals.n / 2];
	}
	s.complete = true;
	WriteSummary(page, &s, NULL);
	SPI_finish();
	index_close(index, AccessShareLock);
	table_close(runs, NoLock);
	PG_RETURN_INT64(s.totals.n);
}
