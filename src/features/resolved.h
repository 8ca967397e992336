/*-------------------------------------------------------------------------
 *
 * src/features/resolved.h
 *		What the serving path looks up by name and checks (tables, their
 *		columns and indexes, the rights on them), kept for the session until
 *		a change to the catalogs could make it wrong.
 *
 * The serving trigger runs for every new run, and looking the tables up
 * again costs it about as much as reading them.  A lookup is kept with the
 * stamp current when it was made, and is valid while the stamp has not
 * moved.  The stamp moves when a relation the lookups depend on (named
 * with ResolvedWatch) is invalidated (any DDL on it: ALTER, DROP, RENAME,
 * GRANT, CREATE INDEX on a table, a change of an index's state, row-level
 * security), when every relation is (a cache reset), and when schemas,
 * roles, role memberships or operator families change.  Only found
 * relations are kept: a lookup that finds nothing is made again at every
 * call, so that a table created later is seen.
 *
 * A kept relation is locked before use (ResolvedLock): taking the lock
 * processes the invalidations that came before it, so a lookup still valid
 * after the lock is as good as a new one.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_FEATURES_RESOLVED_H
#define DURPRED_FEATURES_RESOLVED_H

#include "nodes/parsenodes.h"
#include "storage/lockdefs.h"

/* The current stamp (never 0): a lookup made now is kept with it. */
extern uint64 ResolvedStamp(void);

/* Whether a lookup kept with stamp is still valid (0: never made). */
extern bool ResolvedValid(uint64 stamp);

/* The stamp moves when relation relid (a table or an index) changes. */
extern void ResolvedWatch(Oid relid);

/*
 * Locks a kept relation with mode, as opening it by name would; false
 * when the lookup kept with stamp is no longer valid after the lock (the
 * lock stays, as a query's would).
 */
extern bool ResolvedLock(Oid relid, LOCKMODE mode, uint64 stamp);

/*
 * Whether the current user holds mode on relation relid
 * (pg_class_aclcheck), remembered until the stamp moves.
 */
extern bool ResolvedRights(Oid relid, AclMode mode);

#endif							/* DURPRED_FEATURES_RESOLVED_H */
