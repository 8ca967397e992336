/*-------------------------------------------------------------------------
 *
 * src/features/pg_mirror.c
 *		Code that mirrors PostgreSQL internals, so that the features
 *		computed in C equal, to the last bit, what the same SQL computes.
 *
 * The one place where durpred repeats PostgreSQL's own arithmetic: texteq,
 * date_part of a timestamp in UTC, date_part('epoch') of the difference of
 * two timestamps, and the median of percentile_cont(0.5) (the mean and the
 * standard deviation come from exact integer totals instead: history.c).
 * Checked against PostgreSQL 15
 * (15.20); each function names what it mirrors and where it departs from
 * it (pg_mirror.h says which tests compare them with the SQL).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/int.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "features/pg_mirror.h"

/*
 * MirrorTextEq
 *		texteq (varlena.c, PostgreSQL 15): under a deterministic collation
 *		two texts are equal when their bytes are; it compares the lengths
 *		first, as here.
 */
bool
MirrorTextEq(Datum value, const char *s, size_t len)
{
	text	   *t = DatumGetTextPP(value);

	return VARSIZE_ANY_EXHDR(t) == len && memcmp(VARDATA_ANY(t), s, len) == 0;
}

/*
 * MirrorUtcFields
 *		date_part('hour' | 'dow' | 'month', at AT TIME ZONE 'UTC')
 *		(timestamp.c, PostgreSQL 15).
 *
 * timestamptz_zone with the zone UTC, an offset of 0, leaves the value as
 * it is; timestamp_part_common then breaks it down with timestamp2tm
 * without a time zone, raising 22008 "timestamp out of range" where that
 * fails, and takes tm_hour, j2day(date2j(year, month, day)) for the day of
 * the week, and tm_mon.  For an infinite timestamp,
 * NonFiniteTimestampTzPart gives these units no value, and date_part NULL.
 */
bool
MirrorUtcFields(TimestampTz at, int *hour, int *dow, int *month)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (TIMESTAMP_NOT_FINITE(at))
		return false;
	if (timestamp2tm(at, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	*hour = tm.tm_hour;
	*dow = j2day(date2j(tm.tm_year, tm.tm_mon, tm.tm_mday));
	*month = tm.tm_mon;
	return true;
}

/*
 * MirrorEpochOfMicros
 *		date_part('epoch', interval) of the interval that timestamp_mi makes
 *		of a difference of us microseconds (timestamp.c, PostgreSQL 15).
 *
 * interval_justify_hours splits the difference into whole days and the time
 * left (TMODULO: both truncated towards zero); interval_part_common's
 * float8 epoch is then time / 1000000.0 plus 86400.0 per day (its month
 * terms add 0.0: the interval has no months).
 */
double
MirrorEpochOfMicros(int64 us)
{
	int64		days = us / USECS_PER_DAY;
	int64		time = us - days * USECS_PER_DAY;

	return time / 1000000.0 + ((double) SECS_PER_DAY) * (int32) days;
}

/*
 * MirrorEpochDifference
 *		date_part('epoch', finished_at - started_at) (timestamp.c,
 *		PostgreSQL 15) into *seconds, for a run that has a duration; false
 *		for one that has none (keep in sync with
 *		extract/features.sql:analytics.has_duration).
 *
 * timestamp_mi (timestamptz - timestamptz) raises 22008 "cannot subtract
 * infinite timestamps" for an infinite operand; a run that finished before
 * it started has no duration either.  Where the difference does not fit in
 * 64 bits (instants more than about 292,000 years apart), 15's timestamp_mi
 * wraps around to a negative interval (as 15.20 does), where PostgreSQL's
 * current source raises 22008 "interval out of range": such a run has no
 * duration here, as in analytics.has_duration.
 */
bool
MirrorEpochDifference(TimestampTz finished_at, TimestampTz started_at, double *seconds)
{
	int64		time;

	if (TIMESTAMP_NOT_FINITE(finished_at) || TIMESTAMP_NOT_FINITE(started_at) ||
		finished_at < started_at ||
		pg_sub_s64_overflow(finished_at, started_at, &time))
		return false;
	*seconds = MirrorEpochOfMicros(time);
	return true;
}

/*
 * MirrorPercentileContHalf
 *		percentile_cont(0.5) (orderedsetaggs.c, PostgreSQL 15).
 *
 * percentile_cont_final_common reads the rows at floor and ceil of
 * 0.5 * (n - 1): for an odd n they are the same row, whose value it
 * returns as it is; for an even n it interpolates with float8_lerp,
 * lo + (0.5 * (hi - lo)), the proportion 0.5 * (n - 1) - floor being
 * exactly 0.5.
 */
double
MirrorPercentileContHalf(int64 n, double lo, double hi)
{
	if (n % 2 == 1)
		return lo;
	return lo + (0.5 * (hi - lo));
}
