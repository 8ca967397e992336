/*-------------------------------------------------------------------------
 *
 * src/features/shards.c
 *		Where a page's rows are on this node: the app tables, or, on a Citus
 *		cluster (extract/citus.sql), the page's co-located shards.
 *
 * On a Citus worker the app tables are empty shells: a page's rows are in
 * the shards of the tables, app.noteflow_run_<shardid> and so on, and the
 * serving trigger fires on such a shard.  The direct reads
 * (pagefeatures.c) and the trigger's estimate log therefore open, for the
 * page at hand, the shard of each table that holds it, found in Citus's
 * metadata (which every node of a Citus 11+ cluster holds): the hash
 * distributed tables' shard for the page's id, the one shard of a reference
 * table.  They must be co-located with app.noteflow_run (the same shard
 * for the same page on the same node); any other layout, or a shard that is
 * not on this node, is APP_LAYOUT_UNSUPPORTED with the reason, for the
 * caller to report, never an empty read.
 *
 * Without Citus in the database this costs one catalog lookup per
 * transaction; with it, one query of the metadata per page and transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "features/app.h"
#include "features/shards.h"

const AppShards *CurrentAppShards = NULL;

/* whether Citus is in this database, in this transaction */
static LocalTransactionId citus_lxid = InvalidLocalTransactionId;
static bool citus_present;

/* the answer for the last page asked in this transaction */
static LocalTransactionId cached_lxid = InvalidLocalTransactionId;
static int64 cached_page;
static char *cached_log;
static AppShards cached;

/*
 * The metadata of each table: how it is distributed, its co-location group,
 * and its shard for the page ($1), by the tables' names ($2).  Needs Citus
 * 11 or later.
 */
static const char *const shards_query =
"SELECT p.partmethod::pg_catalog.text, p.colocationid, c.relname::pg_catalog.text,"
" c.relnamespace,"
" CASE p.partmethod"
"  WHEN 'h' THEN pg_catalog.get_shard_id_for_distribution_column(p.logicalrelid, $1)"
"  WHEN 'n' THEN (SELECT pg_catalog.min(s.shardid) FROM pg_catalog.pg_dist_shard s"
"                 WHERE s.logicalrelid OPERATOR(pg_catalog.=) p.logicalrelid) END"
" FROM pg_catalog.unnest($2) WITH ORDINALITY AS t(name, i)"
" LEFT JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(t.name)"
" LEFT JOIN pg_catalog.pg_dist_partition p ON p.logicalrelid OPERATOR(pg_catalog.=) c.oid"
" ORDER BY t.i";

/* the plan of shards_query, kept for the session */
static SPIPlanPtr shards_plan = NULL;

/*
 * Unsupported
 *		Marks the layout unsupported, with the reason: the app tables', or,
 *		for the log, only the log's.
 */
static void
Unsupported(AppShards *shards, int table, const char *why)
{
	if (table == APP_TABLE_LOG)
	{
		shards->relids[APP_TABLE_LOG] = InvalidOid;
		shards->log_why = MemoryContextStrdup(TopTransactionContext, why);
		return;
	}
	shards->layout = APP_LAYOUT_UNSUPPORTED;
	shards->why = MemoryContextStrdup(TopTransactionContext, why);
}

/*
 * ReadShards
 *		Fills shards from Citus's metadata (inside SPI).
 */
