/*-------------------------------------------------------------------------
 *
 * src/features/shards.h
 *		Where a page's rows are on this node: the app tables themselves, or,
 *		on a Citus cluster, the page's co-located shards.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_FEATURES_SHARDS_H
#define DURPRED_FEATURES_SHARDS_H

#include "postgres.h"

/* the tables a page's features and its estimate log are read from or written to */
typedef enum AppTable
{
	APP_TABLE_PAGE,				/* app.notebook_page */
	APP_TABLE_BLOCK,			/* app.block */
	APP_TABLE_RUN,				/* app.noteflow_run */
	APP_TABLE_LOG,				/* the serving trigger's log, when it has one */
	NUM_APP_TABLES
} AppTable;

typedef enum AppLayout
{
	APP_LAYOUT_LOCAL,			/* no Citus, or app.noteflow_run is not a
								 * Citus table: the tables by their names */
	APP_LAYOUT_SHARDS,			/* the page's shards, on this node */
	APP_LAYOUT_UNSUPPORTED		/* a layout the reads cannot follow */
} AppLayout;

typedef struct AppShards
{
	AppLayout	layout;			/* of the app tables */
	Oid			relids[NUM_APP_TABLES]; /* APP_LAYOUT_SHARDS: the shards;
										 * InvalidOid for a log not given or
										 * not usable */
	char	   *why;			/* APP_LAYOUT_UNSUPPORTED: the reason */
	char	   *log_why;		/* APP_LAYOUT_SHARDS with a log whose shard
								 * cannot be used: the reason */
} AppShards;

/*
 * Where the rows of page are on this node.  log, when not NULL, is the
 * schema-qualified name of the trigger's estimate log, which must then be
 * distributed with the app tables too (else relids[APP_TABLE_LOG] is
 * InvalidOid and log_why says why).  Connects to SPI itself.
 */
extern void AppShardsFor(int64 page, const char *log, AppShards *shards);

/*
 * Whether Citus is in this database: its tables are then shells whose
 * rows only Citus's planner may write.
 */
extern bool CitusPresent(void);

/*
 * The shards that the direct reads of the app tables use instead of the
 * tables, while a caller has set them (NULL: the tables by their names).
 */
extern const AppShards *CurrentAppShards;

#endif							/* DURPRED_FEATURES_SHARDS_H */
