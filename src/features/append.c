/*-------------------------------------------------------------------------
 *
 * src/features/append.c
 *		Writing a row of a plain table without the executor (append.h).
 *
 * The serving trigger logs every estimate.  Run as an INSERT, the log row
 * costs a quarter of the trigger: the statement's plan is checked, an
 * executor is set up and torn down, for one heap tuple and one index
 * entry.  For a plain heap table the row is written here as the executor
 * writes it: the columns not given get their defaults, the heap gets the
 * tuple (heap_insert: WAL, the free space map, statistics, serializable
 * conflicts) and every ready index an entry (index_insert, with the
 * uniqueness check of an immediate unique index).  Finishing a run updates
 * its page's history summary the same way (UpdateRow: simple_heap_update
 * of the version the upkeep locked, new index entries unless the update
 * is HOT).
 *
 * What the executor would do beyond that is not done here: a table with
 * any of it is left to the caller's statement (AppendRow and UpdateRow
 * return false), and so is every table on a Citus node, where Citus's
 * planner writes the rows of its tables.
 * A plan (the defaults, ready to evaluate, and the indexes) is kept for
 * the session, for a few tables, each with one set of given columns, until
 * the stamp of resolved.h moves: any DDL on the table or its indexes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/relation.h"
#include "access/xact.h"
#include "catalog/catalog.h"
#include "catalog/index.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_type_d.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteHandler.h"
#include "storage/lmgr.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "features/append.h"
#include "features/resolved.h"
#include "features/shards.h"

/* the columns a call may give */
#define MAX_GIVEN 16

/* What AppendRow keeps for a table: see the file's comment. */
typedef struct AppendPlan
{
	uint64		stamp;			/* 0: none kept */
	Oid			relid;
	bool		update;			/* for UpdateRow: no defaults */
	int			n;				/* the columns given */
	AttrNumber	attnos[MAX_GIVEN];
	Oid			types[MAX_GIVEN];
	bool		plain;			/* else the caller runs the INSERT */
	MemoryContext context;		/* what follows lives here */
	TupleDesc	desc;			/* a copy of the table's */
	ExprState **defaults;		/* by attribute; NULL: given, or NULL */
	TupleTableSlot *slot;		/* for the index entries */
	int			nindexes;		/* the ready indexes */
	Oid		   *indexes;
	IndexInfo **index_infos;
} AppendPlan;

/* the plans kept: the trigger's log and the shadow model's, and spares */
#define MAX_PLANS 4
static AppendPlan kept[MAX_PLANS];
static int	next_evicted = 0;

/*
 * PlanIndexes
 *		The table's ready indexes into the plan; false where one needs the
 *		executor (an expression, a predicate, an exclusion constraint, a
 *		deferred uniqueness check).  In the plan's context.
 */
static bool
PlanIndexes(AppendPlan *p, Relation rel)
{
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;

	p->indexes = palloc(Max(list_length(indexes), 1) * sizeof(Oid));
	p->index_infos = palloc(Max(list_length(indexes), 1) * sizeof(IndexInfo *));
	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), RowExclusiveLock);
		IndexInfo  *info = BuildIndexInfo(index);
		bool		usable = info->ii_Expressions == NIL && info->ii_Predicate == NIL &&
			info->ii_ExclusionOps == NULL &&
			(!index->rd_index->indisunique || index->rd_index->indimmediate);

		ResolvedWatch(RelationGetRelid(index));
		index_close(index, NoLock);
		if (!usable)
			return false;
		if (!info->ii_ReadyForInserts)
			continue;
		p->indexes[p->nindexes] = lfirst_oid(lc);
		p->index_infos[p->nindexes] = info;
		p->nindexes++;
	}
	return true;
}

/*
 * PlanRow
 *		Whether the table is plain for the given columns (append.h), and
 *		its defaults and indexes into the plan.  In the plan's context.
 */
