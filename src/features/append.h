/*-------------------------------------------------------------------------
 *
 * src/features/append.h
 *		Writing a row of a plain table without the executor: the logs that
 *		the serving trigger appends to at every estimate, the history
 *		summary's row that finishing a run updates.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_FEATURES_APPEND_H
#define DURPRED_FEATURES_APPEND_H

#include "access/attnum.h"
#include "access/htup.h"

/*
 * Appends a row to table relid, as INSERT INTO it with the columns attnos
 * [0..n-1] (of the types types[]) set to values[] and nulls[] would: the
 * other columns get their defaults, its indexes get the row.  Where INSERT
 * would do more or otherwise (a trigger, a rule, a check constraint,
 * row-level security, a partition, an index on an expression, a column of
 * another type or of a domain, a column that does not exist
 * (InvalidAttrNumber), a NULL in a NOT NULL column, no INSERT privilege, a
 * server with Citus), it writes nothing and returns false: the caller runs
 * the INSERT, which does what it must.  The current user must be allowed to
 * insert; the table is locked with RowExclusiveLock.
 */
extern bool AppendRow(Oid relid, int n, const AttrNumber *attnos, const Oid *types,
					  const Datum *values, const bool *nulls);

/*
 * Replaces a row of table relid, old (its latest version, which this
 * transaction has locked, as SELECT ... FOR UPDATE does: t_self is where
 * it is), by old with the columns attnos[0..n-1] set to values[] and
 * nulls[], as UPDATE would: the indexes get entries for it unless the
 * update is HOT.  Where UPDATE would do more or otherwise (as for
 * AppendRow; no UPDATE privilege), it writes nothing and returns false:
 * the caller runs the UPDATE.
 */
extern bool UpdateRow(Oid relid, HeapTuple old, int n, const AttrNumber *attnos,
					  const Oid *types, const Datum *values, const bool *nulls);

#endif							/* DURPRED_FEATURES_APPEND_H */