static void
ReadShards(int64 page, const char *log, AppShards *shards)
{
	const char *names[NUM_APP_TABLES] = {
		APP_SCHEMA "." APP_PAGE_TABLE,
		APP_SCHEMA "." APP_BLOCK_TABLE,
		APP_SCHEMA "." APP_RUN_TABLE,
		log
	};
	int			ntables = log != NULL ? NUM_APP_TABLES : APP_TABLE_LOG;
	Datum		elems[NUM_APP_TABLES];
	Oid			argtypes[2] = {INT8OID, TEXTARRAYOID};
	Datum		args[2];
	int			rc;
	bool		isnull;
	int32		colocation = 0;

	for (int i = 0; i < ntables; i++)
		elems[i] = CStringGetTextDatum(names[i]);
	args[0] = Int64GetDatum(page);
	args[1] = PointerGetDatum(construct_array(elems, ntables, TEXTOID, -1, false, TYPALIGN_INT));
	if (shards_plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(shards_query, 2, argtypes);

		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		shards_plan = plan;
	}
	rc = SPI_execute_plan(shards_plan, args, NULL, true, 0);
	if (rc != SPI_OK_SELECT || SPI_processed != (uint64) ntables)
		elog(ERROR, "reading Citus's metadata failed: %s", SPI_result_code_string(rc));

	memset(shards, 0, sizeof(*shards));
	/*
	 * app.noteflow_run first: it decides whether this is a Citus layout;
	 * the log last, whose failure is its own
	 */
	(void) SPI_getbinval(SPI_tuptable->vals[APP_TABLE_RUN], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
	{
		shards->layout = APP_LAYOUT_LOCAL;
		return;
	}
	shards->layout = APP_LAYOUT_SHARDS;
	for (int i = 0; i < ntables; i++)
	{
		static const int order[NUM_APP_TABLES] = {APP_TABLE_RUN, APP_TABLE_PAGE, APP_TABLE_BLOCK,
		APP_TABLE_LOG};
		int			t = order[i];
		HeapTuple	row = SPI_tuptable->vals[t];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *method;
		char	   *relname;
		Oid			nspid;
		int64		shardid;
		Oid			relid;

		method = SPI_getvalue(row, desc, 1);
		relname = SPI_getvalue(row, desc, 3);
		if (relname == NULL)
		{
			Unsupported(shards, t, psprintf("table %s does not exist on this node", names[t]));
			return;
		}
		if (method == NULL)
		{
			Unsupported(shards, t, psprintf("%s is not distributed with %s.%s", names[t],
										 APP_SCHEMA, APP_RUN_TABLE));
			return;
		}
		if (strcmp(method, "h") == 0)
		{
			int32		c = DatumGetInt32(SPI_getbinval(row, desc, 2, &isnull));

			if (t == APP_TABLE_RUN)
				colocation = c;
			else if (c != colocation)
			{
				Unsupported(shards, t, psprintf("%s is not co-located with %s.%s", names[t],
											 APP_SCHEMA, APP_RUN_TABLE));
				return;
			}
		}
		else if (strcmp(method, "n") != 0 || t == APP_TABLE_RUN || t == APP_TABLE_LOG)
		{
			Unsupported(shards, t, psprintf("%s is not distributed by hash with %s.%s", names[t],
										 APP_SCHEMA, APP_RUN_TABLE));
			return;
		}
		nspid = DatumGetObjectId(SPI_getbinval(row, desc, 4, &isnull));
		shardid = DatumGetInt64(SPI_getbinval(row, desc, 5, &isnull));
		if (isnull)
		{
			Unsupported(shards, t, psprintf("%s has no shard for page " INT64_FORMAT, names[t], page));
			return;
		}
		relid = get_relname_relid(psprintf("%s_" INT64_FORMAT, relname, shardid), nspid);
		if (!OidIsValid(relid))
		{
			Unsupported(shards, t, psprintf("the shard " INT64_FORMAT " of %s that holds page " INT64_FORMAT " is not on this node",
										 shardid, names[t], page));
			return;
		}
		shards->relids[t] = relid;
	}
}

/*
 * CitusPresent
 *		See shards.h.  Looked up once per transaction; a server that has not
 *		loaded Citus's library (it must be preloaded, and defines its
 *		settings when loaded) has none, and is spared the catalog scan: a
 *		write in autocommit is a transaction of its own.
 */
bool
CitusPresent(void)
{
	if (citus_lxid != MyProc->lxid)
	{
		citus_present = GetConfigOption("citus.node_conninfo", true, false) != NULL &&
			OidIsValid(get_extension_oid("citus", true));
		citus_lxid = MyProc->lxid;
	}
	return citus_present;
}

/*
 * AppShardsFor
 *		See shards.h.
 */
void
AppShardsFor(int64 page, const char *log, AppShards *shards)
{
	if (!CitusPresent())
	{
		memset(shards, 0, sizeof(*shards));
		shards->layout = APP_LAYOUT_LOCAL;
		return;
	}
	/* an answer with the log serves a question without */
	if (cached_lxid == MyProc->lxid && cached_page == page &&
		(log == NULL || (cached_log != NULL && strcmp(log, cached_log) == 0)))
	{
		*shards = cached;
		return;
	}
	SPI_connect();
	ReadShards(page, log, shards);
	SPI_finish();
	cached = *shards;
	cached_page = page;
	cached_log = log != NULL ? MemoryContextStrdup(TopTransactionContext, log) : NULL;
	cached_lxid = MyProc->lxid;
}