static bool
PlanRow(AppendPlan *p, Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	bool		given[MaxHeapAttributeNumber + 1] = {false};

	if (rel->rd_rel->relkind != RELKIND_RELATION || rel->rd_rel->relam != HEAP_TABLE_AM_OID ||
		rel->rd_rel->relispartition || rel->rd_rel->relrowsecurity ||
		IsSystemRelation(rel) || RELATION_IS_OTHER_TEMP(rel) ||
		rel->trigdesc != NULL || rel->rd_rules != NULL ||
		(desc->constr != NULL && (desc->constr->num_check > 0 ||
								  desc->constr->has_generated_stored)))
		return false;
	for (int i = 0; i < p->n; i++)
	{
		Form_pg_attribute att;

		if (p->attnos[i] < 1 || p->attnos[i] > desc->natts)
			return false;
		att = TupleDescAttr(desc, p->attnos[i] - 1);
		if (att->attisdropped || att->atttypid != p->types[i])
			return false;
		given[p->attnos[i]] = true;
	}

	p->desc = CreateTupleDescCopyConstr(desc);	/* attnotnull too */
	p->defaults = palloc0(desc->natts * sizeof(ExprState *));
	for (int i = 0; i < desc->natts && !p->update; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		Node	   *expr;

		if (att->attisdropped || given[att->attnum])
			continue;
		if (att->attgenerated || get_typtype(att->atttypid) == TYPTYPE_DOMAIN)
			return false;
		expr = build_column_default(rel, att->attnum);
		/* a NOT NULL column left NULL: the INSERT says so */
		if (expr == NULL && att->attnotnull)
			return false;
		if (expr != NULL)
			p->defaults[i] = ExecInitExpr(expression_planner((Expr *) expr), NULL);
	}
	p->slot = MakeSingleTupleTableSlot(p->desc, &TTSOpsHeapTuple);
	return PlanIndexes(p, rel);
}

/*
 * MakePlan
 *		A new plan for the table (locked) and the given columns.
 */
