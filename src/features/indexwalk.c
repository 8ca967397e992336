/*-------------------------------------------------------------------------
 *
 * src/features/indexwalk.c
 *		The one walk over an index scan of the direct reads: the rows of a
 *		btree scan that are visible to a snapshot, their values from the
 *		index tuple or from the heap tuple.
 *
 * The serving path reads app.noteflow_run and its neighbours through their
 * indexes without the executor: the keyed reads of durpred.page_features
 * (pagefeatures.c: NextKeyed), the duration index scans of the history
 * summary and the tail of a page's history (summary.c: DurationScanNext,
 * ReadTail).  Each walks its scan here.
 *
 * This mirrors PostgreSQL 15's IndexOnlyNext
 * (src/backend/executor/nodeIndexonlyscan.c), checked against upstream's
 * source of PostgreSQL 14 and of the current master, between which the loop
 * did not change: for each TID of the scan, CHECK_FOR_INTERRUPTS; where the
 * visibility map says the heap page is all visible, the index tuple is the
 * row, and the page gets the predicate lock that the heap fetch would have
 * taken (at page level, as upstream does); else index_fetch_heap checks the
 * row's visibility (and takes the tuple's predicate lock), skipping an
 * index entry without a visible version.  The values come from the index
 * tuple either way ("in any case, we'll use the index tuple not the heap
 * tuple as the data source", upstream says): a heap tuple that a HOT chain
 * reaches has the index tuple's values in every indexed column.  What
 * upstream does and this does not need: a recheck of lossy quals and
 * xs_hitup (btree returns neither), the error for a HOT chain under a
 * non-MVCC snapshot (the reads use the statement's MVCC snapshot),
 * instrumentation.
 *
 * A walk whose values are not all in the index (from_index false) is an
 * index scan, as nodeIndexscan.c's IndexNext does it through
 * index_getnext_slot: every row is fetched from the heap, the visibility
 * map is not read, and the values are the heap tuple's.
 *
 * IndexWalkNext, the loop, is inline in indexwalk.h: it runs once per index
 * entry (100,000 times for a page's history), and so compiles into each
 * caller, as the loops it replaces did.  This file holds the rest.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/tableam.h"
#include "storage/bufmgr.h"

#include "features/indexwalk.h"

/*
 * IndexWalkBegin
 *		See indexwalk.h.  The index tuples are asked for only where the
 *		values come from them.
 */
void
IndexWalkBegin(IndexWalk *walk, Relation heap, Relation index, Snapshot snapshot,
			   ScanKey keys, int nkeys, ScanDirection dir, bool from_index)
{
	walk->heap = heap;
	walk->snapshot = snapshot;
	walk->dir = dir;
	walk->from_index = from_index;
	walk->vmbuffer = InvalidBuffer;
	walk->slot = table_slot_create(heap, NULL);
	walk->scan = index_beginscan(heap, index, snapshot, nkeys, 0);
	walk->scan->xs_want_itup = from_index;
	index_rescan(walk->scan, keys, nkeys, NULL, 0);
}

/*
 * IndexWalkEnd
 *		See indexwalk.h.  The relations stay open, with their locks.
 */
void
IndexWalkEnd(IndexWalk *walk)
{
	index_endscan(walk->scan);
	if (walk->vmbuffer != InvalidBuffer)
		ReleaseBuffer(walk->vmbuffer);
	ExecDropSingleTupleTableSlot(walk->slot);
}
