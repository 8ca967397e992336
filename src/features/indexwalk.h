/*-------------------------------------------------------------------------
 *
 * src/features/indexwalk.h
 *		A walk over an index scan that returns the rows visible to a
 *		snapshot, for the direct reads of the serving path (pagefeatures.c,
 *		summary.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_FEATURES_INDEXWALK_H
#define DURPRED_FEATURES_INDEXWALK_H

#include "access/genam.h"
#include "access/relscan.h"
#include "access/sdir.h"
#include "access/skey.h"
#include "access/visibilitymap.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "storage/buf.h"
#include "storage/predicate.h"
#include "utils/rel.h"
#include "utils/snapshot.h"

/*
 * A walk: the scan, where its values come from, and the current row's
 * values.  from_index: the values are the index tuple's, by index column
 * (values[] and isnull[], from 0), as in an index-only scan; else they are
 * the heap tuple's, by attribute number (IndexWalkHeapValue), as in an
 * index scan.  The values last until the next IndexWalkNext.
 */
typedef struct IndexWalk
{
	Relation	heap;
	IndexScanDesc scan;
	Snapshot	snapshot;
	ScanDirection dir;
	bool		from_index;
	Buffer		vmbuffer;		/* the visibility map page last read */
	TupleTableSlot *slot;		/* the heap tuple last fetched */
	Datum		values[INDEX_MAX_KEYS]; /* from_index: the row's index columns */
	bool		isnull[INDEX_MAX_KEYS];
} IndexWalk;

/*
 * Starts a walk of index (on heap) with the scan keys keys[0..nkeys-1] in
 * the direction dir, reading with the snapshot.
 */
extern void IndexWalkBegin(IndexWalk *walk, Relation heap, Relation index, Snapshot snapshot,
						   ScanKey keys, int nkeys, ScanDirection dir, bool from_index);

/*
 * IndexWalkNext
 *		The next row visible to the snapshot; false at the end of the scan.
 *		PostgreSQL 15's IndexOnlyNext loop (indexwalk.c says how); inline,
 *		since it runs once per index entry.
 */
static inline bool
IndexWalkNext(IndexWalk *walk)
{
	ItemPointer tid;

	while ((tid = index_getnext_tid(walk->scan, walk->dir)) != NULL)
	{
		/* a page's history can be long: a cancel stops it, as the executor would */
		CHECK_FOR_INTERRUPTS();
		if (!walk->from_index)
		{
			if (!index_fetch_heap(walk->scan, walk->slot))
				continue;		/* no version visible to the snapshot */
			return true;
		}
		if (VM_ALL_VISIBLE(walk->heap, ItemPointerGetBlockNumber(tid), &walk->vmbuffer))
		{
			/* no heap access: lock the page as the heap fetch would */
			PredicateLockPage(walk->heap, ItemPointerGetBlockNumber(tid), walk->snapshot);
		}
		else if (!index_fetch_heap(walk->scan, walk->slot))
			continue;			/* no version visible to the snapshot */
		index_deform_tuple(walk->scan->xs_itup, walk->scan->xs_itupdesc,
						   walk->values, walk->isnull);
		return true;
	}
	return false;
}

/* The current row's attribute attno, of a walk without from_index. */
static inline Datum
IndexWalkHeapValue(IndexWalk *walk, AttrNumber attno, bool *isnull)
{
	return slot_getattr(walk->slot, attno, isnull);
}

/* Ends the walk: the scan, the visibility map page's pin, the slot. */
extern void IndexWalkEnd(IndexWalk *walk);

#endif							/* DURPRED_FEATURES_INDEXWALK_H */