static void
MakePlan(AppendPlan *p, Relation rel, bool update, int n, const AttrNumber *attnos,
		 const Oid *types)
{
	uint64		stamp = ResolvedStamp();
	MemoryContext old;

	if (p->context != NULL)
		MemoryContextDelete(p->context);
	memset(p, 0, sizeof(*p));
	p->relid = RelationGetRelid(rel);
	p->update = update;
	p->n = n;
	memcpy(p->attnos, attnos, n * sizeof(AttrNumber));
	memcpy(p->types, types, n * sizeof(Oid));
	ResolvedWatch(p->relid);
	p->context = AllocSetContextCreate(CacheMemoryContext, "durpred append",
									   ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(p->context);
	p->plain = PlanRow(p, rel);
	MemoryContextSwitchTo(old);
	/* kept only once made: a plan an error cut short is made again */
	p->stamp = stamp;
}

/* Whether the plan is for these columns. */
static bool
SameColumns(const AppendPlan *p, int n, const AttrNumber *attnos, const Oid *types)
{
	return p->n == n && memcmp(p->attnos, attnos, n * sizeof(AttrNumber)) == 0 &&
		memcmp(p->types, types, n * sizeof(Oid)) == 0;
}

/*
 * PlanFor
 *		The plan for the table and the given columns, kept or made, with
 *		the table locked with RowExclusiveLock; NULL where the table is
 *		gone (dropped since the caller looked it up: its statement says
 *		so), and on a Citus node.
 */
static AppendPlan *
PlanFor(Oid relid, bool update, int n, const AttrNumber *attnos, const Oid *types)
{
	AppendPlan *p = NULL;
	Relation	rel;

	Assert(n <= MAX_GIVEN);
	/* on a Citus node the table may be a distributed table's shell */
	if (n > MAX_GIVEN || CitusPresent())
		return NULL;
	for (int i = 0; i < MAX_PLANS && p == NULL; i++)
		if (kept[i].relid == relid && kept[i].update == update &&
			SameColumns(&kept[i], n, attnos, types))
			p = &kept[i];
	if (p == NULL)
	{
		p = &kept[next_evicted];
		next_evicted = (next_evicted + 1) % MAX_PLANS;
		p->stamp = 0;
	}
	if (ResolvedLock(relid, RowExclusiveLock, p->stamp))
		return p;
	LockRelationOid(relid, RowExclusiveLock);
	rel = try_relation_open(relid, NoLock);
	if (rel == NULL)
		return NULL;
	MakePlan(p, rel, update, n, attnos, types);
	relation_close(rel, NoLock);
	return p;
}

/*
 * InsertIndexEntries
 *		The entries of a new heap tuple in the table's ready indexes, with
 *		the uniqueness check of an immediate unique index, as the executor
 *		makes them.
 */
static void
InsertIndexEntries(AppendPlan *p, Relation rel, HeapTuple tuple)
{
	Datum		index_values[INDEX_MAX_KEYS];
	bool		index_isnull[INDEX_MAX_KEYS];

	if (p->nindexes == 0)
		return;
	ExecStoreHeapTuple(tuple, p->slot, false);
	for (int i = 0; i < p->nindexes; i++)
	{
		Relation	index = index_open(p->indexes[i], RowExclusiveLock);

		FormIndexDatum(p->index_infos[i], p->slot, NULL, index_values, index_isnull);
		index_insert(index, index_values, index_isnull, &tuple->t_self, rel,
					 index->rd_index->indisunique ? UNIQUE_CHECK_YES : UNIQUE_CHECK_NO,
					 false, p->index_infos[i]);
		index_close(index, NoLock);
	}
	ExecClearTuple(p->slot);
}

/*
 * AppendRow
 *		See append.h.
 */
bool
AppendRow(Oid relid, int n, const AttrNumber *attnos, const Oid *types,
		  const Datum *values, const bool *nulls)
{
	AppendPlan *p = PlanFor(relid, false, n, attnos, types);
	Relation	rel;
	Datum	   *row;
	bool	   *isnull;
	ExprContext *econtext = NULL;
	HeapTuple	tuple;
	bool		written = false;

	if (p == NULL || !p->plain || !ResolvedRights(relid, ACL_INSERT))
		return false;

	rel = relation_open(relid, NoLock);
	row = palloc(p->desc->natts * sizeof(Datum));
	isnull = palloc(p->desc->natts * sizeof(bool));
	for (int i = 0; i < p->desc->natts; i++)
	{
		row[i] = (Datum) 0;
		isnull[i] = true;
		if (p->defaults[i] == NULL)
			continue;
		if (econtext == NULL)
			econtext = CreateStandaloneExprContext();
		row[i] = ExecEvalExprSwitchContext(p->defaults[i], econtext, &isnull[i]);
	}
	for (int i = 0; i < n; i++)
	{
		row[attnos[i] - 1] = values[i];
		isnull[attnos[i] - 1] = nulls[i];
	}
	/* a NULL where the table refuses it: the INSERT says so */
	for (int i = 0; i < p->desc->natts; i++)
		if (isnull[i] && TupleDescAttr(p->desc, i)->attnotnull)
			goto done;

	tuple = heap_form_tuple(p->desc, row, isnull);
	heap_insert(rel, tuple, GetCurrentCommandId(true), 0, NULL);
	InsertIndexEntries(p, rel, tuple);
	heap_freetuple(tuple);
	written = true;

done:
	if (econtext != NULL)
		FreeExprContext(econtext, true);
	pfree(row);
	pfree(isnull);
	relation_close(rel, NoLock);
	return written;
}

/*
 * UpdateRow
 *		See append.h.
 */
bool
UpdateRow(Oid relid, HeapTuple old, int n, const AttrNumber *attnos, const Oid *types,
		  const Datum *values, const bool *nulls)
{
	AppendPlan *p = PlanFor(relid, true, n, attnos, types);
	Relation	rel;
	int			columns[MAX_GIVEN];
	HeapTuple	tuple;

	if (p == NULL || !p->plain || !ResolvedRights(relid, ACL_UPDATE))
		return false;
	for (int i = 0; i < n; i++)
	{
		/* a NULL where the table refuses it: the UPDATE says so */
		if (nulls[i] && TupleDescAttr(p->desc, attnos[i] - 1)->attnotnull)
			return false;
		columns[i] = attnos[i];
	}
	rel = relation_open(relid, NoLock);
	/* it reads values and nulls only */
	tuple = heap_modify_tuple_by_cols(old, p->desc, n, columns, (Datum *) values, (bool *) nulls);
	simple_heap_update(rel, &old->t_self, tuple);
	/* a HOT update keeps the index entries; another needs new ones */
	if (!HeapTupleIsHeapOnly(tuple))
		InsertIndexEntries(p, rel, tuple);
	heap_freetuple(tuple);
	relation_close(rel, NoLock);
	return true;
}
