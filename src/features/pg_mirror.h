/*-------------------------------------------------------------------------
 *
 * src/features/pg_mirror.h
 *		Code that mirrors PostgreSQL internals, so that the features
 *		computed in C equal, to the last bit, what the same SQL computes.
 *
 * Each function names the upstream function and file it mirrors; all were
 * checked against PostgreSQL 15 (the server release 15.20), and each says
 * where it departs from it.  When durpred moves to another major version,
 * read the named functions again: PostgreSQL 17, for one, gives infinite
 * intervals to timestamp_mi and interval_part.  The tests that fail when a
 * mirror drifts compare it with the SQL it mirrors: test/sql/features.sql
 * (date_part in UTC), test/sql/history.sql (percentile_cont) and
 * test/sql/pagefeatures.sql (the durations).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_FEATURES_PG_MIRROR_H
#define DURPRED_FEATURES_PG_MIRROR_H

#include "datatype/timestamp.h"
#include "fmgr.h"

/*
 * Whether a text datum equals the C string s of len bytes: texteq
 * (src/backend/utils/adt/varlena.c) under a deterministic collation, which
 * compares the bytes.  The caller makes sure the collation is
 * deterministic.
 */
extern bool MirrorTextEq(Datum value, const char *s, size_t len);

#define MIRROR_TEXT_EQ(value, literal) \
	MirrorTextEq(value, literal, sizeof(literal) - 1)

/*
 * The hour, day of the week (0 = Sunday) and month of an instant in UTC:
 * date_part('hour' | 'dow' | 'month', at AT TIME ZONE 'UTC'), which is
 * timestamptz_zone then timestamp_part_common
 * (src/backend/utils/adt/timestamp.c).  False for an infinite instant,
 * for which date_part gives NULL.
 */
extern bool MirrorUtcFields(TimestampTz at, int *hour, int *dow, int *month);

/*
 * date_part('epoch', finished_at - started_at): timestamp_mi, its
 * interval_justify_hours, and interval_part_common's float8 epoch
 * (src/backend/utils/adt/timestamp.c), of a difference in microseconds, and
 * of two instants (false where the run has no duration: an infinite
 * instant, a finish before the start, a difference beyond 64 bits).
 */
extern double MirrorEpochOfMicros(int64 us);
extern bool MirrorEpochDifference(TimestampTz finished_at, TimestampTz started_at,
								  double *seconds);

/*
 * percentile_cont(0.5) of n > 0 values (src/backend/utils/adt/
 * orderedsetaggs.c, percentile_cont_final_common and float8_lerp), given
 * the middle value in sort order, lo (the one at (n - 1) / 2, from 0), and
 * the next one, hi, which only an even n uses.
 */
extern double MirrorPercentileContHalf(int64 n, double lo, double hi);

#endif							/* DURPRED_FEATURES_PG_MIRROR_H */
